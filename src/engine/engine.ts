import { AsyncSeriesHook } from 'tapable';
import type { Operation } from 'fast-json-patch';
import { CtnrError, isCtnrError, renderPath } from './errors.js';
import { applyOpInPlace, applyResolved, checkOpShape, copyValue, lookup, opError, resolveOp, splitPointer } from './patch.js';
import { jsonClone, Owners } from './trace.js';
import { createViews, readonlyMap, type ViewSet } from './readonly.js';
import { BASE_OWNER, CTNR_ANNOTATION_PREFIX, CTNR_PLUGIN_PREFIX } from './reserved.js';
import { bundleFileProblem } from './bundle-files.js';
import { resolvePlan, type Plan, type PlannedPlugin } from './plan.js';
import type { ReadonlySpec, Spec } from '../spec/types.js';
import type { BundleFile, Diagnostic, ImageConfig, Service, Env, Plugin, PluginContext, PluginOutput, Preset, Project, ServiceSource, StageDeclaration, TraceEntry, Violation } from './types.js';
import { parsePath } from './path.js';

export interface EngineOptions {
  /** Label of the root of the preset chain in traces and errors (the config file name, or `api`). */
  name?: string;
  presets?: readonly Preset[];
  plugins?: readonly Plugin[];
  stages?: ReadonlyArray<string | StageDeclaration>;
  disable?: readonly string[];
  /**
   * Snapshot the spec around every plugin and fail one that mutates it instead of returning ops (tests: this
   * is what holds ctnr's own plugins to the rule; plugins from anywhere else always get a read-only view).
   */
  strict?: boolean;
  /**
   * How long an async `apply`/`validate` may take before the service fails with PLUGIN_TIMEOUT (default
   * 30 000 ms; a plugin's own `timeoutMs` wins). A timer exists only while such a call is pending.
   */
  pluginTimeoutMs?: number;
  /**
   * The spec the first plugin sees, made fresh for every service. Its values are owned by `ctnr:base` in the
   * trace. The core has no default (it knows no engine's defaults); `createEngine` from `ctnr` (src/create-engine.ts)
   * gives docker's.
   */
  baseSpec: () => Spec;
}

export const DEFAULT_PLUGIN_TIMEOUT_MS = 30_000;

export interface ServiceInput {
  name: string;
  service: Service;
  project?: Partial<Project>;
  source?: ServiceSource;
  image?: ImageConfig;
}

export interface Result {
  serviceName: string;
  spec: Spec;
  trace: TraceEntry[];
  diagnostics: Diagnostic[];
  /** Files the bundle writer must create, sorted by path, each with the plugin that declared it. */
  files: Array<BundleFile & { plugin: string }>;
  /** Host directories the bundle writer creates (mkdir -p) before checking bind sources, sorted. */
  hostDirs: Array<{ path: string; plugin: string }>;
  violations: Array<Violation & { validator: string; stage: string; presetChain: readonly string[] }>;
  /** Every trace entry that touched `pointer`, one of its ancestors or one of its descendants, in order. */
  blame(pointer: string): TraceEntry[];
}

/** What a stage hook receives after its stage ran: read-only views of the spec and trace so far. */
export interface StageEvent {
  readonly serviceName: string;
  readonly stage: string;
  readonly spec: ReadonlySpec;
  readonly trace: readonly TraceEntry[];
}

export interface Engine {
  readonly plan: Plan;
  /** One tapable hook per stage, called after the stage's plugins with a StageEvent (observe only). */
  readonly hooks: Readonly<Record<string, AsyncSeriesHook<[StageEvent]>>>;
  run(input: ServiceInput, env: Env): Promise<Result>;
}

interface RunState {
  input: ServiceInput;
  env: Env;
  project: Project;
  source: ServiceSource;
  doc: Spec;
  trace: TraceEntry[];
  /** Read-only views for plugins from outside ctnr (src/readonly.ts), made when the first such plugin runs. */
  views: ViewSet | undefined;
  /** Read-only views of the service's inputs for the same plugins (see `inputViewsOf`). */
  inputs: InputViews | undefined;
  /** The context holds the input views (the last plugin was from outside ctnr). */
  viewing: boolean;
  /** Set when a plugin wrote through a view (even if it caught the error); checked after every plugin. */
  violation: string | undefined;
  /** Who wrote what (src/owners.ts). */
  owners: Owners;
  diagnostics: Diagnostic[];
  files: Map<string, BundleFile & { plugin: string }>;
  hostDirs: Map<string, string>;
  /** The plugin running now, and the one context every plugin of this service gets. */
  current: Current;
  ctx: MutableContext;
}


