import '../nest-shared/volume.suite';
