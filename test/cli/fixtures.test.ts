import { describeFixtures } from '../helpers/fixtures.js';

/**
 * Every fixture case of kind `cli` (test/fixtures/README.md): one invocation of the built CLI from inside its
 * folder, with its exit code, stdout, stderr or the spec it prints checked.
 */
describeFixtures('cli');
