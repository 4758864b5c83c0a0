import { CtnrError, didYouMean } from './errors.js';
import type { Plugin, Preset, StageDeclaration } from './types.js';
import { CTNR_PLUGIN_PREFIX, isShippedPreset } from './reserved.js';

/** A plugin as placed in a plan, with the chain of presets that brought it in. */
export interface PlannedPlugin {
  readonly plugin: Plugin;
  /** e.g. `['ctnr.config.ts', 'ctnr:preset-default']` — outermost first. */
  readonly presetChain: readonly string[];
  /** Listed by a preset shipped with ctnr (`shippedPreset`, src/engine/reserved.ts): the engine trusts it with the spec itself. */
  readonly builtin: boolean;
}

export interface PlannedStage {
  readonly name: string;
  /** Where the stage was declared. */
  readonly presetChain: readonly string[];
  /** Mutators in run order. */
  readonly plugins: readonly PlannedPlugin[];
  /** Validators in run order (they run after every stage's mutators). */
  readonly validators: readonly PlannedPlugin[];
}

export interface Plan {
  readonly stages: readonly PlannedStage[];
  /** Names disabled by some preset, with who disabled them. */
  readonly disabled: ReadonlyArray<{ name: string; presetChain: readonly string[] }>;
}

interface StageSlot {
  name: string;
  presetChain: readonly string[];
}

interface PluginSlot {
  plugin: Plugin;
  presetChain: readonly string[];
  builtin: boolean;
  /** Position of the first listing: a plugin listed again keeps it (babel's rule). */
  position: number;
}

const TIER = { pre: 0, normal: 1, post: 2 } as const;

/**
 * Flatten presets depth-first (a preset's own presets first, then its stages, plugins and disables), apply
 * swaps and disables, then order every stage. All name references are checked here, before any service runs.
 */
export function resolvePlan(root: Preset): Plan {
  const stages: StageSlot[] = [];
  const plugins = new Map<string, PluginSlot>();
  const disables: Array<{ name: string; presetChain: readonly string[] }> = [];
  let position = 0;

  const visit = (preset: Preset, parentChain: readonly string[], seen: Set<Preset>): void => {
    if (!preset || typeof preset !== 'object' || typeof preset.name !== 'string' || preset.name === '') {
      throw new CtnrError('PLUGIN_INVALID', 'a preset must be an object with a non-empty "name"', {
        presetChain: parentChain,
      });
    }
    const chain = [...parentChain, preset.name];
    // Shipped with ctnr is a fact about the object (src/engine/reserved.ts), never about its name; the root (the
    // config file or the API caller) is never trusted that way.
    const builtin = parentChain.length > 0 && isShippedPreset(preset);
    if (!builtin && parentChain.length > 0 && preset.name.startsWith(CTNR_PLUGIN_PREFIX)) {
      throw new CtnrError('PLUGIN_INVALID', `preset "${preset.name}" from ${parentChain.join(' › ')}: the "ctnr:" prefix is reserved for presets shipped with ctnr; give it your own prefix (e.g. "acme:${preset.name.slice(5)}")`, {
        presetChain: chain,
      });
    }
    if (seen.has(preset)) {
      throw new CtnrError('ORDER_CYCLE', `preset "${preset.name}" includes itself`, { presetChain: chain });
    }
    seen.add(preset);
    for (const nested of preset.presets ?? []) visit(nested, chain, seen);
    seen.delete(preset);

    for (const decl of preset.stages ?? []) addStage(stages, typeof decl === 'string' ? { name: decl } : decl, chain);
    for (const plugin of preset.plugins ?? []) {
      checkPluginShape(plugin, chain);
      const existing = plugins.get(plugin.name);
      if (existing) {
        // Taking the name (and place) of one of ctnr's own plugins must be said out loud outside ctnr's presets.
        if (plugin.name.startsWith('ctnr:') && !builtin && plugin.replace !== true) {
          throw new CtnrError('PLUGIN_INVALID', `plugin "${plugin.name}" from ${chain.join(' › ')} has the name of ctnr's plugin from ${existing.presetChain.join(' › ')}: set \`replace: true\` on it to take that plugin's place, or give it your own prefix`, {
            plugin: plugin.name,
            presetChain: chain,
            details: [`defined by ${existing.presetChain.join(' › ')}`, `redefined by ${chain.join(' › ')}`],
          });
        }
        existing.plugin = plugin;
        existing.presetChain = chain;
        existing.builtin = builtin;
      } else {
        if (plugin.replace === true) {
          throw new CtnrError('PLUGIN_INVALID', `plugin "${plugin.name}" says \`replace: true\` but no earlier plugin has that name${didYouMean(plugin.name, plugins.keys())}`, {
            plugin: plugin.name,
            presetChain: chain,
          });
        }
        // The ctnr: prefix marks ctnr's own plugins (only they may write io.ctnr.* annotations): a config or a
        // third-party preset cannot mint a new one.
        if (plugin.name.startsWith('ctnr:') && !builtin) {
          throw new CtnrError('PLUGIN_INVALID', `plugin "${plugin.name}" from ${chain.join(' › ')}: the "ctnr:" prefix is reserved for ctnr's own plugins; give it your own prefix (e.g. "acme:${plugin.name.slice(5)}")`, {
            plugin: plugin.name,
            presetChain: chain,
          });
        }
        plugins.set(plugin.name, { plugin, presetChain: chain, builtin, position: position++ });
      }
    }
    for (const name of preset.disable ?? []) disables.push({ name, presetChain: chain });
  };
  visit(root, [], new Set());

  for (const d of disables) {
    if (!plugins.has(d.name)) {
      throw new CtnrError('ORDER_UNKNOWN', `cannot disable unknown plugin "${d.name}"${didYouMean(d.name, plugins.keys())}`, {
        presetChain: d.presetChain,
      });
    }
  }
  const disabledNames = new Set(disables.map((d) => d.name));

  const stageNames = stages.map((s) => s.name);
  const byStage = new Map<string, PluginSlot[]>(stageNames.map((n) => [n, []]));
  for (const slot of plugins.values()) {
    if (disabledNames.has(slot.plugin.name)) continue;
    const list = byStage.get(slot.plugin.stage);
    if (!list) {
      throw new CtnrError(
        'STAGE_UNKNOWN',
        `plugin "${slot.plugin.name}" names unknown stage "${slot.plugin.stage}"${didYouMean(slot.plugin.stage, stageNames)}`,
        { plugin: slot.plugin.name, presetChain: slot.presetChain },
      );
    }
    list.push(slot);
  }
  for (const list of byStage.values()) list.sort((a, b) => a.position - b.position);

  const stageOf = new Map<string, string>();
  for (const slot of plugins.values()) stageOf.set(slot.plugin.name, slot.plugin.stage);

  return {
    stages: stages.map((s) => {
      const ordered = orderStage(s.name, byStage.get(s.name) ?? [], stageOf, disabledNames);
      return {
        name: s.name,
        presetChain: s.presetChain,
        plugins: ordered.filter((p) => p.plugin.apply),
        validators: ordered.filter((p) => p.plugin.validate),
      };
    }),
    disabled: disables,
  };
}

