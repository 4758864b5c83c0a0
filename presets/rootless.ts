import { z } from 'zod';
import { shippedPreset } from '../src/engine/reserved.js';
import { pluginOptions } from '../src/engine/options.js';
import type { Env, Plugin, PluginContext, Preset } from '../src/engine/types.js';
import { defaultPreset } from './default.js';

/** Built on first use: importing ctnr builds no zod schema. */
const optionsSchema = () =>
  z.strictObject({
    /** The unprivileged host user that will run the bundle (default: the user generating it). */
    uid: z.number().int().min(0).optional(),
    gid: z.number().int().min(0).optional(),
  });
export type RootlessPresetOptions = z.input<ReturnType<typeof optionsSchema>> & {
  /** The pipeline to adjust (default: the default preset). */
  base?: Preset;
};

/** Every plugin of `preset` and its nested presets, in listing order (later listings of a name win). */
function flattenPlugins(preset: Preset, out = new Map<string, Plugin>()): Map<string, Plugin> {
  for (const nested of preset.presets ?? []) flattenPlugins(nested, out);
  for (const plugin of preset.plugins ?? []) out.set(plugin.name, plugin);
  return out;
}

/** The same plugin, seeing `env` with `overrides` applied. */
function withEnv(plugin: Plugin, overrides: Partial<Env>): Plugin {
  const wrap = (ctx: PluginContext) => ({ ...ctx, env: { ...ctx.env, ...overrides } });
  return {
    ...plugin,
    ...(plugin.apply ? { apply: (ctx: PluginContext) => plugin.apply!(wrap(ctx)) } : {}),
    ...(plugin.validate ? { validate: (ctx: PluginContext) => plugin.validate!(wrap(ctx)) } : {}),
  };
}

/**
 * The default pipeline adjusted for an unprivileged user, whatever the command line says: every plugin of
 * the base preset sees `env.rootless = true` (and `uid`/`gid` when given), so the rootless stage adds the user
 * namespace and id mappings and the later stages drop what an unprivileged user cannot set. Use it to
 * generate, as root or in CI, bundles that a given user will run (`rootlessPreset({ uid: 1000, gid: 1000 })`).
 *
 * The plugins keep their names, so stacking this preset on a config that already uses the default preset
 * swaps each default plugin for its rootless-adjusted self in place. Plugins that come from the config (not
 * from the base preset) see the real environment.
 */
export function rootlessPreset(options: RootlessPresetOptions = {}): Preset {
  const { base, ...rest } = options;
  const opts = pluginOptions('ctnr:preset-rootless', optionsSchema(), rest);
  const source = base ?? defaultPreset();
  const overrides: Partial<Env> = { rootless: true, ...(opts.uid !== undefined ? { uid: opts.uid } : {}), ...(opts.gid !== undefined ? { gid: opts.gid } : {}) };
  const collectStages = (p: Preset): NonNullable<Preset['stages']> => [...(p.presets ?? []).flatMap(collectStages), ...(p.stages ?? [])];
  const collectDisable = (p: Preset): string[] => [...(p.presets ?? []).flatMap(collectDisable), ...(p.disable ?? [])];
  return shippedPreset({
    name: 'ctnr:preset-rootless',
    stages: collectStages(source),
    plugins: [...flattenPlugins(source).values()].map((p) => withEnv(p, overrides)),
    disable: collectDisable(source),
  });
}