export function createEngine(options: EngineOptions): Engine {
  const root: Preset = {
    name: options.name ?? 'api',
    presets: options.presets ?? [],
    stages: options.stages ?? [],
    plugins: options.plugins ?? [],
    disable: options.disable ?? [],
  };
  const plan = resolvePlan(root);
  const strict = options.strict ?? false;
  const timeoutMs = options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  const baseSpec = options.baseSpec;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new CtnrError('USAGE', `pluginTimeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }

  // Public stage hooks (tapable): programmatic users and presets may tap `engine.hooks[stage]` to observe each
  // stage's result. They are called only when something tapped them, so the per-service path pays nothing.
  const hooks: Record<string, AsyncSeriesHook<[StageEvent]>> = Object.create(null);
  for (const stage of plan.stages) hooks[stage.name] = new AsyncSeriesHook<[StageEvent]>(['event']);
  // The compiled plan: per stage its name, hook, and mutators and validators as steps (see Step).
  const stages = plan.stages.map((stage) => ({
    name: stage.name,
    hook: hooks[stage.name]!,
    mutators: stage.plugins.map(toStep),
    validators: stage.validators.map(toStep),
  }));
  // Every service of a run usually shares one project object: its defaults are filled in once, not per service.
  let lastProject: { given: ServiceInput['project']; filled: Project } | undefined;
  const projectOf = (given: ServiceInput['project']): Project => {
    if (given !== undefined && lastProject?.given === given) return lastProject.filled;
    const filled: Project = { name: 'default', volumes: {}, networks: {}, secrets: {}, configs: {}, ...given };
    if (given !== undefined) lastProject = { given, filled };
    return filled;
  };

  return {
    plan,
    hooks,
    async run(input, env) {
      const state: RunState = {
        input,
        env,
        project: projectOf(input.project),
        source: input.source ?? { dir: process.cwd(), locate: () => undefined },
        doc: baseSpec(),
        trace: [],
        views: undefined,
        inputs: undefined,
        viewing: false,
        violation: undefined,
        owners: new Owners(),
        diagnostics: [],
        files: new Map(),
        hostDirs: new Map(),
        current: { planned: undefined as unknown as Step, stage: '', errors: undefined },
        ctx: undefined as unknown as MutableContext,
      };
      state.ctx = createContext(state, state.current);
      // The compiled plan: a flat walk over the planned plugins. apply() may return ops or a promise of them;
      // only a thenable is awaited, so synchronous plugins cost one call each and no promise. Indexed loops: in
      // this async function a for-of over the arrays paid for the iterator protocol on every plugin.
      for (let s = 0; s < stages.length; s++) {
        const stage = stages[s]!;
        const mutators = stage.mutators;
        for (let i = 0; i < mutators.length; i++) {
          const pending = runMutator(state, stage.name, mutators[i]!, strict, timeoutMs);
          if (pending !== undefined) await pending;
        }
        const hook = stage.hook;
        if (hook.taps.length > 0) {
          // Its own views: a hook that tries to write gets a TypeError, and no plugin is blamed for it.
          const views = createViews(() => {});
          await hook.promise({ serviceName: input.name, stage: stage.name, spec: views.view(state.doc), trace: views.view(state.trace) });
        }
      }
      const violations: Result['violations'] = [];
      for (let s = 0; s < stages.length; s++) {
        const stage = stages[s]!;
        for (let i = 0; i < stage.validators.length; i++) {
          const planned = stage.validators[i]!;
          const pending = runValidator(state, stage.name, planned, timeoutMs);
          const found = Array.isArray(pending) ? pending : await pending;
          for (const v of found) {
            violations.push({
              ...v,
              plugin: v.plugin ?? state.owners.ownerOf(splitPointer(v.pointer)),
              validator: planned.name,
              stage: stage.name,
              presetChain: planned.presetChain,
            });
          }
        }
      }
      const trace = state.trace;
      return {
        serviceName: input.name,
        spec: state.doc,
        trace,
        diagnostics: state.diagnostics,
        files: sortedFiles(state.files),
        hostDirs: sortedHostDirs(state.hostDirs),
        violations,
        blame: (ptr) => trace.filter((t) => related(t.pointer, ptr)),
      };
    },
  };
}

function sortedFiles(files: RunState['files']): Result['files'] {
  return sortByPath([...files.values()]);
}

function sortedHostDirs(dirs: RunState['hostDirs']): Result['hostDirs'] {
  const list: Result['hostDirs'] = [];
  for (const [p, plugin] of dirs) list.push({ path: p, plugin });
  return sortByPath(list);
}

/**
 * Sorted by path (code-unit order), in place. An insertion sort: a service declares a handful of files and
 * directories, and for those it beats Array.prototype.sort calling a comparator. Paths are unique (map keys).
 */
function sortByPath<T extends { path: string }>(list: T[]): T[] {
  for (let i = 1; i < list.length; i++) {
    const item = list[i]!;
    let j = i - 1;
    while (j >= 0 && list[j]!.path > item.path) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = item;
  }
  return list;
}

/** A `..` segment in a `/`-separated path (the `includes` test first: most paths have no `..` at all). */
function hasDotDotSegment(p: string): boolean {
  return p.includes('..') && p.split('/').includes('..');
}

function related(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '/') || b.startsWith(a + '/') || b === '' || a === '';
}

function viewsOf(state: RunState): ViewSet {
  return (state.views ??= createViews((what) => (state.violation ??= what)));
}

type InputViews = Pick<PluginContext, 'service' | 'project' | 'image' | 'env' | 'source' | 'files'>;

/**
 * The service, project, image config, env, source and bundle files as plugins from outside ctnr see them: read-only like
 * the spec. Changing `ctx.service` would have changed what ctnr's later plugins read, and the trace would have
 * blamed them for a value nobody can see in the compose file.
 */
function inputViewsOf(state: RunState): InputViews {
  if (state.inputs === undefined) {
    const onWrite = (what: string) => (state.violation ??= what);
    const views = (label: string) => createViews(onWrite, label);
    state.inputs = {
      service: views('ctx.service').view(state.input.service),
      project: views('ctx.project').view(state.project),
      image: views('ctx.image').view(state.input.image),
      env: views('ctx.env').view(state.env),
      source: views('ctx.source').view(state.source),
      files: readonlyMap(state.files, views('ctx.files'), 'ctx.files', onWrite),
    };
  }
  return state.inputs;
}

/**
 * A planned plugin as the per-service loop calls it: what it reads of the plugin, copied into one object shape
 * when the engine is created. Plugins are objects of many shapes, so reading `plugin.apply`/`.name`/`.options`
 * per call was a megamorphic lookup each; a step's fields are read at one shape.
 */
interface Step extends PlannedPlugin {
  readonly name: string;
  readonly apply: Plugin['apply'];
  readonly validate: Plugin['validate'];
  readonly options: unknown;
  readonly timeoutMs: number | undefined;
  /** Named `ctnr:…`: may write ctnr's own annotations. */
  readonly ctnrNamed: boolean;
}

function toStep(planned: PlannedPlugin): Step {
  const plugin = planned.plugin;
  return {
    plugin,
    presetChain: planned.presetChain,
    builtin: planned.builtin,
    name: plugin.name,
    apply: plugin.apply,
    validate: plugin.validate,
    options: plugin.options,
    timeoutMs: plugin.timeoutMs,
    ctnrNamed: plugin.name.startsWith(CTNR_PLUGIN_PREFIX),
  };
}

/** The plugin being run: the context's warn/error and the engine's checks report against it. */
interface Current {
  planned: Step;
  stage: string;
  /** Errors it reported through ctx.error (made on the first one). */
  errors: CtnrError[] | undefined;
}

/** The context plugins see, writable by the engine: one per service, its per-plugin fields set before each call. */
type MutableContext = { -readonly [K in keyof PluginContext]: PluginContext[K] };

/**
 * One context per service (not one per plugin call): the service's fields are set once, and `spec`, `trace`
 * and `options` are set before each plugin runs. A plugin that returns a promise is awaited before the next one
 * starts, so its context does not change under it while it runs. warn/error/ownerOf are closures, so plugins
 * may destructure them.
 */
function createContext(state: RunState, cur: Current): MutableContext {
  const { input, source } = state;
  const where = (path: string | ReadonlyArray<string | number> | undefined) => {
    if (path === undefined) return {};
    const segs = typeof path === 'string' ? parsePath(path) : path;
    return { path: renderPath(['services', input.name, ...segs]), location: source.locate(segs) };
  };
  return {
    serviceName: input.name,
    service: input.service,
    project: state.project,
    source,
    image: input.image,
    spec: state.doc,
    env: state.env,
    options: undefined,
    trace: state.trace,
    files: state.files,
    ownerOf: (ptr) => state.owners.ownerOf(splitPointer(ptr)),
    warn(message, path, code) {
      const w = where(path);
      state.diagnostics.push({ level: 'warning', code: code ?? 'WARN', message, plugin: cur.planned.name, ...w });
    },
    error(message, path, code) {
      const w = where(path);
      (cur.errors ??= []).push(new CtnrError((code as any) ?? 'SERVICE_INVALID', message, {
        ...w,
        plugin: cur.planned.name,
        stage: cur.stage,
        presetChain: cur.planned.presetChain,
      }));
    },
  };
}

/** Point the service's context at `planned`: ctnr's own plugins see the spec and inputs themselves, others read-only views. */
function enter(state: RunState, planned: Step, stage: string): MutableContext {
  const cur = state.current;
  cur.planned = planned;
  cur.stage = stage;
  cur.errors = undefined;
  const ctx = state.ctx;
  ctx.options = planned.options;
  if (planned.builtin) {
    ctx.spec = state.doc;
    ctx.trace = state.trace;
    if (state.viewing) {
      ctx.service = state.input.service;
      ctx.project = state.project;
      ctx.image = state.input.image;
      ctx.env = state.env;
      ctx.source = state.source;
      ctx.files = state.files;
      state.viewing = false;
    }
  } else {
    ctx.spec = viewsOf(state).view(state.doc);
    ctx.trace = viewsOf(state).view(state.trace);
    if (!state.viewing) {
      Object.assign(ctx, inputViewsOf(state));
      state.viewing = true;
    }
  }
  return ctx;
}

/** Give an error thrown inside a plugin its plugin name, stage, preset chain and source location. */
function decorate(err: unknown, state: RunState, planned: Step, stage: string): CtnrError {
  if (isCtnrError(err)) {
    err.plugin ??= planned.name;
    err.stage ??= stage;
    err.presetChain ??= planned.presetChain;
    if (err.path !== undefined && !err.path.startsWith('services.')) {
      const segs = parsePath(err.path);
      err.location ??= state.source.locate(segs);
      err.path = renderPath(['services', state.input.name, ...segs]);
    }
    return err;
  }
  const e = err as Error;
  return new CtnrError('PLUGIN_FAILED', `plugin threw: ${e?.message ?? String(err)}`, {
    plugin: planned.name,
    stage,
    presetChain: planned.presetChain,
    cause: err,
  });
}

function failWith(errors: CtnrError[]): never {
  const [first, ...rest] = errors;
  if (rest.length > 0) {
    (first as { details: readonly string[] }).details = [
      ...(first!.details ?? []),
      ...rest.map((e) => `${e.location ? `${e.location.file}:${e.location.line ?? '?'}:${e.location.col ?? '?'} ` : ''}${e.path ? e.path + ': ' : ''}${e.message}`),
    ];
  }
  throw first;
}

/** A plugin wrote through its read-only view of the spec (the failure stands even if it caught the TypeError). */
function mutationError(state: RunState, planned: Step, stage: string, cause?: unknown): CtnrError {
  const what = state.violation!;
  state.violation = undefined;
  return new CtnrError('PLUGIN_FAILED', `plugin changed the spec instead of returning ops (${what})`, {
    plugin: planned.name, stage, presetChain: planned.presetChain, ...(cause === undefined ? {} : { cause }),
  });
}

/** The error a plugin's apply()/validate() threw, named; a write through the read-only view comes first. */
function failure(err: unknown, state: RunState, planned: Step, stage: string): CtnrError {
  return state.violation !== undefined ? mutationError(state, planned, stage, err) : decorate(err, state, planned, stage);
}

/**
 * An async apply()/validate() that has not settled after `ms` fails with PLUGIN_TIMEOUT naming the plugin. The
 * timer is cleared the moment the call settles, so it never outlives it. While the call is pending the timer
 * does keep the process alive, on purpose: a promise that waits on nothing would otherwise let Node end the
 * process silently (exit 13 under a top-level await) before the error is reported.
 */
function withTimeout<T>(promise: PromiseLike<T>, ms: number, planned: Step, stage: string, fn: 'apply' | 'validate'): Promise<T> {
  if (ms === Infinity) return Promise.resolve(promise);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new CtnrError('PLUGIN_TIMEOUT', `${fn}() did not settle within ${ms} ms (a plugin that needs longer sets \`timeoutMs\`)`, {
        plugin: planned.name, stage, presetChain: planned.presetChain,
      }));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Run one mutator; returns a promise only when its apply() did (the common synchronous case stays synchronous). */
function runMutator(state: RunState, stage: string, planned: Step, strict: boolean, timeoutMs: number): Promise<void> | undefined {
  const ctx = enter(state, planned, stage);
  const before = strict ? JSON.stringify(state.doc) : '';
  state.violation = undefined;
  let result: PluginOutput | Promise<PluginOutput>;
  try {
    result = planned.apply!.call(planned.plugin, ctx);
  } catch (err) {
    throw failure(err, state, planned, stage);
  }
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    return withTimeout(result as Promise<PluginOutput>, planned.timeoutMs ?? timeoutMs, planned, stage, 'apply').then(
      (out) => applyOutput(state, stage, planned, strict, before, out),
      (err) => {
        throw failure(err, state, planned, stage);
      },
    );
  }
  applyOutput(state, stage, planned, strict, before, result as PluginOutput);
  return undefined;
}

