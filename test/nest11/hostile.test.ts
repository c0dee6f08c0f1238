import '../nest-shared/hostile.suite';
