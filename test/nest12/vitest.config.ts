// Nest 12 (ESM only, as require(esm) and import load it): the shared suite in ../nest-shared against this package's Nest.
import { fileURLToPath } from 'node:url';
import { nestSuiteProject } from '../nest-shared/suite-config';

export default nestSuiteProject('nest12', fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, ''));
