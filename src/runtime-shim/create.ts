import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { config as zodConfig } from 'zod';
import { createEnv } from '../linux/env.js';
import { buildReport, evaluateService, grantedExemptions, type PolicyReport } from '../policy/evaluate.js';
import { CtnrError, type Env, type Service, type Spec, type TraceEntry } from './lib.js';
import type { RuntimeArgs } from './args.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { containerInfo, containerSubject, engineManagedDirs, type ContainerInfo } from './container.js';
import { isRootless, resolveRuntime, type Environment } from './locate.js';
import { report, type LogTarget } from './log.js';
import { violationLines } from './messages.js';
import { specModeEngine, type LeftOut } from './spec-mode.js';
import { writeAtomicAll } from './write.js';

/** Beside config.json: every op with its plugin, stage and preset chain (docs/runtime.md, "Reading a trace"). */
export const TRACE_FILE = 'ctnr-trace.json';

export interface TraceFile {
  version: 1;
  container: Pick<ContainerInfo, 'id' | 'name' | 'bundle' | 'kubernetes'>;
  /** The runtime config that ran. */
  config: string;
  /** The real runtime the command was handed to. */
  runtime: string;
  /** The spec file the pipeline read and (when `changed`) rewrote. */
  spec: string;
  changed: boolean;
  /** As `ctnr explain --json`: plugin, stage, preset chain, op, pointer, and whose value it overrode (`ctnr:base` = the engine's config.json). */
  trace: TraceEntry[];
  /** Mutators of the config that did not run: they need a compose service. */
  leftOut: LeftOut[];
  policy: PolicyReport;
}

export interface CreateRequest {
  args: RuntimeArgs;
  /** The runtime config file (found by the caller). */
  configFile: string;
  /** ctnr-runtime's own paths: the config may not name it as the runtime. */
  self?: readonly string[];
  cwd?: string;
  env?: Environment;
  log: LogTarget;
}

export interface CreateOutcome {
  /** The real runtime to hand the original arguments to; undefined when the container is refused. */
  runtime?: string;
  changed: boolean;
}

/**
 * `create`/`run`: run the configured pipeline over the bundle's config.json in spec mode. An enforced violation
 * refuses the container (messages on stderr and in the runtime log, nothing in the bundle changed); otherwise the
 * spec is written back (atomically, only if it changed) with the trace beside it, and the caller hands over to
 * the real runtime. A config or bundle that cannot be read throws: the caller fails the command (fail closed).
 */
export async function prepareCreate(req: CreateRequest): Promise<CreateOutcome> {
  // One run parses each schema once: zod's JIT would compile parsers that never pay off (as in src/cli.ts).
  zodConfig({ jitless: true });
  if (req.args.problem) throw new CtnrError('USAGE', `${req.args.command}: ${req.args.problem}`);
  const rc = await loadRuntimeConfig(req.configFile);
  const runtime = resolveRuntime(rc.runtime, { configFile: rc.file, ...(req.self ? { self: req.self } : {}), ...(req.env ? { env: req.env } : {}) });

  const bundle = path.resolve(req.cwd ?? process.cwd(), req.args.bundle ?? '.');
  const specFile = req.args.configFile ? path.resolve(bundle, req.args.configFile) : path.join(bundle, 'config.json');
  const { spec, text, stat } = readSpec(specFile);

  const container = containerInfo(req.args.containerId ?? path.basename(bundle), bundle, spec);
  const rootfs = typeof spec.root?.path === 'string' ? path.resolve(bundle, spec.root.path) : undefined;
  const env = createEnv({
    rootless: isRootless(req.env),
    // No data dir in spec mode; the bundle stands in (binds from it are the engine's anyway).
    dataDir: bundle,
    ...(rootfs ? { rootfs } : {}),
    container,
    engineManagedDirs: engineManagedDirs(container, spec, req.args.pidFile),
  });

  const judged = await judgeSpec(rc, spec, container, env);
  report(req.log, 'warning', judged.warnings);
  if (judged.enforced.length > 0) {
    report(req.log, 'error', judged.enforced, true);
    return { changed: false };
  }
  // The new spec, then the trace beside it: both flushed before either replaces its file.
  const writes = [];
  if (judged.changed) writes.push({ file: specFile, content: format(judged.spec, text), like: stat });
  if (judged.changed || judged.violations > 0) {
    writes.push({ file: path.join(bundle, TRACE_FILE), content: JSON.stringify(judged.trace({ config: rc.file, runtime, spec: specFile }), null, 2) + '\n', like: stat });
  }
  if (writes.length > 0) await writeAtomicAll(writes);
  return { runtime, changed: judged.changed };
}

