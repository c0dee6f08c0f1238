import { fileURLToPath } from 'node:url';
import { describeBuiltPackage } from '../nest-shared/dist.suite';

describeBuiltPackage(fileURLToPath(new URL('.', import.meta.url)));
