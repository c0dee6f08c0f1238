import { describeNestVersion } from '../nest-shared/nest-version';

describeNestVersion(12);
