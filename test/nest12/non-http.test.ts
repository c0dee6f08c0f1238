import '../nest-shared/non-http.suite';
