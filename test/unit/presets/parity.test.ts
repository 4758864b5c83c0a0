import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createEngine, type Result } from '../../../src/create-engine.js';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import type { Env, Preset } from '../../../src/engine/types.js';
import type { Spec } from '../../../src/spec/types.js';
import { dockerPreset } from '../../../presets/engines/docker-preset.js';
import { podmanPreset } from '../../../presets/engines/podman.js';
import type { HostFacts } from '../../../presets/engines/host.js';
import { BUILTIN_PRESETS } from '../../../presets/index.js';
import { REPO, SHARED, sharedAvailable } from '../../helpers/shared.js';
import { expectValidSpec } from '../../helpers/schema.js';
import {
  compare, documentedBy, fields, normalise, staleEntries, type CaseFacts, type Difference, type EngineDifferences,
} from '../../fixtures/parity/compare.js';

/**
 * Issue 17: each engine preset against the config.json the engine itself wrote for the same compose service
 * (test/fixtures/parity: compose.yaml is the corpus, podman/ and docker/ the engines' files, versions.json what they
 * came from; scripts/parity-gen.sh regenerates them). Every remaining difference must be listed, with its reason, in
 * differences.json, which docs/presets.md mirrors; fewer than one per service on average.
 */
const DIR = path.join(REPO, 'test/fixtures/parity');
const DOCS = path.join(REPO, 'docs/presets.md');
const versions = JSON.parse(readFileSync(path.join(DIR, 'versions.json'), 'utf8')) as {
  host: { kernel: string; arch: string; pidMax: number; capabilities: string[]; rlimits: Record<string, { soft: number | 'unlimited'; hard: number | 'unlimited' }> };
};
const documented = JSON.parse(readFileSync(path.join(DIR, 'differences.json'), 'utf8')) as { engines: Record<Engine, EngineDifferences> };
const corpus = parse(readFileSync(path.join(DIR, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, { 'x-parity'?: { skip?: Record<string, string> } }> };

type Engine = 'docker' | 'podman';
const ENGINES: readonly Engine[] = ['docker', 'podman'];
/** The facts of the host the fixtures came from, as the presets take them (its name was scrubbed to a placeholder). */
const HOST: HostFacts = { hostname: '<host-hostname>', pidMax: versions.host.pidMax, rlimits: versions.host.rlimits as HostFacts['rlimits'] };
/** The preset each engine's fixtures are compared with (the versions the fixtures came from). */
const PRESETS: Record<Engine, (host: HostFacts) => Preset> = {
  docker: (host) => dockerPreset({ version: 20, host }),
  podman: (host) => podmanPreset({ version: 4, host }),
};
const DATA_DIR = '/var/lib/ctnr-parity';

let tmp: string;
let initPath: string;
const project = parseCompose(readFileSync(path.join(DIR, 'compose.yaml'), 'utf8'), path.join(DIR, 'compose.yaml'), 'compose.yaml', { environment: {} });

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-parity-test-'));
  // `init: true` needs a static binary on this machine; its path is compared as <init-binary>. The smallest
  // static x86-64 ELF: a header with no program headers, so no interpreter.
  const elf = Buffer.alloc(64);
  elf.write('\x7fELF', 0, 'latin1');
  elf[4] = 2; // 64-bit
  elf[5] = 1; // little-endian
  elf[6] = 1;
  elf.writeUInt16LE(2, 16); // executable
  elf.writeUInt16LE(62, 18); // x86-64
  elf.writeUInt32LE(1, 20);
  elf.writeUInt16LE(64, 52);
  initPath = path.join(tmp, 'init');
  writeFileSync(initPath, elf, { mode: 0o755 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function env(overrides: Partial<Env> = {}): Env {
  return {
    rootless: false, dataDir: DATA_DIR, uid: 0, gid: 0, arch: versions.host.arch, rootfs: path.join(DIR, 'rootfs'),
    kernelRelease: versions.host.kernel, hostCapabilities: versions.host.capabilities, initPath, ...overrides,
  };
}

async function run(engine: Engine, name: string, options: { host?: HostFacts; env?: Partial<Env> } = {}): Promise<Result> {
  const { input } = selectService(project, name, {});
  const result = await createEngine({ presets: [PRESETS[engine](options.host ?? HOST)], strict: true }).run(input, env(options.env));
  expectValidSpec(result.spec);
  return result;
}

function fixture(engine: Engine, name: string): Spec {
  return JSON.parse(readFileSync(path.join(DIR, engine, `${name}.json`), 'utf8')) as Spec;
}

function facts(name: string, side: CaseFacts['side']): CaseFacts {
  const privileged = (project.services[name] as { privileged?: boolean }).privileged === true;
  return { side, privileged, generated: [name], dataDir: DATA_DIR, corpusDir: DIR, host: versions.host };
}

async function differences(engine: Engine, name: string): Promise<Difference[]> {
  const { spec } = await run(engine, name);
  return compare(name, fields(normalise(fixture(engine, name), facts(name, 'engine'))), fields(normalise(spec, facts(name, 'ctnr'))));
}

const casesOf = (engine: Engine) => Object.keys(corpus.services).filter((c) => corpus.services[c]!['x-parity']?.skip?.[engine] === undefined);

describe('the corpus and its fixtures', () => {
  it('has at least 30 services, and each engine a fixture for every one it can express', () => {
    expect(Object.keys(corpus.services).length).toBeGreaterThanOrEqual(30);
    for (const engine of ENGINES) {
      const files = readdirSync(path.join(DIR, engine)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
      expect(files, engine).toEqual([...casesOf(engine)].sort());
    }
  });

  it('every skipped case says why', () => {
    for (const [name, svc] of Object.entries(corpus.services)) {
      for (const [engine, why] of Object.entries(svc['x-parity']?.skip ?? {})) {
        expect(ENGINES, `${name}: x-parity.skip.${engine}`).toContain(engine);
        expect(why.length, `${name}: x-parity.skip.${engine}`).toBeGreaterThan(10);
      }
    }
  });
});

describe.each(ENGINES)('%s preset against the engine\'s own config.json', (engine) => {
  const list = documented.engines[engine];
  const found = new Map<string, Difference[]>();
  beforeAll(async () => {
    for (const name of casesOf(engine)) found.set(name, await differences(engine, name));
  });

  it.each(casesOf(engine))('%s: every difference is documented', (name) => {
    const undocumented = found.get(name)!.filter((d) => documentedBy(d, list.differences) === undefined);
    expect(undocumented).toEqual([]);
  });

  it('every documented difference still occurs where it says', () => {
    expect(staleEntries([...found.values()].flat(), list.differences)).toEqual([]);
  });

  it('fewer than one difference per service on average', () => {
    const total = [...found.values()].reduce((n, d) => n + d.length, 0);
    if (process.env.PARITY_REPORT) console.log(`parity ${engine}: ${total} differences over ${found.size} services`);
    expect(total / found.size).toBeLessThan(1);
  });
});

describe('docs/presets.md mirrors differences.json', () => {
  /** The rows of the table between `<!-- parity:ENGINE -->` and `<!-- /parity:ENGINE -->`. */
  function docRows(engine: Engine): string[][] {
    const text = readFileSync(DOCS, 'utf8');
    const start = text.indexOf(`<!-- parity:${engine} -->`);
    const end = text.indexOf(`<!-- /parity:${engine} -->`);
    expect(start, `docs/presets.md has a <!-- parity:${engine} --> table`).toBeGreaterThanOrEqual(0);
    return text.slice(start, end).split('\n').filter((l) => l.startsWith('| `')).map((l) => l.slice(2, -2).split(' | '));
  }

  it.each(ENGINES)('%s', (engine) => {
    const want = documented.engines[engine].differences.map((d) => [`\`${d.field}\``, d.cases === '*' ? 'every case' : d.cases.join(', '), d.reason]);
    expect(docRows(engine)).toEqual(want);
  });
});

describe('values the fixtures\' host cannot honour', () => {
  // The comparison above applies that host's limits to the engine's values; here the presets' own values are
  // checked against the engines' as written, for a host that can honour them, and the clamping for one that cannot.
  const roomy: HostFacts = { ...HOST, rlimits: { RLIMIT_NOFILE: { soft: 'unlimited', hard: 'unlimited' }, RLIMIT_NPROC: { soft: 'unlimited', hard: 'unlimited' } } };
  const ALL_CAPS = [...versions.host.capabilities, 'CAP_SYS_RESOURCE'];

  it.each([
    ['podman', 'plain'],
    ['podman', 'ulimit-nproc'],
    ['podman', 'ulimits'],
  ] as const)('%s %s: the rlimits are the engine\'s', async (engine, name) => {
    const { spec, diagnostics } = await run(engine, name, { host: roomy, env: { hostCapabilities: ALL_CAPS } });
    const byType = (list?: Array<{ type: string }>) => [...(list ?? [])].sort((a, b) => a.type.localeCompare(b.type));
    expect(byType(spec.process!.rlimits)).toEqual(byType(fixture(engine, name).process!.rlimits));
    expect(diagnostics).toEqual([]);
  });

  it.each(['docker', 'podman'] as const)('%s privileged: the capabilities are the engine\'s', async (engine) => {
    const { spec } = await run(engine, 'privileged', { env: { hostCapabilities: engine === 'docker' ? ALL_CAPS : versions.host.capabilities } });
    const sorted = (c?: string[]) => [...(c ?? [])].sort();
    for (const set of ['bounding', 'effective', 'permitted'] as const) {
      expect(sorted(spec.process!.capabilities![set]), set).toEqual(sorted(fixture(engine, 'privileged').process!.capabilities![set]));
    }
  });

  it.each([
    // host soft and hard limit, can the runtime raise it, rootless → RLIMIT_NOFILE soft and hard written, warned
    [20000, 20000, false, false, 20000, 20000, true],
    [1024, 20000, false, false, 1024, 20000, true],
    [20000, 20000, true, false, 1048576, 1048576, false],
    [2000000, 2000000, false, false, 1048576, 1048576, false],
    [4096, 4096, true, true, 4096, 4096, true],
  ])('podman RLIMIT_NOFILE, host limits %d/%d (CAP_SYS_RESOURCE %s, rootless %s) → %d/%d', async (soft, hard, canRaise, rootless, wantSoft, wantHard, warned) => {
    const host: HostFacts = { ...HOST, rlimits: { RLIMIT_NOFILE: { soft, hard }, RLIMIT_NPROC: { soft: 'unlimited', hard: 'unlimited' } } };
    const caps = canRaise ? ALL_CAPS : versions.host.capabilities;
    const { spec, diagnostics } = await run('podman', 'plain', { host, env: { hostCapabilities: caps, rootless, uid: rootless ? 1000 : 0, gid: rootless ? 1000 : 0 } });
    expect(spec.process!.rlimits!.find((r) => r.type === 'RLIMIT_NOFILE')).toEqual({ type: 'RLIMIT_NOFILE', soft: wantSoft, hard: wantHard });
    const warning = diagnostics.find((d) => d.plugin === 'podman:rlimits');
    expect(warning?.message).toBe(warned ? `RLIMIT_NOFILE 1048576 (the engine's default) is above this host's limit ${hard}, which the runtime cannot raise (${rootless ? 'rootless' : 'no CAP_SYS_RESOURCE'}): RLIMIT_NOFILE is ${wantSoft === wantHard ? wantHard : `${wantSoft}/${wantHard}`} instead` : undefined);
  });

  it('docker 20.10 privileged: a capability outside the host\'s bounding set is left out with a warning', async () => {
    const { spec, diagnostics } = await run('docker', 'privileged');
    expect(spec.process!.capabilities!.bounding).not.toContain('CAP_SYS_RESOURCE');
    expect(diagnostics.map((d) => `${d.plugin}: ${d.message}`)).toContain('docker:privileged-caps: privileged: docker 20.10 lists CAP_SYS_RESOURCE, which this host\'s bounding set lacks (no runtime here could grant them): left out');
  });
});

describe('what differs between engine versions (from the engines\' source; docs/presets.md "Versions")', () => {
  const allowed = (spec: Spec) => new Set((spec.linux?.seccomp?.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
  const ann = (spec: Spec) => spec.annotations ?? {};
  const at = (spec: Spec, dest: string) => spec.mounts!.find((m) => m.destination === dest);
  async function spec(preset: Preset, name: string, e: Partial<Env> = {}): Promise<Spec> {
    const { input } = selectService(project, name, {});
    const result = await createEngine({ presets: [preset], strict: true }).run(input, env(e));
    expectValidSpec(result.spec);
    return result.spec;
  }
  const docker = (version: 20 | 29, more: object = {}) => dockerPreset({ version, host: HOST, ...more });
  const podman = (version: 4 | 5) => podmanPreset({ version, host: HOST });

  it.each([
    // what, docker 20.10, docker 29
    ['masks /proc/interrupts', async (p: Preset) => (await spec(p, 'plain')).linux!.maskedPaths!.includes('/proc/interrupts'), false, true],
    ['seccomp defaultErrnoRet', async (p: Preset) => (await spec(p, 'plain')).linux!.seccomp!.defaultErrnoRet, undefined, 1],
    ['seccomp allows io_uring_setup', async (p: Preset) => allowed(await spec(p, 'plain')).has('io_uring_setup'), true, false],
    ['privileged: CAP_BPF', async (p: Preset) => (await spec(p, 'privileged')).process!.capabilities!.bounding!.includes('CAP_BPF'), false, true],
    ['cpu shares written as 0', async (p: Preset) => (await spec(p, 'plain')).linux!.resources!.cpu?.shares, 0, undefined],
    ['a read-only bind', async (p: Preset) => at(await spec(p, 'bind-ro'), '/data')!.options, ['rbind', 'ro', 'rprivate'], ['rbind', 'rro', 'rprivate']],
  ] as const)('docker: %s', async (_what, get, v20, v29) => {
    expect(await get(docker(20))).toEqual(v20);
    expect(await get(docker(29))).toEqual(v29);
  });

  it.each([
    // options, kernel → a time namespace
    [{}, '6.1.0', false],
    [{ timeNamespace: true }, '6.1.0', true],
    [{ timeNamespace: true }, '5.4.0', false],
  ])('docker 29 %j on Linux %s: a time namespace %s', async (options, kernelRelease, want) => {
    expect((await spec(docker(29, options), 'plain', { kernelRelease })).linux!.namespaces!.some((n) => n.type === 'time')).toBe(want);
    expect((await spec(docker(20, options), 'plain', { kernelRelease })).linux!.namespaces!.some((n) => n.type === 'time')).toBe(false);
  });

  it('docker 29 with recursiveReadOnly: false writes ro', async () => {
    expect(at(await spec(docker(29, { recursiveReadOnly: false }), 'bind-ro'), '/data')!.options).toEqual(['rbind', 'ro', 'rprivate']);
  });

  it.each([
    // what, podman 4.3, podman 5.8
    ['masks /sys/dev/block', async (p: Preset) => (await spec(p, 'plain')).linux!.maskedPaths!.includes('/sys/dev/block'), true, false],
    ['masks /proc/interrupts', async (p: Preset) => (await spec(p, 'plain')).linux!.maskedPaths!.includes('/proc/interrupts'), false, true],
    ['seccomp defaultErrnoRet', async (p: Preset) => (await spec(p, 'plain')).linux!.seccomp!.defaultErrnoRet, 38, 38],
    ['seccomp allows fchmodat2', async (p: Preset) => allowed(await spec(p, 'plain')).has('fchmodat2'), false, true],
    ['RLIMIT_NPROC without ulimits', async (p: Preset) => (await spec(p, 'plain')).process!.rlimits!.find((r) => r.type === 'RLIMIT_NPROC')!.hard, versions.host.pidMax, 96363],
    ['/dev is noexec', async (p: Preset) => at(await spec(p, 'plain'), '/dev')!.options!.includes('noexec'), true, false],
    ['annotation autoremove', async (p: Preset) => ann(await spec(p, 'plain'))['io.podman.annotations.autoremove'], 'FALSE', undefined],
    ['annotation cri-o TTY', async (p: Preset) => ann(await spec(p, 'tty'))['io.kubernetes.cri-o.TTY'], 'true', undefined],
    ['annotation pids-limit', async (p: Preset) => ann(await spec(p, 'pids-limit'))['io.podman.annotations.pids-limit'], undefined, '100'],
    ['annotation init', async (p: Preset) => ann(await spec(p, 'init'))['io.podman.annotations.init'], 'TRUE', 'TRUE'],
  ] as const)('podman: %s', async (_what, get, v4, v5) => {
    expect(await get(podman(4))).toEqual(v4);
    expect(await get(podman(5))).toEqual(v5);
  });

  it('the default versions are the current engines, and the presets have names users can give', async () => {
    expect(await spec(dockerPreset({ host: HOST }), 'plain')).toEqual(await spec(docker(29), 'plain'));
    expect(await spec(podmanPreset({ host: HOST }), 'plain')).toEqual(await spec(podman(5), 'plain'));
    expect(BUILTIN_PRESETS.docker!().name).toBe('ctnr:preset-docker');
    expect(BUILTIN_PRESETS.podman!().name).toBe('ctnr:preset-podman');
  });

  it.each([
    [() => dockerPreset({ version: 21 as 20 }), /options.version: must be one of 20, 29/],
    [() => podmanPreset({ version: 3 as 4 }), /options.version: must be one of 4, 5/],
  ])('refuses a version it does not know', (make, message) => {
    expect(make).toThrow(message);
  });

  it.skipIf(!sharedAvailable('the podman 5 seccomp profile against the reference copy'))('podman 5\'s seccomp profile is go.podman.io/common v0.67.0\'s (../shared/reference)', () => {
    const ours = JSON.parse(readFileSync(path.join(REPO, 'presets/engines/seccomp/containers-common-0.67.0.json'), 'utf8'));
    expect(ours).toEqual(JSON.parse(readFileSync(path.join(SHARED, 'reference/seccomp/container-libs-common-seccomp.json'), 'utf8')));
  });
});

describe('rootless', () => {
  // An unprivileged runtime cannot lower its oom score or set groups its user namespace does not map: the docker
  // preset leaves both to ctnr's rootless handling, and podman's rlimits are clamped to the user's limits.
  it.each([
    ['docker', 'plain'],
    ['podman', 'plain'],
    ['docker', 'privileged'],
    ['podman', 'read-only'],
  ] as const)('%s %s: a valid spec in a user namespace, no oomScoreAdj', async (engine, name) => {
    const { spec } = await run(engine, name, { env: { rootless: true, uid: 1000, gid: 1000 } });
    expect(spec.linux!.namespaces!.some((n) => n.type === 'user')).toBe(true);
    expect(spec.process!.oomScoreAdj).toBeUndefined();
    expect((await run(engine, name)).spec.process!.oomScoreAdj).toBe(engine === 'docker' ? 0 : undefined);
  });
});

it('the generator\'s scrubbing left no run-specific value in the fixtures', () => {
  for (const engine of ENGINES) {
    for (const name of casesOf(engine)) {
      const text = readFileSync(path.join(DIR, engine, `${name}.json`), 'utf8');
      expect(text, `${engine}/${name}`).not.toMatch(/ctnr-parity-gen-[A-Za-z0-9]{6}|[0-9a-f]{64}/);
    }
  }
  expect(existsSync(path.join(DIR, 'versions.json'))).toBe(true);
});
