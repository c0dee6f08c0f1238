import '../nest-shared/hardening.suite';
