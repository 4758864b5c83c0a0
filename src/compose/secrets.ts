import path from 'node:path';
import { z } from 'zod';

/**
 * Top-level compose `secrets:` and `configs:` entries (compose-spec), read from the raw tables the loader
 * keeps in `Project` (interpolated, `file:` already absolute). One entry names where the data comes from:
 *
 * - `file:` a host file, copied into the bundle at bundle time;
 * - `environment:` a variable of the environment the bundle is made in;
 * - `content:` (configs only) inline text, interpolated like the rest of the file;
 * - `external:` a secret store ctnr does not have: refused.
 *
 * Error messages name keys and variable names, never values: a secret's value must not reach an error.
 */

export type SecretKind = 'secret' | 'config';

export type FileOrigin =
  | { from: 'file'; file: string }
  | { from: 'environment'; variable: string }
  | { from: 'content'; content: string };

/** The entry schemas, built on first use: a project without top-level secrets or configs needs none of them. */
function entrySchemas(): EntrySchemas {
  return (schemas ??= buildSchemas());
}

type EntrySchemas = ReturnType<typeof buildSchemas>;
let schemas: EntrySchemas | undefined;

function buildSchemas() {
  const common = {
    file: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    external: z.union([z.boolean(), z.object({ name: z.string().optional() }).loose()]).optional(),
    // Store-side metadata: accepted, changes nothing for a local bundle.
    name: z.string().optional(),
    labels: z.union([z.record(z.string(), z.unknown()), z.array(z.string())]).optional(),
    template_driver: z.string().optional(),
  };

  const secretEntry = z.strictObject({
    ...common,
    driver: z.string().optional(),
    driver_opts: z.record(z.string(), z.unknown()).optional(),
  });

  const configEntry = z.strictObject({
    ...common,
    content: z.string().optional(),
  });

  return { secretEntry, configEntry };
}

export type ParsedEntry = { ok: true; origin: FileOrigin } | { ok: false; message: string; key?: string };

/** `secrets.db_password` / `configs.app`: how messages name a top-level entry. */
export function entryName(kind: SecretKind, key: string): string {
  return `top-level ${kind}s.${/^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key)}`;
}

/**
 * One top-level entry → where its data comes from. `dir` resolves a relative `file:` (the loader already made
 * it absolute; entries given through the API may not be). Never echoes a value in a message.
 */
export function parseTopLevelEntry(kind: SecretKind, key: string, raw: unknown, dir: string): ParsedEntry {
  const name = entryName(kind, key);
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, message: `${name} must be a mapping with ${kind === 'secret' ? '"file" or "environment"' : '"file", "environment" or "content"'}` };
  }
  const { secretEntry, configEntry } = entrySchemas();
  const parsed = (kind === 'secret' ? secretEntry : configEntry).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const bad = (issue as { keys: string[] }).keys[0]!;
      const hint = kind === 'secret' && bad === 'content' ? ' (inline content is for configs; give a secret a file or an environment variable)' : '';
      return { ok: false, message: `${name}: unknown key "${bad}"${hint}`, key: bad };
    }
    const at = issue.path.map(String).join('.');
    // zod's own wording names types, never the offending value.
    return { ok: false, message: `${name}${at ? `.${at}` : ''}: ${issue.message.replace(/^Invalid input: /, '')}`, ...(at ? { key: at.split('.')[0]! } : {}) };
  }
  const e = parsed.data as z.infer<EntrySchemas['configEntry']> & z.infer<EntrySchemas['secretEntry']>;
  if (e.external !== undefined && e.external !== false) {
    return {
      ok: false,
      key: 'external',
      message: `${name} is external: ctnr has no ${kind} store to fetch it from; declare it with "file:" or "environment:" instead`,
    };
  }
  if (e.driver !== undefined) {
    return { ok: false, key: 'driver', message: `${name}: ${kind} drivers belong to a swarm ${kind} store, which ctnr does not have; use "file:" or "environment:"` };
  }
  if (e.template_driver !== undefined) {
    return { ok: false, key: 'template_driver', message: `${name}: template drivers are not supported; the content is copied as is` };
  }
  const given = (['file', 'environment', 'content'] as const).filter((k) => e[k] !== undefined);
  if (given.length === 0) {
    return { ok: false, message: `${name} needs ${kind === 'secret' ? '"file" or "environment"' : '"file", "environment" or "content"'}` };
  }
  if (given.length > 1) return { ok: false, key: given[1], message: `${name}: "${given[0]}" and "${given[1]}" exclude each other` };
  switch (given[0]) {
    case 'file':
      return { ok: true, origin: { from: 'file', file: path.resolve(dir, e.file!) } };
    case 'environment':
      return { ok: true, origin: { from: 'environment', variable: e.environment! } };
    default:
      return { ok: true, origin: { from: 'content', content: e.content! } };
  }
}
