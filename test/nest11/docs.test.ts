import '../nest-shared/docs.suite';
