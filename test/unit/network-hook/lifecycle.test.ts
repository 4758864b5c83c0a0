import { describe, expect, it } from 'vitest';
import { fileContent } from '../../../src/engine/bundle-files.js';
import { LIFECYCLE_FILE, lifecyclePlugin, type Lifecycle } from '../../../plugins/hooks/lifecycle.js';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { buildBusyboxRootfs } from '../../helpers/rootfs.js';
import { afterAll } from 'vitest';

const { rootfs, cleanup } = buildBusyboxRootfs();
afterAll(() => cleanup());

const lifecycleOf = (files: ReadonlyArray<{ path: string; content?: string; json?: unknown; mode?: number }>): Lifecycle | undefined => {
  const f = files.find((x) => x.path === LIFECYCLE_FILE);
  return f ? (JSON.parse(fileContent(f)!) as Lifecycle) : undefined;
};

describe('ctnr:lifecycle', () => {
  it('no hooks: no file', async () => {
    const r = await testPluginYaml(lifecyclePlugin(), {});
    expect(r.files).toEqual([]);
  });

  it('each hook is the container\'s process with the hook\'s command, environment, working_dir and user', async () => {
    const r = await runServiceYaml(
      {
        user: 'app',
        working_dir: '/home/app',
        environment: { A: 'container', B: 'b' },
        cap_drop: ['ALL'],
        post_start: [
          { command: 'echo started', environment: ['A=hook', 'C', 'D'] },
          { command: ['id'], user: 'root:audio', working_dir: '/tmp' },
        ],
        pre_stop: [{ command: ['sh', '-c', 'sync'], privileged: true }],
      },
      { env: { rootfs, hostCapabilities: ['CAP_CHOWN', 'CAP_KILL'] }, environment: { C: 'from-variables' } },
    );
    const l = lifecycleOf(r.files)!;
    const base = r.spec.process!;
    expect(l.post_start).toHaveLength(2);
    const [first, second] = l.post_start!;
    expect(first).toEqual({ ...base, terminal: false, args: ['echo', 'started'], env: [...base.env!.filter((e) => !e.startsWith('A=')), 'A=hook', 'C=from-variables'], cwd: '/home/app' });
    expect(first!.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [29] });
    expect(second).toMatchObject({ args: ['id'], cwd: '/tmp', user: { uid: 0, gid: 29 }, capabilities: base.capabilities });
    // privileged: every capability the host can grant, in all four sets; no AppArmor profile.
    const caps = ['CAP_CHOWN', 'CAP_KILL'];
    expect(l.pre_stop).toEqual([{ ...base, terminal: false, args: ['sh', '-c', 'sync'], capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: caps } }]);
    expect(r.files.find((f) => f.path === LIFECYCLE_FILE)!.mode).toBe(0o600);
  });

  it('a user the rootfs does not know is a located error naming the hook', async () => {
    const r = await testPluginYaml(lifecyclePlugin(), { pre_stop: [{ command: 'true' }, { command: 'true', user: 'ghost' }] }, { env: { rootfs } });
    expect(r.errors).toMatchObject([{ plugin: 'ctnr:lifecycle', path: 'services.svc.pre_stop[1].user', message: expect.stringMatching(/user "ghost" not found in .*\/etc\/passwd/) }]);
    expect(r.errors[0]!.location?.line).toBeGreaterThan(0);
  });
});
