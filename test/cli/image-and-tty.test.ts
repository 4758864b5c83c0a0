import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';
import { expectValidSpec } from '../helpers/schema.js';
import { e2eAvailable, which } from '../helpers/runc.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { writeOciLayout } from '../unit/bundle/oci-layout.js';

const CLI = path.join(REPO, 'bin/ctnr.cjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-cli-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ctnr spec --image LAYOUT', () => {
  it('takes Entrypoint, Cmd, Env, User and WorkingDir from the image config the service names', () => {
    const empty = path.join(tmp, 'layer');
    mkdirSync(empty, { recursive: true });
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, [
      { ref: 'other', layers: [empty], config: { Cmd: ['/wrong'] } },
      { ref: 'web', layers: [empty], config: { Entrypoint: ['/entry.sh'], Cmd: ['serve'], Env: ['PATH=/app/bin:/bin', 'MODE=image'], User: '33:33', WorkingDir: '/srv' } },
    ]);
    const dir = path.join(tmp, 'project');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{}');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: web\n    environment:\n      MODE: compose\n');
    const r = spawnSync(process.execPath, [CLI, 'spec', 'web', '--image', layout], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const spec = JSON.parse(r.stdout);
    expectValidSpec(spec);
    expect(spec.process.args).toEqual(['/entry.sh', 'serve']);
    expect(spec.process.env).toEqual(['PATH=/app/bin:/bin', 'MODE=compose']);
    expect(spec.process.user).toEqual({ uid: 33, gid: 33 });
    expect(spec.process.cwd).toBe('/srv');
  });

  it('a service\'s platform: is read only where an image is chosen by it (not with --image-config)', () => {
    const dir = path.join(tmp, 'platform-unused');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{}');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: web\n    platform: linux\n');
    writeFileSync(path.join(dir, 'image.json'), JSON.stringify({ config: { Cmd: ['serve'] } }));
    const r = spawnSync(process.execPath, [CLI, 'spec', 'web', '--image-config', 'image.json'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).process.args).toEqual(['serve']);
  });

  // A layout of several platforms (`skopeo copy --all`): the image for --platform, else the service's platform:.
  it.each([
    { what: '--platform', args: ['--platform', 'linux/arm64'], platform: undefined, cmd: 'arm64' },
    { what: 'the service\'s platform:', args: [], platform: 'linux/arm64/v8', cmd: 'arm64' },
    { what: '--platform over the service\'s platform:', args: ['--platform', 'linux/s390x'], platform: 'linux/arm64', cmd: 's390x' },
    { what: 'a platform: inherited through extends', args: [], platform: 'linux/arm64', cmd: 'arm64', extended: true },
  ])('takes the image for $what from a layout of several platforms', ({ args, platform, cmd, extended }) => {
    const empty = path.join(tmp, 'layer');
    mkdirSync(empty, { recursive: true });
    const layout = path.join(tmp, 'multi');
    writeOciLayout(layout, ['amd64', 'arm64', 's390x'].map((arch) => ({ ref: 'web', arch, layers: [empty], config: { Cmd: [arch] } })));
    const dir = path.join(tmp, `multi-${cmd}-${args.length}${extended ? '-ext' : ''}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{}');
    const own = `services:\n  web:\n    image: web\n${platform ? `    platform: ${platform}\n` : ''}`;
    const inherited = `services:\n  base:\n    image: web\n    platform: ${platform}\n  web:\n    extends: base\n`;
    writeFileSync(path.join(dir, 'compose.yaml'), extended ? inherited : own);
    const r = spawnSync(process.execPath, [CLI, 'spec', 'web', '--image', layout, ...args], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).process.args).toEqual([cmd]);
  });
});

const canRun = e2eAvailable('runc') && which('script') !== undefined;
describe.skipIf(!canRun)('progress line', () => {
  it('shows on a terminal and is cleared; a pipe gets none', () => {
    const { rootfs, cleanup } = buildBusyboxRootfs();
    try {
      const dir = path.join(tmp, 'tty');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), '{}');
      writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  s:\n    network_mode: none\n    command: ["echo", "done"]\n');
      const args = [CLI, 'run', 's', '--rootfs', rootfs, '--data-dir', path.join(dir, 'data'), '--runtime', 'runc', '--rm'];
      const env = { ...process.env, CTNR_RUN_ROOT: path.join(dir, 'run'), TERM: 'xterm' };
      // util-linux `script` gives the command a pseudo-terminal and records what it wrote to it.
      const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(' ');
      const tty = spawnSync('script', ['-qec', quoted, '/dev/null'], { cwd: dir, env, encoding: 'utf8' });
      expect(tty.status).toBe(0);
      expect(tty.stdout).toMatch(/\r\x1b\[K[^\r\n]+…/); // a step label, rewritten in place
      // and erased again before the container's own output
      expect(tty.stdout.lastIndexOf('\r\x1b[K')).toBeLessThan(tty.stdout.indexOf('done'));
      expect(tty.stdout.slice(tty.stdout.lastIndexOf('\r\x1b[K') + 4, tty.stdout.indexOf('done'))).not.toContain('…');
      expect(tty.stdout).toMatch(/done\r?\n/);
      const piped = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
      expect(piped.status).toBe(0);
      expect(piped.stdout).toBe('done\n');
      expect(piped.stderr.replace(/^note: .*\n/gm, '')).toBe('');
    } finally {
      cleanup();
    }
  });
});
