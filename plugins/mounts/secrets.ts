import { statSync } from 'node:fs';
import { definePlugin } from '../../src/engine/define.js';
import { didYouMean } from '../../src/engine/errors.js';
import { cleanDestination, placeMount } from '../../src/spec/mounts.js';
import { parseTopLevelEntry, type SecretKind } from '../../src/compose/secrets.js';
import type { FileReference } from '../../src/engine/service.js';
import type { DeepReadonly, Mount } from '../../src/spec/types.js';
import type { BundleFile, Env, Operation, PluginContext, PluginOutput } from '../../src/engine/types.js';

/**
 * Compose `secrets:` → files under `/run/secrets/` (by default), each a read-only bind of a file the bundle
 * writer creates inside the bundle (`secrets/<name>`, a 0700 folder) with the requested owner and mode.
 *
 * The host file is never bind-mounted: a copy is the only way to honour `uid`/`gid`/`mode` without touching
 * the host file, and it keeps the container from writing through to the host. The value travels only as a
 * bundle file marked `secret` (copied at bundle time for `file:`, carried in memory for `environment:`); the
 * ops carry bundle-relative paths, so config.json, the trace and `ctnr explain` never hold it.
 *
 * Order: independent of the other mount plugins. Clashes with `volumes:`/`tmpfs:` are read from the service,
 * an engine mount on the same destination is replaced, and ctnr:mount-order (post) puts nested mounts after
 * their parents.
 */
export function secretsPlugin() {
  return definePlugin({
    name: 'ctnr:secrets',
    stage: 'mounts',
    apply: (ctx) => mountFiles(ctx, SECRET_RULES),
  });
}

export interface FileMountRules {
  kind: SecretKind;
  /** The service key and top-level table (`secrets` / `configs`). */
  key: 'secrets' | 'configs';
  /** Folder of the bundle the files go to. */
  bundleDir: string;
  /** Container path of an entry without `target`. */
  defaultTarget(source: string): string;
  /** Container path of a relative `target`; undefined when it would leave the place it belongs to. */
  relativeTarget(target: string): string | undefined;
  /** Content is secret: never printed (the bundle writer also keeps its folder 0700). */
  secret: boolean;
}

export const SECRETS_DIR = 'secrets';
const RUN_SECRETS = '/run/secrets';

const SECRET_RULES: FileMountRules = {
  kind: 'secret',
  key: 'secrets',
  bundleDir: SECRETS_DIR,
  defaultTarget: (source) => `${RUN_SECRETS}/${source}`,
  // compose: a relative target names a file under /run/secrets; it must stay there.
  relativeTarget: (target) => {
    const dest = cleanDestination(`${RUN_SECRETS}/${target}`);
    return dest.startsWith(`${RUN_SECRETS}/`) ? dest : undefined;
  },
  secret: true,
};

/** Default mode of a mounted secret or config (compose: world-readable, read-only). */
export const DEFAULT_FILE_MODE = 0o444;

/** Read-only and inert: no setuid binaries, no device nodes, nothing executable through it. */
export const FILE_MOUNT_OPTIONS: readonly string[] = Object.freeze(['bind', 'rprivate', 'ro', 'nosuid', 'nodev', 'noexec']);

type Ctx = PluginContext<unknown>;
type Where = Array<string | number>;

/** The shared work of ctnr:secrets and ctnr:configs: one bundle file and one read-only bind per entry. */
export function mountFiles(ctx: Ctx, rules: FileMountRules): PluginOutput {
  const { service, spec, project, error } = ctx;
  const refs = ((service as Record<string, unknown>)[rules.key] ?? []) as FileReference[];
  if (refs.length === 0) return [];
  const table = project[rules.key];
  const taken = takenDestinations(ctx, rules.key);
  const usedPaths = new Set<string>();
  const mounts: Mount[] = [];
  const files: BundleFile[] = [];
  refs.forEach((ref, i) => {
    const where: Where = [rules.key, i];
    const source = ref.source;
    if (!Object.hasOwn(table, source)) {
      error(`${rules.kind} "${source}" is not declared in the top-level "${rules.key}:" table${didYouMean(source, Object.keys(table))}`, where);
      return;
    }
    const entry = parseTopLevelEntry(rules.kind, source, table[source], ctx.source.dir);
    if (!entry.ok) {
      error(entry.message, where);
      return;
    }
    const dest = destination(ctx, rules, ref, where);
    if (dest === undefined) return;
    const clash = taken.get(dest);
    if (clash !== undefined) {
      error(`duplicate mount point ${dest} (also ${clash})`, where);
      return;
    }
    taken.set(dest, `${rules.key}[${i}]`);
    const mode = ref.mode ?? DEFAULT_FILE_MODE;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      error(`mode ${mode} is not a file mode (0 to 0o7777)`, [...where, 'mode']);
      return;
    }
    const owner = fileOwner(ctx, ref, where);
    if (owner === undefined) return;
    const rel = bundlePath(rules.bundleDir, source, usedPaths);
    const origin = entry.origin;
    let file: BundleFile;
    if (origin.from === 'file') {
      const problem = regularFileProblem(origin.file);
      if (problem) {
        error(`${rules.kind} "${source}": file ${origin.file} ${problem}`, where);
        return;
      }
      file = { path: rel, copyFrom: origin.file, mode, ...owner };
    } else if (origin.from === 'environment') {
      const value = environmentOf(ctx.env)[origin.variable];
      if (value === undefined) {
        error(`${rules.kind} "${source}": environment variable ${origin.variable} is not set`, where);
        return;
      }
      file = { path: rel, content: value, mode, ...owner };
    } else {
      file = { path: rel, content: origin.content, mode, ...owner };
    }
    if (rules.secret) file.secret = true;
    files.push(file);
    mounts.push({ destination: dest, type: 'bind', source: rel, options: [...FILE_MOUNT_OPTIONS] });
  });
  if (mounts.length === 0) return { ops: [], files: [] };
  const ops: Operation[] = spec.mounts === undefined ? [{ op: 'add', path: '/mounts', value: [] }] : [];
  for (const m of mounts) ops.push(placeMount(spec.mounts as ReadonlyArray<DeepReadonly<Mount>> | undefined, m));
  return { ops, files };
}

