import '../nest-shared/http-records.suite';
