import '../nest-shared/logger-service.suite';
