import '../nest-shared/trace-context.suite';
