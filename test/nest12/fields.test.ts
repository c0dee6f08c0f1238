import '../nest-shared/fields.suite';