function applyOutput(state: RunState, stage: string, planned: Step, strict: boolean, before: string, result: PluginOutput): void {
  if (state.violation !== undefined) throw mutationError(state, planned, stage);
  if (strict && JSON.stringify(state.doc) !== before) {
    throw new CtnrError('PLUGIN_FAILED', 'plugin mutated the spec instead of returning ops', {
      plugin: planned.name, stage, presetChain: planned.presetChain,
    });
  }
  if (state.current.errors !== undefined) failWith(state.current.errors);
  const output = result as PluginOutput;
  const list = (Array.isArray(output) ? output : (output as { ops?: readonly Operation[] })?.ops ?? []) as readonly Operation[];
  if (!Array.isArray(output)) {
    if (!output || typeof output !== 'object') {
      throw new CtnrError('OP_INVALID', `apply() must return an array of ops or { ops, files }, got ${output === null ? 'null' : typeof output}`, {
        plugin: planned.name, stage, presetChain: planned.presetChain,
      });
    }
    for (const file of (output as { files?: readonly BundleFile[] }).files ?? []) {
      const problem = bundleFileProblem(file);
      if (problem) throw new CtnrError('OP_INVALID', `bundle file ${JSON.stringify(file?.path)}: ${problem}`, { plugin: planned.name, stage, presetChain: planned.presetChain });
      state.files.set(file.path, withPlugin(file, planned, stage));
    }
    for (const dir of (output as { hostDirs?: readonly string[] }).hostDirs ?? []) {
      if (typeof dir !== 'string' || !dir.startsWith('/') || hasDotDotSegment(dir)) {
        throw new CtnrError('OP_INVALID', `host directory ${JSON.stringify(dir)} must be an absolute path without ".."`, { plugin: planned.name, stage, presetChain: planned.presetChain });
      }
      state.hostDirs.set(dir, planned.name);
    }
  }
  if (!Array.isArray(list)) {
    throw new CtnrError('OP_INVALID', `apply() must return an array of ops, got ${typeof list}`, {
      plugin: planned.name, stage, presetChain: planned.presetChain,
    });
  }
  // Most plugins change nothing for most services: that costs no more than the checks above.
  if (list.length === 0) return;
  const info = { stage, presetChain: planned.presetChain };
  for (let i = 0; i < list.length; i++) {
    const given = list[i]!;
    // The shape check is for plugins from outside ctnr. ctnr's own build their ops with `ops`/`pointer` and their
    // tests hold them to it; resolveOp still refuses what would be unsafe from anyone (a `__proto__` key).
    if (!planned.builtin) {
      const bad = checkOpShape(given, i);
      if (bad) throw new CtnrError('OP_INVALID', `op ${i} is malformed: ${bad.message}`, { plugin: planned.name, ...info });
    }
    // The engine's own record of the op: changing the op object afterwards changes nothing in the trace.
    // ctnr's own plugins build fresh ops and never touch them again (strict mode holds their tests to it).
    const op = planned.builtin ? given : ownOp(given, planned, i, stage);
    if ((op.op === 'move' || op.op === 'copy') && lookup(state.doc, op.from) === undefined) {
      throw opError(planned.name, i, op, `"from" ${op.from} does not exist`, info);
    }
    if (!planned.ctnrNamed && op.op !== 'test') {
      const problem = ctnrAnnotationWrite(state.doc, op);
      if (problem) {
        throw new CtnrError('OP_INVALID', `op ${i} (${op.op} ${op.path}) ${problem}: annotations under ${CTNR_ANNOTATION_PREFIX} are written only by ctnr's own plugins (named ${CTNR_PLUGIN_PREFIX}…)`, {
          plugin: planned.name, ...info,
        });
      }
    }
    const resolved = resolveOp(state.doc, op);
    if (typeof resolved === 'string') throw opError(planned.name, i, op, resolved, info);
    if (op.op === 'test') {
      try {
        applyOpInPlace(state.doc, op);
      } catch (err) {
        throw opError(planned.name, i, op, (err as Error).message.split('\n')[0]!, info);
      }
      continue;
    }
    if (op.op === 'move') state.owners.touch(splitPointer(op.from), true);
    const value = (op as { value?: unknown }).value;
    const shared = value !== null && typeof value === 'object' && Object.isFrozen(value);
    const entry: TraceEntry = { plugin: planned.name, stage, presetChain: planned.presetChain, op, pointer: resolved.pointer };
    const source = (given as { source?: unknown }).source;
    if (typeof source === 'string' && source !== '') entry.source = source;
    const sharesValue = (op.op === 'add' || op.op === 'replace') && value !== null && typeof value === 'object' && !shared;
    // One walk down the trie, before the document changes: the previous owner (and a snapshot of any earlier
    // value this op changes inside), then this entry.
    const prior = state.owners.claim(resolved.segs, entry, resolved.existed, sharesValue);
    if (resolved.existed) {
      const overrode = prior?.plugin ?? BASE_OWNER;
      if (overrode !== planned.name) entry.overrode = overrode;
    }
    // Frozen values are shared data (a profile, a default list): the document gets its own copy.
    if (op.op === 'add' || op.op === 'replace' || op.op === 'remove') {
      applyResolved(op.op, resolved, shared ? jsonClone(value) : value);
    } else {
      try {
        applyOpInPlace(state.doc, op);
      } catch (err) {
        throw opError(planned.name, i, op, (err as Error).message.split('\n')[0]!, info);
      }
    }
    state.trace.push(entry);
  }
}


