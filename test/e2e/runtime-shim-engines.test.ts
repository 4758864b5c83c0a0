import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectValidSpec } from '../helpers/schema.js';
import { buildImageTarball, Containerd, engineAvailable, facts, IMAGE, Podman, PROBE, saved, writeWrapper } from './runtime-shim-helpers.js';

/**
 * ctnr-runtime as the OCI runtime of real engines from Debian: podman (conmon) and containerd (`ctr run
 * --runc-binary`), each with its state under a temp dir, the test image loaded from a docker-save tarball built
 * here. Three runtime configs: baseline enforce (JSON), restricted fix plus an organisation plugin (a module whose
 * default export gets ctnr-runtime's API), and none at all.
 */

const BASELINE = { presets: ['baseline'], runtime: 'runc' };

/** restricted in fix mode, root allowed by an annotation (the test image runs as root), ORG and an annotation from the organisation. */
const RESTRICTED_FIX = `export default ({ restrictedPreset, op }) => ({
  presets: [restrictedPreset({ fix: true })],
  plugins: [
    { name: 'acme:org-env', stage: 'process', anySpec: true, apply: ({ spec }) => [op.env('ORG', 'acme', spec)] },
    { name: 'acme:checked', stage: 'annotations', anySpec: true, apply: ({ spec }) => [op.annotation('com.acme/checked', 'ctnr-runtime', spec)] },
  ],
  policy: { exemptions: [{ annotations: { 'com.acme/allow-root': 'true' }, control: 'runAsNonRoot', reason: 'the test image has no user of its own' }] },
  runtime: 'runc',
});
`;

const REFUSAL = 'ctnr: policy baseline: privileged: privileged containers are not allowed';

/** baseline in warn mode: findings reported, the container runs. */
const WARN = `export default ({ baselinePreset }) => ({ presets: [baselinePreset({ mode: 'warn' })], runtime: 'runc' });\n`;

/** The images preset: only registry.internal's images (the test image is localhost's). */
const IMAGES = `export default ({ imagesPreset }) => ({ presets: [imagesPreset({ allowedImages: ['registry.internal/*'] })], runtime: 'runc' });\n`;

interface Setup {
  dir: string;
  tarball: string;
  saveDir: string;
  /** Wrapper script per config: baseline, fix, warn, images, none. */
  runtimes: Record<'baseline' | 'fix' | 'warn' | 'images' | 'none', string>;
}

function setup(prefix: string): Setup {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const tarball = path.join(dir, 'image.tar');
  buildImageTarball(tarball);
  const configs = path.join(dir, 'configs');
  mkdirSync(configs);
  writeFileSync(path.join(configs, 'baseline.json'), JSON.stringify(BASELINE));
  writeFileSync(path.join(configs, 'fix.mjs'), RESTRICTED_FIX);
  writeFileSync(path.join(configs, 'warn.mjs'), WARN);
  writeFileSync(path.join(configs, 'images.mjs'), IMAGES);
  const saveDir = path.join(dir, 'saved');
  mkdirSync(saveDir);
  const runtimes = {
    baseline: path.join(dir, 'ctnr-runtime-baseline'),
    fix: path.join(dir, 'ctnr-runtime-fix'),
    warn: path.join(dir, 'ctnr-runtime-warn'),
    images: path.join(dir, 'ctnr-runtime-images'),
    none: path.join(dir, 'ctnr-runtime-none'),
  };
  writeWrapper(runtimes.warn, path.join(configs, 'warn.mjs'), saveDir);
  writeWrapper(runtimes.images, path.join(configs, 'images.mjs'), saveDir);
  writeWrapper(runtimes.baseline, path.join(configs, 'baseline.json'), saveDir);
  writeWrapper(runtimes.fix, path.join(configs, 'fix.mjs'), saveDir);
  writeWrapper(runtimes.none, undefined, saveDir);
  return { dir, tarball, saveDir, runtimes };
}

/** What the fixed container reports, and what the trace says about who wrote it. */
function expectFixed(out: Record<string, string>, trace: any): void {
  expect(out.CapBnd).toBe('0000000000000400'); // CAP_NET_BIND_SERVICE only
  expect(out.NoNewPrivs).toBe('1');
  expect(out.Seccomp).toBe('2');
  expect(out.ORG).toBe('acme');
  const writers = (pointer: string) => trace.trace.filter((t: any) => t.pointer === pointer || t.pointer.startsWith(pointer + '/')).map((t: any) => t.plugin);
  expect(writers('/process/capabilities')).toContain('ctnr:policy-fix-capabilities');
  expect(trace.trace.find((t: any) => t.op.value === 'ORG=acme')?.plugin).toBe('acme:org-env');
  expect(writers('/annotations/com.acme~1checked')).toEqual(['acme:checked']);
  // seccomp came from the engine: nobody in the pipeline wrote it.
  expect(writers('/linux/seccomp')).toEqual([]);
  expect(trace.policy.summary.enforce).toBe(0);
  expect(trace.policy.exemptions[0]).toMatchObject({ control: 'runAsNonRoot', used: true });
}

