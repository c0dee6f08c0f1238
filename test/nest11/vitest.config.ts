// Nest 11 (CommonJS): the shared suite in ../nest-shared against this package's Nest.
import { fileURLToPath } from 'node:url';
import { nestSuiteProject } from '../nest-shared/suite-config';

export default nestSuiteProject('nest11', fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, ''));
