import { z } from 'zod';
import type { Plugin, Preset, StageDeclaration } from '../engine/types.js';
import { policySchemas, type Exemption } from '../policy/settings.js';
import { pluginShapeProblem } from '../engine/plan.js';

/**
 * The config file's schemas, built on first use (`configSchemas()`): most runs find no config file, and building
 * some forty zod schemas at import would cost every run a few milliseconds for nothing.
 */
export function configSchemas(): ConfigSchemas {
  return (schemas ??= buildSchemas());
}

type ConfigSchemas = ReturnType<typeof buildSchemas>;
let schemas: ConfigSchemas | undefined;

function buildSchemas() {
  const names = z.array(z.string().min(1));

  const stageDeclSchema = z.union([
    z.string().min(1),
    z.strictObject({ name: z.string().min(1), before: z.string().min(1).optional(), after: z.string().min(1).optional() }),
  ]);

  // The engine's own rules (src/engine/plan.ts), so a config's plugin and a preset's are judged alike.
  const pluginSchema = z.custom<Plugin>().superRefine((v, ctx) => {
    const problem = pluginShapeProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.key ? [problem.key] : [], input: v });
  });

  const presetSchema: z.ZodType<Preset> = z.lazy(() =>
    z.looseObject({
      name: z.string().min(1, 'a preset needs a name'),
      presets: z.array(presetSchema).optional(),
      stages: z.array(stageDeclSchema).optional(),
      plugins: z.array(pluginSchema).optional(),
      disable: names.optional(),
    }),
  ) as unknown as z.ZodType<Preset>;

  const imageMappingSchema = z.strictObject({
    /** Root filesystem directory for this image. */
    rootfs: z.string().min(1).optional(),
    /** OCI image layout directory holding this image. */
    layout: z.string().min(1).optional(),
    /** OCI image config JSON file. */
    config: z.string().min(1).optional(),
  });

  /** `host[:port][/path-prefix]`: a mirror's repositories live under the prefix. */
  const mirrorSchema = z.string().regex(/^[a-zA-Z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._\/-]+)?$/, 'is not host[:port][/path-prefix]');

  const registrySettingsSchema = z.strictObject({
    /** Tried in order before the registry itself. */
    mirrors: z.array(mirrorSchema).optional(),
    /** Plain HTTP (loopback registries use it anyway). */
    insecure: z.boolean().optional(),
  });

  const configSchema = z.strictObject({
    /** Presets by value or by name (a built-in preset name or an npm package). Default: `['default']`. */
    presets: z.array(z.union([z.string().min(1), presetSchema])).optional(),
    plugins: z.array(pluginSchema).optional(),
    stages: z.array(stageDeclSchema).optional(),
    disable: names.optional(),
    /** Image name → local rootfs / layout / config. */
    images: z.record(z.string(), imageMappingSchema).optional(),
    /** Registry host (`docker.io`, `registry.internal:5000`) → mirrors and transport. */
    registries: z.record(z.string().min(1), registrySettingsSchema).optional(),
    /** Default pull policy for services without `pull_policy` (always, missing, never, daily, weekly, every_<duration>). */
    pullPolicy: z.string().min(1).optional(),
    /** Where named volumes and bundles live. */
    dataDir: z.string().min(1).optional(),
    /** The image builder for `build:` (podman, buildah, docker or a path to one; default: the first on PATH). */
    builder: z.string().min(1).optional(),
    init: z.strictObject({ path: z.string().min(1).optional() }).optional(),
    /** Project-level policy exemptions (each with a reason), applied to every validator's violations. */
    policy: z.strictObject({ exemptions: z.array(policySchemas().exemption).optional() }).optional(),
    /** CDI spec directories, later ones winning (relative to the config file); default `/etc/cdi`, `/var/run/cdi` (docs/cdi.md). */
    cdi: z.strictObject({ specDirs: z.array(z.string().min(1)).optional() }).optional(),
  });

  return { stageDeclSchema, pluginSchema, presetSchema, imageMappingSchema, registrySettingsSchema, configSchema };
}

export interface CtnrConfig {
  presets?: Array<string | Preset>;
  plugins?: Plugin[];
  stages?: Array<string | StageDeclaration>;
  disable?: string[];
  images?: Record<string, { rootfs?: string; layout?: string; config?: string }>;
  registries?: Record<string, { mirrors?: string[]; insecure?: boolean }>;
  pullPolicy?: string;
  dataDir?: string;
  builder?: string;
  init?: { path?: string };
  policy?: { exemptions?: Exemption[] };
  cdi?: { specDirs?: string[] };
}
