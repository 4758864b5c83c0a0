import type { z } from 'zod';
import { CtnrError, renderPath } from './errors.js';

/** Validate a plugin factory's options; a bad option names the plugin and the option's key path. */
export function pluginOptions<S extends z.ZodType>(plugin: string, schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${renderPath(['options', ...(i.path as Array<string | number>)])}: ${i.message}`);
  throw new CtnrError('PLUGIN_OPTIONS', issues[0]!, { plugin, details: issues.slice(1) });
}