function addStage(stages: StageSlot[], decl: StageDeclaration, chain: readonly string[]): void {
  if (!decl || typeof decl.name !== 'string' || decl.name === '') {
    throw new CtnrError('PLUGIN_INVALID', 'a stage needs a non-empty name', { presetChain: chain });
  }
  if (decl.before && decl.after) {
    throw new CtnrError('PLUGIN_INVALID', `stage "${decl.name}" cannot be both before "${decl.before}" and after "${decl.after}"`, {
      presetChain: chain,
    });
  }
  const existing = stages.findIndex((s) => s.name === decl.name);
  const anchor = decl.before ?? decl.after;
  if (anchor === undefined) {
    if (existing < 0) stages.push({ name: decl.name, presetChain: chain });
    return;
  }
  if (existing >= 0) stages.splice(existing, 1);
  const at = stages.findIndex((s) => s.name === anchor);
  if (at < 0) {
    throw new CtnrError(
      'STAGE_UNKNOWN',
      `stage "${decl.name}" is placed ${decl.before ? 'before' : 'after'} unknown stage "${anchor}"${didYouMean(anchor, stages.map((s) => s.name))}`,
      { presetChain: chain },
    );
  }
  stages.splice(decl.before ? at : at + 1, 0, { name: decl.name, presetChain: chain });
}

/** What is wrong with a plugin's shape, and under which key (undefined: nothing). */
export interface PluginShapeProblem {
  message: string;
  key?: string;
}

/**
 * The rules for a plugin object, in one place: the engine applies them to every planned plugin, and the config
 * schema (src/config/schema.ts) to the plugins a config file lists, so both say the same thing.
 */
export function pluginShapeProblem(plugin: unknown): PluginShapeProblem | undefined {
  if (!plugin || typeof plugin !== 'object') return { message: 'a plugin must be an object' };
  const p = plugin as Record<string, unknown>;
  for (const key of ['name', 'stage'] as const) {
    const v = p[key];
    if (v === undefined || v === '') return { message: key === 'name' ? 'a plugin needs a non-empty "name"' : 'a plugin needs a "stage"', key };
    if (typeof v !== 'string') return { message: `"${key}" must be a non-empty string, not ${JSON.stringify(v) ?? typeof v}`, key };
  }
  if (typeof p.apply !== 'function' && typeof p.validate !== 'function') return { message: 'a plugin needs an "apply" or a "validate" function' };
  for (const key of ['apply', 'validate'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'function') return { message: `"${key}" must be a function`, key };
  }
  if (p.enforce !== undefined && p.enforce !== 'pre' && p.enforce !== 'post') {
    return { message: `"enforce" must be "pre" or "post", not ${JSON.stringify(p.enforce)}`, key: 'enforce' };
  }
  for (const key of ['before', 'after'] as const) {
    const v = p[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === ''))) return { message: `"${key}" must be a list of plugin names`, key };
  }
  for (const key of ['replace', 'anySpec', 'exec'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'boolean') return { message: `"${key}" must be true or false, not ${JSON.stringify(p[key])}`, key };
  }
  const t = p.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && t > 0 && (Number.isSafeInteger(t) || t === Infinity))) {
    return { message: `"timeoutMs" must be a positive whole number of milliseconds (or Infinity), not ${JSON.stringify(t)}`, key: 'timeoutMs' };
  }
  return undefined;
}

