import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareCreate, TRACE_FILE, type TraceFile } from '../../../src/runtime-shim/create.js';
import { parseRuntimeArgs } from '../../../src/runtime-shim/args.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { REPO } from '../../helpers/shared.js';
import { ctnrFailure } from '../../helpers/errors.js';

/** config.json files podman 4.3 wrote on this machine (paths moved to podman's defaults): a plain container and --privileged. */
const PODMAN = readFileSync(path.join(REPO, 'test/fixtures/runtime-shim/podman-config.json'), 'utf8');
const PODMAN_PRIVILEGED = readFileSync(path.join(REPO, 'test/fixtures/runtime-shim/podman-privileged-config.json'), 'utf8');
/** The container id in PODMAN's bind sources (podman names its directories after it). */
const idOf = (spec: string) => /vfs-containers\/([0-9a-f]{64})\//.exec(spec)?.[1] ?? 'x';
const PODMAN_ID = idOf(PODMAN);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-create-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  /** Config file name and content (runtime: /bin/true is added to JSON ones). */
  config: [string, string];
  spec: string;
  argv?: string[];
}

async function create(c: Case) {
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  const specName = c.argv?.includes('-f') ? 'other.json' : 'config.json';
  writeFileSync(path.join(bundle, specName), c.spec);
  const configFile = path.join(dir, c.config[0]);
  writeFileSync(configFile, c.config[0].endsWith('.json') ? JSON.stringify({ runtime: '/bin/true', ...JSON.parse(c.config[1]) }) : c.config[1]);
  const log = path.join(dir, 'log.json');
  let stderr = '';
  const argv = c.argv ?? ['--log', log, '--log-format', 'json', 'create', '--bundle', bundle, '--pid-file', path.join(dir, 'pid'), idOf(c.spec)];
  const outcome = await prepareCreate({ args: parseRuntimeArgs(argv), configFile, log: { log, logFormat: 'json', stderr: (t) => (stderr += t) } });
  const after = readFileSync(path.join(bundle, specName), 'utf8');
  const tracePath = path.join(bundle, TRACE_FILE);
  const trace = existsSync(tracePath) ? (JSON.parse(readFileSync(tracePath, 'utf8')) as TraceFile) : undefined;
  const logEntries = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; time: string }) : [];
  return { outcome, after, trace, stderr, logEntries, bundle };
}


const REFUSAL = 'ctnr: policy baseline: privileged: privileged containers are not allowed';