/**
 * Where the bundle creator finds the environment for `environment:` entries: `env.environment` (the
 * pipeline passes the compose loader's variables — the process environment over `.env`), else this process's.
 */
export function environmentOf(env: Readonly<Env>): Readonly<Record<string, string | undefined>> {
  const given = env.environment;
  return given && typeof given === 'object' ? (given as Record<string, string | undefined>) : process.env;
}

function destination(ctx: Ctx, rules: FileMountRules, ref: FileReference, where: Where): string | undefined {
  if (ref.target === undefined || ref.target === '') return cleanDestination(rules.defaultTarget(ref.source));
  const dest = ref.target.startsWith('/') ? cleanDestination(ref.target) : rules.relativeTarget(ref.target);
  if (dest === undefined) ctx.error(`target "${ref.target}" must stay inside ${RUN_SECRETS}`, [...where, 'target']);
  else if (dest === '/') ctx.error(`target "${ref.target}" must name a file, not the root`, [...where, 'target']);
  else return dest;
  return undefined;
}

/**
 * Destinations a file may not take: the service's `volumes:` and `tmpfs:` targets, and the entries of the
 * other kind (secrets for configs). Engine mounts (the base /dev/shm, …) are replaced instead.
 */
function takenDestinations(ctx: Ctx, key: 'secrets' | 'configs'): Map<string, string> {
  const taken = new Map<string, string>();
  const s = ctx.service as Record<string, unknown>;
  ((s.volumes ?? []) as Array<{ target?: unknown }>).forEach((v, i) => {
    if (typeof v.target === 'string' && v.target.startsWith('/')) taken.set(cleanDestination(v.target), `volumes[${i}]`);
  });
  ((s.tmpfs ?? []) as Array<{ target?: unknown }>).forEach((t, i) => {
    if (typeof t.target === 'string' && t.target.startsWith('/')) taken.set(cleanDestination(t.target), `tmpfs[${i}]`);
  });
  if (key === 'configs') {
    // ctnr:secrets ran first (or not at all): its destinations are the secrets' targets.
    ((s.secrets ?? []) as FileReference[]).forEach((r, i) => {
      const dest = r.target === undefined || r.target === '' ? SECRET_RULES.defaultTarget(r.source) : r.target.startsWith('/') ? r.target : SECRET_RULES.relativeTarget(r.target);
      if (dest !== undefined) taken.set(cleanDestination(dest), `secrets[${i}]`);
    });
  }
  return taken;
}

/** `secrets/<source>`; a name that is not a plain file name is made one, and a repeated one gets a suffix. */
function bundlePath(dir: string, source: string, used: Set<string>): string {
  let base = source.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (base === '' || base === '.' || base === '..') base = `_${base}`;
  let rel = `${dir}/${base}`;
  for (let n = 2; used.has(rel); n++) rel = `${dir}/${base}-${n}`;
  used.add(rel);
  return rel;
}

function regularFileProblem(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? undefined : 'is not a regular file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
  }
}

interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** Host id that `id` maps to, or undefined when the mappings leave it out. */
export function mapId(id: number, mappings: ReadonlyArray<IdMapping>): number | undefined {
  for (const m of mappings) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return undefined;
}

/**
 * Owner of the bundle file, in HOST ids: the bundle writer chowns on the host, and with a user namespace the
 * container sees a host id through linux.uidMappings/gidMappings (written by the rootless stage, which runs
 * before this one). Rootless without mappings in the spec: ctnr's single mapping, container root → the user.
 */
function fileOwner(ctx: Ctx, ref: FileReference, where: Where): { uid: number; gid: number } | undefined {
  const { env, spec } = ctx;
  const out: { uid?: number; gid?: number } = {};
  for (const [key, ids, self] of [['uid', spec.linux?.uidMappings, env.uid], ['gid', spec.linux?.gidMappings, env.gid]] as const) {
    const raw = ref[key] ?? '0';
    if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff - 1) {
      ctx.error(`${key} "${raw}" must be a numeric id`, [...where, key]);
      return undefined;
    }
    const id = Number(raw);
    const mappings: ReadonlyArray<IdMapping> = ids && ids.length > 0 ? ids : env.rootless ? [{ containerID: 0, hostID: self, size: 1 }] : [];
    if (mappings.length === 0) {
      out[key] = id;
      continue;
    }
    const host = mapId(id, mappings);
    if (host === undefined) {
      ctx.error(`${key} ${id} is not mapped into the container's user namespace (linux.${key}Mappings), so no file can belong to it`, [...where, key]);
      return undefined;
    }
    // An unprivileged bundle writer can only give files to itself (chown to a subordinate id needs root).
    if (env.rootless && self !== 0 && host !== self) {
      ctx.error(`${key} ${id} maps to host ${key} ${host}; rootless, ctnr can only create files owned by ${key} ${self} (container ${key} ${mapBack(self, mappings) ?? '?'})`, [...where, key]);
      return undefined;
    }
    out[key] = host;
  }
  return out as { uid: number; gid: number };
}

function mapBack(host: number, mappings: ReadonlyArray<IdMapping>): number | undefined {
  for (const m of mappings) if (host >= m.hostID && host < m.hostID + m.size) return m.containerID + (host - m.hostID);
  return undefined;
}