function checkPluginShape(plugin: Plugin, chain: readonly string[]): void {
  const problem = pluginShapeProblem(plugin);
  if (problem === undefined) return;
  const named = typeof plugin?.name === 'string' && plugin.name !== '' ? { plugin: plugin.name, presetChain: chain } : { presetChain: chain };
  throw new CtnrError('PLUGIN_INVALID', problem.message, named);
}

/**
 * Stable topological sort: edges from before/after; among ready plugins the lowest (tier, listing position)
 * goes first. References to disabled plugins are dropped; unknown names, other stages and cycles are errors.
 */
function orderStage(
  stage: string,
  slots: PluginSlot[],
  stageOf: ReadonlyMap<string, string>,
  disabled: ReadonlySet<string>,
): PlannedPlugin[] {
  const index = new Map(slots.map((s, i) => [s.plugin.name, i]));
  const outgoing: number[][] = slots.map(() => []);
  const indegree = slots.map(() => 0);
  const edge = (from: number, to: number) => {
    outgoing[from]!.push(to);
    indegree[to]!++;
  };
  slots.forEach((slot, i) => {
    for (const [key, dir] of [['before', 1], ['after', -1]] as const) {
      for (const ref of slot.plugin[key] ?? []) {
        const j = index.get(ref);
        if (j === undefined) {
          if (disabled.has(ref)) continue;
          const otherStage = stageOf.get(ref);
          if (otherStage !== undefined) {
            throw new CtnrError(
              'ORDER_CROSS_STAGE',
              `"${key}: ${ref}" refers to a plugin of stage "${otherStage}"; order across stages comes from the stage order`,
              { plugin: slot.plugin.name, stage, presetChain: slot.presetChain },
            );
          }
          throw new CtnrError('ORDER_UNKNOWN', `"${key}" names unknown plugin "${ref}"${didYouMean(ref, stageOf.keys())}`, {
            plugin: slot.plugin.name,
            stage,
            presetChain: slot.presetChain,
          });
        }
        if (dir === 1) edge(i, j);
        else edge(j, i);
      }
    }
  });

  const ownRank = (i: number) => TIER[slots[i]!.plugin.enforce ?? 'normal'] * 1e9 + slots[i]!.position;
  // The plugin that declares `after`/`before` is the one that moves: it takes a place just behind (or in front
  // of) its anchor, and plugins listed in between keep theirs. Kahn's algorithm then enforces every edge.
  const effective: Array<number | undefined> = slots.map(() => undefined);
  const visiting = new Set<number>();
  const rankOf = (i: number): number => {
    if (effective[i] !== undefined) return effective[i]!;
    if (visiting.has(i)) return ownRank(i); // cycle: reported below
    visiting.add(i);
    const anchors = (key: 'before' | 'after') =>
      (slots[i]!.plugin[key] ?? []).map((n) => index.get(n)).filter((j): j is number => j !== undefined).map(rankOf);
    const after = anchors('after');
    const before = anchors('before');
    let r = ownRank(i);
    if (after.length > 0) r = Math.max(...after) + 1e-3;
    else if (before.length > 0) r = Math.min(...before) - 1e-3;
    visiting.delete(i);
    return (effective[i] = r);
  };
  const better = (a: number, b: number) => rankOf(a) - rankOf(b) || ownRank(a) - ownRank(b);
  const ready = slots.map((_, i) => i).filter((i) => indegree[i] === 0);
  const out: PlannedPlugin[] = [];
  while (ready.length > 0) {
    let best = 0;
    for (let k = 1; k < ready.length; k++) if (better(ready[k]!, ready[best]!) < 0) best = k;
    const i = ready.splice(best, 1)[0]!;
    out.push({ plugin: slots[i]!.plugin, presetChain: slots[i]!.presetChain, builtin: slots[i]!.builtin });
    for (const j of outgoing[i]!) if (--indegree[j]! === 0) ready.push(j);
  }
  if (out.length < slots.length) {
    const stuck = slots.filter((_, i) => indegree[i]! > 0);
    throw new CtnrError('ORDER_CYCLE', `plugins of stage "${stage}" order each other in a cycle`, {
      stage,
      details: stuck.map((s) => `${s.plugin.name} (before: ${(s.plugin.before ?? []).join(', ') || '-'}; after: ${(s.plugin.after ?? []).join(', ') || '-'}) from ${s.presetChain.join(' › ')}`),
    });
  }
  return out;
}
