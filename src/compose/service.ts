import { z } from 'zod';
import { splitShellWords } from './shellwords.js';

/**
 * The compose service as plugins see it: validated, short syntax turned into long form. Only keys with a
 * schema here are typed; the compose loader decides what happens to every other key (see keys.ts).
 */

const stringOrList = z.union([z.string(), z.array(z.string())]);

const command = z
  .union([z.string(), z.array(z.union([z.string(), z.number()])), z.null()])
  .transform((v, ctx) => {
    if (v === null) return null;
    if (Array.isArray(v)) return v.map(String);
    try {
      return splitShellWords(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** `environment:` map or `KEY=VALUE` list → ordered entries; `null` marks "take it from the environment". */
export const environmentSchema = z
  .union([z.record(z.string(), z.union([scalar, z.null()])), z.array(z.string())])
  .transform((v, ctx) => {
    const out: Array<[string, string | null]> = [];
    const put = (k: string, val: string | null) => {
      const at = out.findIndex(([name]) => name === k);
      if (at >= 0) out.splice(at, 1);
      out.push([k, val]);
    };
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        const eq = item.indexOf('=');
        const key = eq < 0 ? item : item.slice(0, eq);
        if (key === '' || /\s/.test(key)) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not KEY=VALUE`, path: [i] });
          return;
        }
        put(key, eq < 0 ? null : item.slice(eq + 1));
      });
    } else {
      for (const [k, val] of Object.entries(v)) put(k, val === null ? null : String(val));
    }
    return out;
  });

const ulimitValue = z.union([
  z.number().int(),
  z.strictObject({ soft: z.number().int(), hard: z.number().int() }),
]);

export const serviceShape = {
  image: z.string().optional(),
  entrypoint: command.optional(),
  command: command.optional(),
  environment: environmentSchema.optional(),
  working_dir: z.string().optional(),
  user: z.union([z.string(), z.number().int()]).transform(String).optional(),
  group_add: z.array(z.union([z.string(), z.number().int()]).transform(String)).optional(),
  cap_add: z.array(z.string()).optional(),
  cap_drop: z.array(z.string()).optional(),
  privileged: z.boolean().optional(),
  tty: z.boolean().optional(),
  stdin_open: z.boolean().optional(),
  ulimits: z.record(z.string(), ulimitValue).optional(),
  oom_score_adj: z.number().int().min(-1000).max(1000).optional(),
  security_opt: z.array(z.string()).optional(),
  init: z.boolean().optional(),
  hostname: z.string().optional(),
  domainname: z.string().optional(),
  read_only: z.boolean().optional(),
};

export const serviceSchema = z.looseObject(serviceShape);

const typedSchema = z.object(serviceShape);
export type ServiceFields = z.output<typeof typedSchema>;

/** Environment entries resolved (no `null` left): what plugins read. */
export type Service = Omit<ServiceFields, 'environment'> & {
  environment?: Array<[string, string]>;
  [key: string]: unknown;
};

export { stringOrList };
