import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, crunNeedsWorkaround } from '../unit/bundle/cli.js';
import { expectValidSpec } from '../helpers/schema.js';
import { cniE2eAvailable, IDLE, keysSandbox, sh, type KeysSandbox } from './compose-keys-helpers.js';

/**
 * A service's own `runtime:` under the real runtimes: `runtime: crun` runs under crun although the command names
 * runc (and the other service under runc), with `up` and `run`; a runtime ctnr does not run (`runsc`) is a located
 * error before anything starts, not a container with less isolation than it asked for.
 */
describe.skipIf(!cniE2eAvailable() || sh('sh', ['-c', 'command -v crun']).status !== 0)('compose runtime: (runc, crun)', () => {
  const project = `csrt${process.pid}`;
  let sb: KeysSandbox;
  let dir: string;
  const id = (s: string) => `${project}-${s}`;
  /** The CLI in the project, inside crun's workaround where this host needs it (hybrid cgroups: see test/e2e/run.test.ts). */
  const ctnr = (...args: string[]) => {
    const [cmd, argv] = cliCommand(args, crunNeedsWorkaround());
    const r = spawnSync(cmd, argv, { cwd: dir, env: sb.env, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ps = () => JSON.parse(ctnr('ps', '--json').stdout) as Array<{ id: string; runtime: string }>;
  /** The containers a runtime itself lists under the sandbox's run root. */
  const listed = (runtime: string) => sh(runtime, ['--root', path.join(sb.runRoot, runtime), 'list', '-q']).stdout.split('\n').filter(Boolean);
  const validSpec = (service: string) => expectValidSpec(JSON.parse(readFileSync(path.join(sb.dataDir, 'bundles', service, 'config.json'), 'utf8')));

  beforeAll(() => {
    sb = keysSandbox();
    dir = sb.project(
      'runtime',
      [
        `name: ${project}`,
        'services:',
        '  own:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', `echo own ran; ${JSON.parse(IDLE)[2]}`])}`,
        '    runtime: crun',
        '  plain:',
        '    image: busybox',
        '    network_mode: none',
        `    command: ${JSON.stringify(['sh', '-c', `echo plain ran; ${JSON.parse(IDLE)[2]}`])}`,
        '  sandboxed:',
        '    image: busybox',
        '    network_mode: none',
        '    command: ["true"]',
        '    runtime: runsc',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (!sb) return;
    ctnr('down');
    sb.cleanup([], project);
  });

  it('up --runtime runc: the service that says crun runs under crun, the other under runc', async () => {
    const r = ctnr('up', 'own', 'plain', '--rootfs', sb.rootfs, '--runtime', 'runc');
    expect(r.status, r.stderr).toBe(0);
    const runtimes = Object.fromEntries(ps().map((p) => [p.id, p.runtime]));
    expect(runtimes).toMatchObject({ [id('own')]: 'crun', [id('plain')]: 'runc' });
    // Each runtime itself runs the container: crun lists the one that asked for it, runc the other.
    expect(listed('crun')).toContain(id('own'));
    expect(listed('runc')).not.toContain(id('own'));
    expect(listed('runc')).toContain(id('plain'));
    expect(await sb.waitFor(path.join(sb.dataDir, 'bundles', id('own'), 'ctnr.log'), 'own ran')).toContain('own ran');
    expect(await sb.waitFor(path.join(sb.dataDir, 'bundles', id('plain'), 'ctnr.log'), 'plain ran')).toContain('plain ran');
    validSpec(id('own'));
    validSpec(id('plain'));
    expect(ctnr('down', 'own', 'plain').status).toBe(0);
  });

  it('run: the same, attached and detached', () => {
    const r = ctnr('run', '--rm', '--rootfs', sb.rootfs, '--runtime', 'runc', 'own', 'echo', 'attached');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('attached\n');
    const d = ctnr('run', '-d', '--name', id('own-d'), '--rootfs', sb.rootfs, '--runtime', 'runc', 'own');
    expect(d.status, d.stderr).toBe(0);
    expect(ps().find((p) => p.id === id('own-d'))?.runtime).toBe('crun');
    expect(listed('crun')).toContain(id('own-d'));
    validSpec(id('own-d'));
    expect(ctnr('down', 'own').status).toBe(0);
  });

  it('runtime: runsc is a located error, and nothing starts', () => {
    for (const args of [['up', 'sandboxed'], ['run', 'sandboxed']]) {
      const r = ctnr(...args, '--rootfs', sb.rootfs, '--runtime', 'runc');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: compose\.yaml:\d+:\d+ services\.sandboxed\.runtime: runtime "runsc" is not one ctnr runs \(runc or crun\)/);
      expect(sb.runtimeState()).not.toContain(id('sandboxed'));
    }
    expect(ps().map((p) => p.id)).not.toContain(id('sandboxed'));
  });
});
