import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runServiceYaml } from '../../helpers/engine.js';
import { REPO } from '../../helpers/shared.js';

const service = {
  image: 'nginx',
  entrypoint: ['/docker-entrypoint.sh'],
  command: 'nginx -g "daemon off;"',
  environment: { Z: '1', A: '2', M: '3', PATH: '/x' },
  user: '1000:1000',
  group_add: [10, 7],
  cap_add: ['SYS_TIME', 'net_admin'],
  cap_drop: ['MKNOD'],
  ulimits: { nproc: 100, nofile: { soft: 10, hard: 20 } },
  security_opt: ['no-new-privileges'],
};

describe('same input, same bytes', () => {
  it('two engines produce byte-identical specs and traces', async () => {
    const a = await runServiceYaml(service);
    const b = await runServiceYaml(service);
    expect(JSON.stringify(b.spec)).toBe(JSON.stringify(a.spec));
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
  });

  it('the order cap_add lists names in does not change the output', async () => {
    const a = await runServiceYaml({ ...service, cap_add: ['SYS_TIME', 'NET_ADMIN'] });
    const b = await runServiceYaml({ ...service, cap_add: ['NET_ADMIN', 'SYS_TIME'] });
    expect(b.spec.process!.capabilities).toEqual(a.spec.process!.capabilities);
  });

  it('the CLI prints the same bytes on every run', () => {
    const dir = path.join(REPO, 'test/fixtures/cli/spec-basic');
    const run = () => spawnSync(process.execPath, [path.join(REPO, 'bin/ctnr.cjs'), 'spec', 'web'], { cwd: dir, encoding: 'utf8' });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(run().stdout).toBe(first.stdout);
  });
});
