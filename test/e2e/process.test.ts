import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { capabilitiesFromMask, composeEscape, e2eAvailable, parseFacts, probeScript, runBundle } from '../helpers/runc.js';

describe.skipIf(!e2eAvailable('runc'))('process stage under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  const probe = async (service: Record<string, unknown>) => {
    const { spec } = await runServiceYaml(
      { entrypoint: ['/bin/sh', '-c', composeEscape(probeScript(['echo env_FOO=$FOO', 'echo env_EMPTY=${EMPTY-unset}', 'echo args="$0 $1"']))], ...service },
      { env: { rootfs } },
    );
    const r = runBundle(spec, rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return parseFacts(r.stdout);
  };

  it('runs as a named user with its groups, cwd and env', async () => {
    const f = await probe({ user: 'app', group_add: ['video', 4242], working_dir: '/tmp', environment: { FOO: 'bar baz' } });
    expect(f.uid).toBe('1000');
    expect(f.gid).toBe('1000');
    expect(f.groups!.split(' ').sort()).toEqual(['1000', '29', '4242', '44']);
    expect(f.cwd).toBe('/tmp');
    expect(f.env_FOO).toBe('bar baz');
    // docker: a non-root user has no effective caps, but keeps the bounding set
    expect(f.CapEff).toBe('0000000000000000');
    expect(capabilitiesFromMask(f.CapBnd!)).toContain('CAP_CHOWN');
  });

  it('root gets docker defaults plus cap_add minus cap_drop, and the rlimits and no_new_privs asked for', async () => {
    const f = await probe({ cap_add: ['net_admin'], cap_drop: ['CAP_MKNOD'], ulimits: { nofile: { soft: 1234, hard: 2048 } }, security_opt: ['no-new-privileges:true'] });
    expect(f.uid).toBe('0');
    const eff = capabilitiesFromMask(f.CapEff!);
    expect(eff).toContain('CAP_NET_ADMIN');
    expect(eff).not.toContain('CAP_MKNOD');
    expect(eff).not.toContain('CAP_SYS_ADMIN');
    expect(eff).toHaveLength(14);
    expect(f.nofile).toBe('1234');
    expect(f.NoNewPrivs).toBe('1');
  });

  it('passes args from entrypoint and command', async () => {
    const { spec } = await runServiceYaml({ entrypoint: '/bin/echo', command: 'hello "two words"' }, { env: { rootfs } });
    const r = runBundle(spec, rootfs);
    expect(r.stdout).toBe('hello two words\n');
  });
});