describe('create in spec mode', () => {
  it('baseline, a plain podman container: nothing to change, nothing written, handed over', async () => {
    const r = await create({ config: ['runtime.config.json', '{"presets":["baseline"]}'], spec: PODMAN });
    expect(r.stderr).toBe('');
    expect(r.outcome).toEqual({ runtime: '/bin/true', changed: false });
    expect(r.after).toBe(PODMAN);
    expect(r.trace).toBeUndefined();
  });

  it('baseline, podman --privileged: refused, one line per violated control on stderr and in the JSON log, the bundle untouched', async () => {
    const r = await create({ config: ['runtime.config.json', '{"presets":["baseline"]}'], spec: PODMAN_PRIVILEGED });
    expect(r.outcome).toEqual({ changed: false });
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${REFUSAL} \\(`));
    expect(lines.map((l) => l.split(':')[2]!.trim())).toEqual(['privileged', 'capabilities', 'seccomp', 'procMount']);
    expect(r.after).toBe(PODMAN_PRIVILEGED);
    expect(r.trace).toBeUndefined();
    expect(readFileSync(path.join(r.bundle, 'config.json'), 'utf8')).toBe(PODMAN_PRIVILEGED);
    // The same lines in runc's JSON log format, then all of them in one entry (containerd shows the last).
    expect(r.logEntries.slice(0, 4).map((e) => e.msg)).toEqual(lines);
    expect(r.logEntries.every((e) => e.level === 'error' && /^\d{4}-\d\d-\d\dT/.test(e.time))).toBe(true);
    expect(r.logEntries[4]!.msg).toContain('policy baseline: privileged: privileged containers are not allowed');
    expect(r.logEntries[4]!.msg).toContain('policy baseline: procMount:');
  });

  it('baseline in warn mode: the same findings as warnings, the container is let through, the trace records them', async () => {
    const r = await create({
      config: ['runtime.config.mjs', 'export default ({ baselinePreset }) => ({ presets: [baselinePreset({ mode: "warn" })], runtime: "/bin/true" });'],
      spec: PODMAN_PRIVILEGED,
    });
    expect(r.outcome).toEqual({ runtime: '/bin/true', changed: false });
    expect(r.stderr).toContain(REFUSAL);
    expect(r.logEntries.map((e) => e.level)).toEqual(['warning', 'warning', 'warning', 'warning']);
    expect(r.after).toBe(PODMAN_PRIVILEGED);
    expect(r.trace?.policy.summary).toMatchObject({ warn: 9, enforce: 0 }); // 9 findings of 4 controls
    expect(r.trace?.changed).toBe(false);
    expect(r.trace?.trace).toEqual([]);
  });

  it('restricted fix + an organisation plugin: the fixes and the plugin are in config.json (same layout) and in the trace', async () => {
    const r = await create({
      config: ['runtime.config.mjs', `export default ({ restrictedPreset, op }) => ({
        presets: [restrictedPreset({ fix: true })],
        plugins: [{ name: 'acme:env', stage: 'process', anySpec: true, apply: ({ spec }) => [op.env('ORG', 'acme', spec)] }],
        policy: { exemptions: [{ annotations: { 'io.container.manager': 'libpod' }, control: 'runAsNonRoot', reason: 'podman test image' }] },
        runtime: '/bin/true',
      });`],
      spec: PODMAN,
    });
    expect(r.stderr).toBe('');
    expect(r.outcome).toEqual({ runtime: '/bin/true', changed: true });
    const spec = JSON.parse(r.after);
    expectValidSpec(spec);
    expect(r.after.startsWith('{\n  "ociVersion"')).toBe(true); // the fixture is indented by two spaces: so is the result
    expect(spec.process.capabilities.bounding).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.process.env).toContain('ORG=acme');
    expect(r.trace!.trace.map((t) => [t.plugin, t.stage, t.pointer, t.overrode ?? null])).toEqual([
      ['acme:env', 'process', '/process/env/5', null],
      ['ctnr:policy-fix-capabilities', 'process', '/process/capabilities', 'ctnr:base'],
      ['ctnr:policy-fix-no-new-privileges', 'process', '/process/noNewPrivileges', null],
    ]);
    expect(r.trace!.trace[1]!.presetChain).toEqual([path.join(dir, 'runtime.config.mjs'), 'ctnr:preset-restricted']);
    expect(r.trace!.container).toMatchObject({ id: PODMAN_ID, name: PODMAN_ID, bundle: r.bundle });
    expect(r.trace!.policy.exemptions).toEqual([expect.objectContaining({ control: 'runAsNonRoot', used: true })]);
  });

  it('mutators that need a compose service are left out, and the trace lists them', async () => {
    const r = await create({ config: ['runtime.config.json', '{"presets":["default","restricted"]}'], spec: PODMAN });
    // restricted without fix: root and no no_new_privs are refused as they are
    expect(r.outcome.runtime).toBeUndefined();
    expect(r.stderr).toContain('ctnr: policy restricted: allowPrivilegeEscalation:');
    expect(r.after).toBe(PODMAN);
    const r2 = await create({ config: ['runtime.config.json', '{"presets":["default","restricted"],"policy":{"exemptions":[{"service":"' + PODMAN_ID + '","control":"runAsNonRoot","reason":"r"},{"service":"' + PODMAN_ID + '","control":"allowPrivilegeEscalation","reason":"r"},{"service":"' + PODMAN_ID + '","control":"capabilitiesRestricted","reason":"r"}]}}'], spec: PODMAN });
    expect(r2.stderr).toBe('');
    expect(r2.trace!.leftOut.map((p) => p.name)).toEqual(expect.arrayContaining(['ctnr:args', 'ctnr:capabilities', 'ctnr:seccomp', 'ctnr:namespaces']));
    expect(r2.trace!.trace).toEqual([]);
  });

  it('a custom validator, exempted for one Kubernetes namespace (containerd CRI annotations)', async () => {
    const cri = (namespace: string) => JSON.stringify({
      ...JSON.parse(PODMAN),
      annotations: { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-namespace': namespace, 'io.kubernetes.cri.container-name': 'app', 'io.kubernetes.cri.image-name': 'registry.internal/app:1' },
    });
    const config = `export default {
      plugins: [{ name: 'acme:no-root', stage: 'hooks', validate: ({ spec }) => spec.process.user.uid === 0 ? [{ control: 'noRoot', pointer: '/process/user/uid', message: 'root is for the platform team' }] : [] }],
      policy: { exemptions: [{ namespace: 'platform', control: 'noRoot', reason: 'platform daemons' }] },
      runtime: '/bin/true',
    };`;
    const platform = await create({ config: ['runtime.config.mjs', config], spec: cri('platform') });
    expect(platform.outcome.runtime).toBe('/bin/true');
    expect(platform.trace!.container.name).toBe('app');
    expect(platform.trace!.container.kubernetes).toMatchObject({ namespace: 'platform', image: 'registry.internal/app:1' });
    const shop = await create({ config: ['runtime.config.mjs', config], spec: cri('shop') });
    expect(shop.outcome.runtime).toBeUndefined();
    expect(shop.stderr).toBe('ctnr: policy acme:no-root: noRoot: root is for the platform team at /process/user/uid\n');
  });

  it('the images preset: an image the CRI names is judged (its annotation is the pointer); podman names none and is let through', async () => {
    const cri = (image: string) => JSON.stringify({
      ...JSON.parse(PODMAN),
      annotations: { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-namespace': 'shop', 'io.kubernetes.cri.container-name': 'app', 'io.kubernetes.cri.image-name': image },
    });
    const config = "export default ({ imagesPreset }) => ({ presets: [imagesPreset({ allowedImages: ['registry.internal/*'] })], runtime: '/bin/true' });";
    const outside = await create({ config: ['runtime.config.mjs', config], spec: cri('ghcr.io/acme/app:2') });
    expect(outside.outcome.runtime).toBeUndefined();
    expect(outside.stderr).toBe('ctnr: policy images: imageRegistries: image ghcr.io/acme/app:2 (ghcr.io/acme/app) is not from an allowed place (allowedImages: registry.internal/*) at /annotations/io.kubernetes.cri.image-name\n');
    const latest = await create({ config: ['runtime.config.mjs', config], spec: cri('registry.internal/app') });
    expect(latest.stderr).toBe('ctnr: policy images: imageTag: image registry.internal/app names no tag (so latest): name a version, or pin a digest at /annotations/io.kubernetes.cri.image-name\n');
    const inside = await create({ config: ['runtime.config.mjs', config], spec: cri('registry.internal/app:1') });
    expect([inside.outcome.runtime, inside.stderr]).toEqual(['/bin/true', '']);
    expectValidSpec(JSON.parse(inside.after));
    const podman = await create({ config: ['runtime.config.mjs', config], spec: PODMAN });
    expect([podman.outcome.runtime, podman.stderr]).toEqual(['/bin/true', '']);
  });

  it.each([
    { name: "podman's own files (directories named after the container)", source: `/run/containers/storage/vfs-containers/${'a'.repeat(64)}/userdata/hosts`, id: 'a'.repeat(64), refused: false },
    { name: 'a host directory', source: '/etc', id: 'a'.repeat(64), refused: true },
    { name: 'a short id is not trusted to name a directory', source: '/srv/etc/hosts', id: 'etc', refused: true },
    { name: 'the bundle itself', source: 'BUNDLE/files/hosts', id: 'x', refused: false },
  ])('hostPathVolumes: $name', async ({ source, id, refused }) => {
    const spec = JSON.parse(PODMAN);
    const bundle = path.join(dir, 'bundle');
    spec.mounts = spec.mounts.filter((m: { type: string }) => m.type !== 'bind');
    spec.mounts.push({ destination: '/data', type: 'bind', source: source.replace('BUNDLE', bundle), options: ['bind', 'rprivate'] });
    const r = await create({ config: ['runtime.config.json', '{"presets":["baseline"]}'], spec: JSON.stringify(spec), argv: ['create', '--bundle', bundle, id] });
    expect(r.outcome.runtime === undefined).toBe(refused);
    if (refused) expect(r.stderr).toContain('ctnr: policy baseline: hostPathVolumes: host path mounts are not allowed');
  });

  it("crun's --config: the file crun will read is the one processed", async () => {
    const bundle = path.join(dir, 'bundle');
    const r = await create({
      config: ['runtime.config.json', '{"presets":["baseline"]}'],
      spec: PODMAN_PRIVILEGED,
      argv: ['create', '-b', bundle, '-f', 'other.json', PODMAN_ID],
    });
    expect(r.outcome.runtime).toBeUndefined();
    expect(r.stderr).toContain(REFUSAL);
  });

  it('the rewritten config.json keeps its mode', async () => {
    const bundle = path.join(dir, 'bundle');
    mkdirSync(bundle);
    writeFileSync(path.join(bundle, 'config.json'), PODMAN);
    chmodSync(path.join(bundle, 'config.json'), 0o600);
    writeFileSync(path.join(dir, 'c.mjs'), 'export default ({ op }) => ({ plugins: [{ name: "acme:x", stage: "annotations", anySpec: true, apply: ({ spec }) => [op.annotation("acme.x", "1", spec)] }], runtime: "/bin/true" });');
    const outcome = await prepareCreate({ args: parseRuntimeArgs(['create', '-b', bundle, 'x']), configFile: path.join(dir, 'c.mjs'), log: { stderr: () => {} } });
    expect(outcome.changed).toBe(true);
    expect(statSync(path.join(bundle, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(bundle, TRACE_FILE)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')).annotations['acme.x']).toBe('1');
  });

  it.each([
    { name: 'an unknown key', config: ['runtime.config.json', '{"presetz":["baseline"]}'], code: 'CONFIG_INVALID', message: 'Unrecognized key: "presetz"' },
    { name: 'an unknown preset', config: ['runtime.config.json', '{"presets":["baselin"]}'], code: 'CONFIG_INVALID', message: 'preset "baselin" is neither a built-in preset' },
    { name: 'a plugin that throws', config: ['runtime.config.mjs', 'export default { plugins: [{ name: "acme:bad", stage: "process", anySpec: true, apply() { throw new Error("oops"); } }], runtime: "/bin/true" };'], code: 'PLUGIN_FAILED', message: 'plugin threw: oops' },
    { name: 'a plugin with a bad anySpec', config: ['runtime.config.json', '{"plugins":[{"name":"acme:x","stage":"process","anySpec":"yes","apply":1}]}'], code: 'CONFIG_INVALID', message: '' },
    { name: 'a validator with a bad exec', config: ['runtime.config.mjs', 'export default { plugins: [{ name: "acme:x", stage: "process", exec: "yes", validate: () => [] }], runtime: "/bin/true" };'], code: 'CONFIG_INVALID', message: '"exec" must be true or false, not "yes"' },
    { name: 'a runtime that is not there', config: ['runtime.config.mjs', 'export default { runtime: "/nope/runc" };'], code: 'CONFIG_INVALID', message: 'is not an executable file' },
  ] as const)('$name: fails (closed) with a located error, the bundle untouched', async ({ config, code, message }) => {
    const err = await ctnrFailure(() => create({ config: [...config], spec: PODMAN }));
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
    if (code === 'CONFIG_INVALID') expect(err.location?.file).toBe(path.join(dir, config[0]));
    expect(readFileSync(path.join(dir, 'bundle', 'config.json'), 'utf8')).toBe(PODMAN);
  });

  it.each([
    { spec: '{"ociVersion": ', message: "the bundle's spec is not JSON" },
    { spec: '[1]', message: "the bundle's spec is not a JSON object" },
  ])('a bundle spec that is not a JSON object: BUNDLE_FAILED ($message)', async ({ spec, message }) => {
    const err = await ctnrFailure(() => create({ config: ['runtime.config.json', '{"presets":["baseline"]}'], spec }));
    expect(err.code).toBe('BUNDLE_FAILED');
    expect(err.message).toContain(message);
  });

  it('an abbreviated --bundle is a usage error before anything is read', async () => {
    const err = await ctnrFailure(() => prepareCreate({ args: parseRuntimeArgs(['create', '--bund', dir, 'x']), configFile: '/nonexistent', log: {} }));
    expect(err.code).toBe('USAGE');
  });
});
