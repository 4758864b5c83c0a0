import type { Plugin, Preset } from './types.js';
import { pluginOptions } from './options.js';

/**
 * A plugin, as given. With an `optionsSchema` its `options` are checked now (a bad value is a PLUGIN_OPTIONS
 * CtnrError naming the plugin and the option's key path) and the returned copy carries the parsed options.
 */
export function definePlugin<Options = undefined>(plugin: Plugin<Options>): Plugin<Options> {
  if (plugin !== null && typeof plugin === 'object' && plugin.optionsSchema !== undefined) {
    const options = pluginOptions(typeof plugin.name === 'string' && plugin.name !== '' ? plugin.name : '(unnamed plugin)', plugin.optionsSchema, plugin.options) as Options;
    return { ...plugin, options };
  }
  return plugin;
}

/** An identity helper: it exists for type inference in the user's editor (`ctnr.config.ts`). */
export function definePreset(preset: Preset): Preset {
  return preset;
}