/**
 * The engine's own record of an op from a plugin outside ctnr, its value copied (`ownData`). ctnr's own plugins
 * return fresh ops and values (their tests run in strict mode), which the document takes by reference.
 */
function ownOp(op: Operation, planned: Step, index: number, stage: string): Operation {
  switch (op.op) {
    case 'add':
    case 'replace':
    case 'test': {
      const value = ownData(op.value, `op ${index} (${op.op} ${op.path}): the value`, planned, stage);
      return { op: op.op, path: op.path, value } as Operation;
    }
    case 'remove':
      return { op: 'remove', path: op.path };
    default:
      return { op: op.op, from: (op as { from: string }).from, path: op.path } as Operation;
  }
}

/**
 * Why `op` writes ctnr's annotations (`/annotations/io.ctnr.*`, or all of `/annotations` with other
 * `io.ctnr.*` entries than now), or undefined. Checked for plugins not named `ctnr:…`.
 */
function ctnrAnnotationWrite(doc: Spec, op: Operation): string | undefined {
  const target = splitPointer(op.path);
  if (target[0] === 'annotations') {
    if (target.length > 1) {
      if (target[1]!.startsWith(CTNR_ANNOTATION_PREFIX)) return `writes annotation "${target[1]}"`;
    } else {
      const next = op.op === 'remove' ? undefined : op.op === 'move' || op.op === 'copy' ? lookup(doc, op.from) : (op as { value: unknown }).value;
      if (!sameCtnrEntries(doc.annotations, next)) return `changes the ${CTNR_ANNOTATION_PREFIX}* annotations`;
    }
  }
  if (op.op === 'move') {
    const from = splitPointer(op.from);
    if (from[0] === 'annotations' && (from.length > 1 ? from[1]!.startsWith(CTNR_ANNOTATION_PREFIX) : !sameCtnrEntries(doc.annotations, undefined))) {
      return `moves ${CTNR_ANNOTATION_PREFIX}* annotations away`;
    }
  }
  return undefined;
}

