import { describeBuiltPackage } from '../nest-shared/dist.suite';

describeBuiltPackage(__dirname);