describe.skipIf(!engineAvailable('runtime-shim podman e2e', ['podman', 'conmon', 'runc']))('ctnr-runtime under podman', () => {
  let s: Setup;
  let podman: Podman;
  beforeAll(() => {
    s = setup('ctnr-shim-podman-');
    podman = new Podman(path.join(s.dir, 'podman'), { 'ctnr-runtime': s.runtimes.baseline, 'ctnr-fix': s.runtimes.fix, 'ctnr-warn': s.runtimes.warn, 'ctnr-images': s.runtimes.images, 'ctnr-none': s.runtimes.none });
    const load = podman.run(['load', '--input', s.tarball]);
    expect(load.stderr + load.stdout).toContain(IMAGE);
    expect(load.status).toBe(0);
  });
  afterAll(() => {
    podman?.cleanup();
    if (s) rmSync(s.dir, { recursive: true, force: true });
  });

  const run = (runtime: string, args: readonly string[]) => podman.run(['--runtime', runtime, 'run', '--net', 'none', ...args]);

  it('baseline enforce: --privileged is refused and podman shows why', () => {
    const r = run('ctnr-runtime', ['--rm', '--privileged', IMAGE, 'echo', 'should not run']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(REFUSAL);
    expect(r.stdout).not.toContain('should not run');
  });

  it('baseline enforce: a plain container runs and prints its output', () => {
    const r = run('ctnr-runtime', ['--rm', IMAGE, 'sh', '-c', PROBE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hello from the container');
  });

  it('images preset: podman names the image only in its container record, which ctnr-runtime reads: refused, and podman shows why', () => {
    const r = run('ctnr-images', ['--rm', IMAGE, 'echo', 'should not run']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`ctnr: policy images: imageRegistries: image ${IMAGE} (localhost/ctnr-shim-test) is not from an allowed place (allowedImages: registry.internal/*)`);
    expect(r.stdout).not.toContain('should not run');
  });

  it('baseline warn: --privileged runs, the warnings go where the runtime\'s stderr goes (the container log)', () => {
    const r = run('ctnr-warn', ['--name', 'shim-warn', '--privileged', IMAGE, 'echo', 'ran anyway']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ran anyway');
    const logs = podman.run(['logs', 'shim-warn']);
    expect(logs.stdout + logs.stderr).toContain(REFUSAL);
    const id = podman.run(['inspect', '--format', '{{.Id}}', 'shim-warn']).stdout.trim();
    const { before, after, trace } = saved(s.saveDir, id);
    expect(after.equals(before)).toBe(true); // warnings change nothing
    expect(trace.policy.summary.warn).toBeGreaterThan(0);
    podman.run(['rm', '--force', 'shim-warn']);
  });

  it('podman exec and podman stop go through to runc; an exec --privileged is refused', () => {
    // PID 1 ignores SIGTERM without a handler: this one exits on it, so `stop` shows the kill went through.
    const started = run('ctnr-runtime', ['--detach', '--name', 'shim-exec', IMAGE, 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    const exec = podman.run(['--runtime', 'ctnr-runtime', 'exec', 'shim-exec', 'sh', '-c', 'echo exec says $((6 * 7))']);
    expect(exec.stderr).toBe('');
    expect(exec.stdout.trim()).toBe('exec says 42');
    // The exec's process is judged too: all capabilities (`exec --privileged`) are refused, and podman says why.
    const privileged = podman.run(['--runtime', 'ctnr-runtime', 'exec', '--privileged', 'shim-exec', 'echo', 'should not run']);
    expect(privileged.status).not.toBe(0);
    expect(privileged.stderr).toContain('ctnr: policy baseline: capabilities: ');
    expect(privileged.stdout).not.toContain('should not run');
    const stop = podman.run(['--runtime', 'ctnr-runtime', 'stop', '--time', '10', 'shim-exec']);
    expect(stop.stderr).toBe('');
    expect(stop.status).toBe(0);
    expect(podman.run(['inspect', '--format', '{{.State.Status}}', 'shim-exec']).stdout.trim()).toBe('exited');
    expect(podman.run(['rm', 'shim-exec']).status).toBe(0);
  });

  it('restricted fix + organisation plugin: reduced capabilities, no_new_privs, seccomp, ORG; the trace names the plugins', () => {
    const r = run('ctnr-fix', ['--name', 'shim-fix', '--annotation', 'com.acme/allow-root=true', IMAGE, 'sh', '-c', PROBE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const id = podman.run(['inspect', '--format', '{{.Id}}', 'shim-fix']).stdout.trim();
    const { before, after, trace } = saved(s.saveDir, id);
    expect(after.equals(before)).toBe(false);
    expectValidSpec(JSON.parse(after.toString()));
    expectFixed(facts(r.stdout), trace);
    expect(trace.container.id).toBe(id);
    podman.run(['rm', '--force', 'shim-fix']);
  });

  it('no config: config.json stays byte-identical and the container runs', () => {
    const r = run('ctnr-none', ['--name', 'shim-none', IMAGE, 'sh', '-c', PROBE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hello from the container');
    const id = podman.run(['inspect', '--format', '{{.Id}}', 'shim-none']).stdout.trim();
    const { before, after, trace } = saved(s.saveDir, id);
    expect(after.equals(before)).toBe(true);
    expect(trace).toBeUndefined();
    podman.run(['rm', '--force', 'shim-none']);
  });
});

describe.skipIf(!engineAvailable('runtime-shim containerd e2e', ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc']))('ctnr-runtime under containerd (ctr run --runc-binary)', () => {
  let s: Setup;
  let containerd: Containerd;
  beforeAll(async () => {
    s = setup('ctnr-shim-containerd-');
    containerd = new Containerd(path.join(s.dir, 'containerd'));
    await containerd.start();
    const imported = containerd.ctr(['images', 'import', s.tarball]);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
  });
  afterAll(async () => {
    await containerd?.stop();
    if (s) rmSync(s.dir, { recursive: true, force: true });
  });

  const run = (runtime: string, id: string, args: readonly string[], image = IMAGE) => containerd.ctr(['run', '--rm', '--runc-binary', runtime, ...args, image, id]);

  it('baseline enforce: --privileged is refused and ctr shows why', () => {
    const r = run(s.runtimes.baseline, 'shim-priv', ['--privileged']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(REFUSAL);
  });

  it('baseline enforce: a plain container (with the default seccomp profile) runs and prints its output', () => {
    const r = containerd.ctr(['run', '--rm', '--seccomp', '--runc-binary', s.runtimes.baseline, IMAGE, 'shim-plain', 'sh', '-c', PROBE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hello from the container');
  });

  it('restricted fix + organisation plugin: the same fixes as under podman', () => {
    const r = containerd.ctr(['run', '--rm', '--seccomp', '--annotation', 'com.acme/allow-root=true', '--runc-binary', s.runtimes.fix, IMAGE, 'shim-fix', 'sh', '-c', PROBE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { before, after, trace } = saved(s.saveDir, 'shim-fix');
    expect(after.equals(before)).toBe(false);
    expectValidSpec(JSON.parse(after.toString()));
    expectFixed(facts(r.stdout), trace);
  });

  it('restricted fix: a task exec gets the same fixes as the container (containerd builds it from its own copy of the spec)', () => {
    const started = containerd.ctr(['run', '--detach', '--seccomp', '--annotation', 'com.acme/allow-root=true', '--runc-binary', s.runtimes.fix, IMAGE, 'shim-fix-exec', 'sleep', '600']);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    try {
      const r = containerd.ctr(['task', 'exec', '--exec-id', 'probe', 'shim-fix-exec', 'sh', '-c', PROBE]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = facts(r.stdout);
      expect(out.CapBnd).toBe('0000000000000400'); // CAP_NET_BIND_SERVICE only
      expect(out.NoNewPrivs).toBe('1');
    } finally {
      containerd.ctr(['task', 'kill', '--signal', 'SIGKILL', 'shim-fix-exec']);
      containerd.ctr(['task', 'delete', '--force', 'shim-fix-exec']);
      containerd.ctr(['container', 'delete', 'shim-fix-exec']);
    }
  });

  it('no config: config.json stays byte-identical and the container runs', () => {
    const r = containerd.ctr(['run', '--rm', '--runc-binary', s.runtimes.none, IMAGE, 'shim-none', 'sh', '-c', PROBE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hello from the container');
    const { before, after, trace } = saved(s.saveDir, 'shim-none');
    expect(after.equals(before)).toBe(true);
    expect(trace).toBeUndefined();
  });
});