function sameCtnrEntries(a: unknown, b: unknown): boolean {
  const pick = (o: unknown): Array<[string, unknown]> =>
    o !== null && typeof o === 'object' && !Array.isArray(o)
      ? Object.entries(o).filter(([k]) => k.startsWith(CTNR_ANNOTATION_PREFIX)).sort(([x], [y]) => (x < y ? -1 : 1))
      : [];
  const x = pick(a);
  const y = pick(b);
  return x.length === y.length && x.every(([k, v], i) => y[i]![0] === k && y[i]![1] === v);
}

/**
 * A bundle file record. Built field by field: plugins return files of many shapes, and an object spread over
 * them falls to V8's slow generic path (it was the engine's largest single cost per service).
 */
function withPlugin(file: BundleFile, planned: Step, stage: string): BundleFile & { plugin: string } {
  const rec: BundleFile & { plugin: string } = { path: file.path, plugin: planned.name };
  if (file.kind !== undefined) rec.kind = file.kind;
  if (file.content !== undefined) rec.content = file.content;
  if (file.json !== undefined) rec.json = planned.builtin ? file.json : ownData(file.json, `bundle file ${JSON.stringify(file.path)}: json`, planned, stage);
  if (file.copyFrom !== undefined) rec.copyFrom = file.copyFrom;
  if (file.mode !== undefined) rec.mode = file.mode;
  if (file.uid !== undefined) rec.uid = file.uid;
  if (file.gid !== undefined) rec.gid = file.gid;
  if (file.secret !== undefined) rec.secret = file.secret;
  return rec;
}