export interface Judgement {
  /** The spec after the pipeline (the same object as the input when no plugin changed it). */
  spec: Spec;
  changed: boolean;
  /** Plugin diagnostics and `warn` violations, one line each. */
  warnings: string[];
  /** `enforce` violations, one line per control: the container is refused when there is any. */
  enforced: string[];
  /** How many violations the policy report holds (exempted and audited ones too). */
  violations: number;
  trace(where: Pick<TraceFile, 'config' | 'runtime' | 'spec'>): TraceFile;
}

/**
 * The pipeline over one spec, in memory: no file is read or written here (./snapshot.ts runs it while the
 * startup snapshot is built, so a `create` finds its code compiled and its schemas made).
 */
export async function judgeSpec(rc: RuntimeConfig, spec: Spec, container: ContainerInfo, env: Env, judging: 'container' | 'exec' = 'container'): Promise<Judgement> {
  const before = JSON.stringify(spec);
  const { engine, leftOut } = await specModeEngine(rc, () => spec, judging);
  const result = await engine.run({ name: container.name, service: {} as Service, source: { dir: container.bundle, locate: () => undefined } }, env);

  const exemptions = grantedExemptions(engine.plan, { exemptions: rc.config.policy?.exemptions ?? [], label: rc.file });
  const policy = evaluateService(engine.plan, result, exemptions, containerSubject(container));
  const lines = violationLines(policy.violations);
  const changed = JSON.stringify(result.spec) !== before;
  return {
    spec: result.spec,
    changed,
    warnings: [
      ...result.diagnostics.map((d) => `${d.plugin ? `[${d.plugin}] ` : ''}${d.message}`),
      ...lines.filter((l) => l.mode === 'warn').map((l) => l.text),
    ],
    enforced: lines.filter((l) => l.mode === 'enforce').map((l) => l.text),
    violations: policy.violations.length,
    trace: (where) => ({
      version: 1,
      container: { id: container.id, name: container.name, bundle: container.bundle, kubernetes: container.kubernetes },
      config: where.config,
      runtime: where.runtime,
      spec: where.spec,
      changed,
      trace: result.trace,
      leftOut,
      policy: buildReport([policy], exemptions),
    }),
  };
}

export function readSpec(file: string, what = "the bundle's spec"): { spec: Spec; text: string; stat: { mode: number; uid: number; gid: number } } {
  let text: string;
  let stat: { mode: number; uid: number; gid: number };
  try {
    text = readFileSync(file, 'utf8');
    const s = statSync(file);
    stat = { mode: s.mode, uid: s.uid, gid: s.gid };
  } catch (err) {
    throw new CtnrError('BUNDLE_FAILED', `cannot read ${what}: ${(err as Error).message}`, { location: { file }, cause: err });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw new CtnrError('BUNDLE_FAILED', `${what} is not JSON: ${(err as Error).message}`, { location: { file }, cause: err });
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new CtnrError('BUNDLE_FAILED', `${what} is not a JSON object`, { location: { file } });
  }
  return { spec: spec as Spec, text, stat };
}

/** The new spec in the old file's layout: one line if it was one line, else indented as it was. */
export function format(spec: unknown, original: string): string {
  const indent = /^\{\r?\n([ \t]+)"/.exec(original)?.[1];
  const body = indent === undefined ? JSON.stringify(spec) : JSON.stringify(spec, null, indent);
  return original.endsWith('\n') ? body + '\n' : body;
}
