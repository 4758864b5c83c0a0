import { describe, expect, it } from 'vitest';
import { fileContent } from '../../../src/engine/bundle-files.js';
import { definePlugin } from '../../../src/engine/define.js';
import { ops } from '../../../src/engine/patch.js';
import { composeError, runCompose } from '../../helpers/engine.js';

/**
 * Names that end up in other containers' /etc/hosts cannot add lines there (issue 16 item 4). The loader
 * refuses bad aliases and container names (names.test.ts); the network hook checks every name again, since a
 * plugin may set spec.hostname to anything.
 */
const setHostname = (value: string) =>
  definePlugin({
    name: 'test:hostname',
    stage: 'network',
    after: ['ctnr:hostname'],
    apply: () => [ops.replace('/hostname', value)],
  });

describe('ctnr:network-hook refuses names that are not host names', () => {
  it.each(['evil\n10.0.0.9 bank', 'a b', 'x\t# comment'])('a plugin-set hostname %j', async (hostname) => {
    const e = await composeError({ networks: ['n'] }, { networks: { n: {} } }, { plugins: [setHostname(hostname)] });
    expect(e.message).toMatch(/cannot be a host name in \/etc\/hosts/);
  });

  it('good names still pass into the network settings', async () => {
    const r = await runCompose({ hostname: 'web-1', container_name: 'proj-web', networks: { n: { aliases: ['db.internal'] } } }, { networks: { n: {} } });
    const settings = JSON.parse(fileContent(r.files.find((f) => f.path === 'ctnr/network.json')!)!);
    expect(settings.networks[0].aliases).toEqual(['svc', 'db.internal', 'web-1', 'proj-web']);
  });
});
