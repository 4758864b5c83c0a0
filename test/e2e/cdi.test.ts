import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eAvailable } from '../helpers/runc.js';
import { ctnr, withSandbox, type Sandbox } from '../unit/bundle/cli.js';

/**
 * CDI devices under runc (docs/cdi.md): a CDI spec file exposes the host's /dev/null at another path and a
 * freshly made char devices (one read-only), plus an env var, a read-only bind mount, a
 * createRuntime hook and an extra group; `ctnr run` resolves the names from `devices:` and `gpus:` and a probe
 * in the container reports what it sees.
 */
describe.skipIf(!e2eAvailable('runc'))('CDI devices (runc)', () => {
  let sb: Sandbox;
  let rootfs: string;
  withSandbox((s, r) => {
    sb = s;
    rootfs = r;
  });

  it('device nodes with their numbers and permissions, env, mount, hook and gid from the spec files', () => {
    const dir = path.join(sb.dir, 'cdi-e2e');
    const specs = path.join(dir, 'cdi');
    const host = path.join(dir, 'host');
    mkdirSync(specs, { recursive: true });
    mkdirSync(path.join(host, 'share'), { recursive: true });
    writeFileSync(path.join(host, 'share/hello.txt'), 'hello from the host\n');
    // Char devices of our own: the numbers of /dev/zero (1:5), and 60:0 (a major kept for local use, no driver
    // here) given read-only: its cgroup rule lets an open for reading through to the kernel (which finds no
    // driver: ENXIO) and refuses one for writing (EPERM). 1:5 is allowed by the default rules anyway.
    execFileSync('mknod', [path.join(host, 'cdi-zero'), 'c', '1', '5']);
    execFileSync('mknod', [path.join(host, 'cdi-local'), 'c', '60', '0']);
    const marker = path.join(dir, 'hook-ran');
    writeFileSync(
      path.join(specs, 'ctnr-test.yaml'),
      [
        'cdiVersion: 0.7.0',
        'kind: ctnr-test.example.com/dev',
        'containerEdits:',
        '  env: [CDI_HELLO=world]',
        `  mounts: [{hostPath: ${path.join(host, 'share')}, containerPath: /opt/cdi, options: [ro, rbind]}]`,
        '  hooks:',
        `    - {hookName: createRuntime, path: /bin/sh, args: [sh, -c, 'echo ran > ${marker}']}`,
        'devices:',
        '  - name: null0',
        '    containerEdits:',
        '      deviceNodes: [{path: /dev/cdi-null, hostPath: /dev/null}]',
        '      additionalGids: [4321]',
        '  - name: zero',
        '    containerEdits:',
        `      deviceNodes: [{path: /dev/cdi-zero, hostPath: ${path.join(host, 'cdi-zero')}}]`,
        '  - name: local-ro',
        '    containerEdits:',
        `      deviceNodes: [{path: /dev/cdi-local, hostPath: ${path.join(host, 'cdi-local')}, permissions: r}]`,
      ].join('\n') + '\n',
    );
    // A second spec file, JSON, for the gpu class: `gpus: all` takes its devices.
    writeFileSync(
      path.join(specs, 'ctnr-test-gpu.json'),
      JSON.stringify({ cdiVersion: '0.5.0', kind: 'ctnr-test.example.com/gpu', devices: [{ name: '0', containerEdits: { env: ['CDI_GPU=0'] } }] }),
    );
    const probe = [
      'echo null=$(stat -c "%t:%T %F" /dev/cdi-null)',
      'echo x > /dev/cdi-null && echo null-writable=yes',
      'echo zero=$(stat -c "%t:%T %F" /dev/cdi-zero)',
      'echo zero-read=$(head -c 3 /dev/cdi-zero | od -An -tx1 | tr -d " ")',
      'echo local=$(stat -c "%t:%T" /dev/cdi-local)',
      'head -c 1 /dev/cdi-local >/dev/null 2>/tmp/e; echo local-read=$(cat /tmp/e)',
      '(echo x > /dev/cdi-local) 2>/tmp/e; echo local-write=$(cat /tmp/e)',
      'echo env=$$CDI_HELLO gpu=$$CDI_GPU',
      'echo mount=$(cat /opt/cdi/hello.txt)',
      '(echo x > /opt/cdi/new) 2>/dev/null && echo mount-writable=yes || echo mount-writable=no',
      'echo groups=$(id -G)',
    ].join('; ');
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      ['name: cdi-e2e', 'services:', '  probe:', '    image: x', '    devices: [ctnr-test.example.com/dev=null0, ctnr-test.example.com/dev=zero, ctnr-test.example.com/dev=local-ro]', '    gpus: all', `    command: ["/bin/sh", "-c", ${JSON.stringify(probe)}]`].join('\n') + '\n',
    );
    const r = ctnr(['run', '-f', path.join(dir, 'compose.yaml'), 'probe', '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'runc', '--rm'], { ...sb, env: { ...sb.env, CTNR_CDI_SPEC_DIRS: specs } });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'null=1:3 character special file',
      'null-writable=yes',
      'zero=1:5 character special file',
      'zero-read=000000',
      'local=3c:0',
      'local-read=head: /dev/cdi-local: No such device or address',
      "local-write=/bin/sh: can't create /dev/cdi-local: Operation not permitted",
      'env=world gpu=0',
      'mount=hello from the host',
      'mount-writable=no',
      'groups=0 4321',
      '',
    ]);
    expect(r.status).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(sb.runtimeState()).toEqual([]);
  });

  it('an unknown CDI device fails before anything runs, naming the devices there are', () => {
    const dir = path.join(sb.dir, 'cdi-e2e-unknown');
    mkdirSync(path.join(dir, 'cdi'), { recursive: true });
    writeFileSync(path.join(dir, 'cdi/x.json'), JSON.stringify({ cdiVersion: '0.3.0', kind: 'ctnr-test.example.com/dev', devices: [{ name: 'a', containerEdits: { env: ['A=1'] } }] }));
    writeFileSync(path.join(dir, 'compose.yaml'), 'name: cdi-e2e-unknown\nservices:\n  s:\n    image: x\n    devices: [ctnr-test.example.com/dev=b]\n    command: ["true"]\n');
    const r = ctnr(['run', '-f', path.join(dir, 'compose.yaml'), 's', '--rootfs', rootfs, '--data-dir', sb.dataDir, '--runtime', 'runc'], { ...sb, env: { ...sb.env, CTNR_CDI_SPEC_DIRS: path.join(dir, 'cdi') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('services.s.devices[0]: unknown CDI device ctnr-test.example.com/dev=b: ctnr-test.example.com/dev has a');
    expect(existsSync(path.join(sb.dataDir, 'bundles/cdi-e2e-unknown-s'))).toBe(false);
    expect(sb.runtimeState()).toEqual([]);
  });
});
