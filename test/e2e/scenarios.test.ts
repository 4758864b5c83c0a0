import { describeFixtures } from '../helpers/fixtures.js';

/**
 * Every fixture case of kind `run` (test/fixtures/README.md; the folders under test/fixtures/e2e are compose
 * files a user can read as examples). Each runs through the real CLI (`ctnr run … -- /bin/sh -c PROBE`) under
 * runc and crun, and a probe inside the container prints what it sees. A case names the plugins whose effect it
 * checks (`needs`): while one is not in the default plan the case is skipped with a message.
 */
describeFixtures('run');