/**
 * A copy of data from a plugin outside ctnr (an op's value, a bundle file's `json`), checked to be JSON data: the
 * plugin keeps no reference to what the engine records, and a read-only view in it becomes plain data.
 */
function ownData(value: unknown, what: string, planned: Step, stage: string): unknown {
  try {
    return copyValue(value);
  } catch (err) {
    throw new CtnrError('OP_INVALID', `${what} ${(err as Error).message}`, { plugin: planned.name, stage, presetChain: planned.presetChain, cause: err });
  }
}

/** Run one validator; its violations, or a promise of them only when its validate() returned a promise. */
function runValidator(state: RunState, stage: string, planned: Step, timeoutMs: number): readonly Violation[] | Promise<readonly Violation[]> {
  const ctx = enter(state, planned, stage);
  state.violation = undefined;
  let out: readonly Violation[] | PromiseLike<readonly Violation[]>;
  try {
    out = planned.validate!.call(planned.plugin, ctx);
  } catch (err) {
    throw failure(err, state, planned, stage);
  }
  if (out && typeof (out as PromiseLike<unknown>).then === 'function') {
    return withTimeout(out as PromiseLike<readonly Violation[]>, planned.timeoutMs ?? timeoutMs, planned, stage, 'validate').then(
      (result) => checkedViolations(state, planned, stage, result),
      (err: unknown) => {
        throw failure(err, state, planned, stage);
      },
    );
  }
  return checkedViolations(state, planned, stage, out as readonly Violation[]);
}

function checkedViolations(state: RunState, planned: Step, stage: string, result: readonly Violation[]): readonly Violation[] {
  if (state.violation !== undefined) throw mutationError(state, planned, stage);
  if (state.current.errors !== undefined) failWith(state.current.errors);
  if (!Array.isArray(result)) {
    throw new CtnrError('PLUGIN_FAILED', 'validate() must return an array of violations', {
      plugin: planned.name, stage, presetChain: planned.presetChain,
    });
  }
  return result;
}
