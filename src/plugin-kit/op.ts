import { lookup, ops, pointer } from '../engine/patch.js';
import type { Mount } from '../spec/types.js';
import type { Operation } from '../engine/types.js';

/**
 * RFC 6902 op builders for plugins: each returns one plain op (`ensureParents` a list), so `apply` stays a
 * list of one-liners. Values go into the spec as given: pass fresh objects. Builders that take the current
 * `spec` (`ctx.spec`) look at it to pick the right op; several ops built from the same `spec` do not see each
 * other (two `op.env` calls for one name append twice).
 */
export const op = {
  /**
   * `add` at `path`: creates the member, or replaces it when it exists (RFC 6902 `add` on an object member).
   * The parent must exist (see `ensureParents`). On an array index `add` inserts: use it for object members.
   */
  set(path: string, value: unknown): Operation {
    return { op: 'add', path, value };
  },

  /**
   * Append `value` to the array at `path` (`add path/-`). The array must exist; given the current `spec`,
   * a missing array is created holding `value` instead (one op either way; its parent must exist).
   */
  append(path: string, value: unknown, spec?: unknown): Operation {
    if (spec !== undefined && lookup(spec, path) === undefined) return { op: 'add', path, value: [value] };
    return { op: 'add', path: `${path}/-`, value };
  },

  /** `remove` at `path` (the target must exist: look before you remove). */
  remove(path: string): Operation {
    return { op: 'remove', path };
  },

  /**
   * Set annotation `key` (`~` and `/` in it are escaped as `~0` and `~1`). `/annotations` must exist; given the
   * current `spec`, a missing `/annotations` is created holding this one key. `io.ctnr.*` keys are ctnr's own.
   */
  annotation(key: string, value: string, spec?: unknown): Operation {
    if (spec !== undefined && lookup(spec, '/annotations') === undefined) return { op: 'add', path: '/annotations', value: { [key]: value } };
    return { op: 'add', path: pointer('annotations', key), value };
  },

  /**
   * Set environment variable `name` in `process.env`: replaces the existing `NAME=` entry at its index, else
   * appends (creating `process.env` when missing). `spec` is the current spec (`ctx.spec`).
   */
  env(name: string, value: string, spec: unknown): Operation {
    if (typeof name !== 'string' || name === '' || name.includes('=')) throw new TypeError(`op.env: ${JSON.stringify(name)} is not an environment variable name`);
    const entry = `${name}=${value}`;
    const list: unknown = lookup(spec, '/process/env');
    if (!Array.isArray(list)) return { op: 'add', path: '/process/env', value: [entry] };
    const prefix = `${name}=`;
    const index = list.findIndex((e) => typeof e === 'string' && e.startsWith(prefix));
    return index >= 0 ? { op: 'replace', path: `/process/env/${index}`, value: entry } : { op: 'add', path: '/process/env/-', value: entry };
  },

  /**
   * Append a mount to `/mounts`. Order matters to the runtime (a mount must follow the mount of its parent
   * path): in the mounts stage `ctnr:mount-order` runs last and fixes the order; a plugin of a later stage
   * appends after everything, which is right for a new leaf path.
   */
  mount(mount: Mount, spec?: unknown): Operation {
    return op.append('/mounts', mount, spec);
  },

  /** `add {}` ops for the missing parent objects of `path` (e.g. `/linux/resources/pids`), outermost first. */
  ensureParents(spec: unknown, path: string): Operation[] {
    return ops.ensureParents(spec, path);
  },

  /** A JSON pointer from segments, each escaped: `op.pointer('annotations', 'com.example/x')`. */
  pointer,
};
