import type { z } from 'zod';
import { pluginOptions } from '../src/engine/options.js';

/**
 * A plugin factory's option check with its schema built on first use: the default preset calls every factory,
 * mostly without options, and the schemas built at import (some eighty zod schemas in all) cost every `ctnr spec`
 * before any plugin ran. No options at all (`undefined`, or `{}` with no keys of any kind) need no schema: each
 * schema given here is an object of optional keys without defaults, which makes `{}` of them, as
 * test/unit/plugins/options.test.ts checks for every one.
 */
export function lazyOptions<S extends z.ZodType>(plugin: string, build: () => S): (options: unknown) => z.output<S> {
  let schema: S | undefined;
  const check = (options: unknown): z.output<S> => (isEmpty(options) ? ({} as z.output<S>) : pluginOptions(plugin, (schema ??= build()), options));
  REGISTERED.push({ plugin, build });
  return check;
}

/** Every lazyOptions so far, for the test. */
export const REGISTERED: Array<{ plugin: string; build: () => z.ZodType }> = [];

function isEmpty(options: unknown): boolean {
  return options === undefined || (options !== null && typeof options === 'object' && Object.getPrototypeOf(options) === Object.prototype && Reflect.ownKeys(options).length === 0);
}
