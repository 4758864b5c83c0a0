import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CtnrError, renderPath } from '../engine/errors.js';
import { isSignal } from '../compose/signals.js';
import type { ImageConfig, Platform } from './types.js';

export type { ImageConfig };

/** The image config's schema, built on first use: a service without an image config needs none of it. */
const configSchema = () => (built ??= buildConfigSchema());
let built: ReturnType<typeof buildConfigSchema> | undefined;

function buildConfigSchema() {
  const set = z.record(z.string(), z.looseObject({})).nullable();
  return z.looseObject({
    User: z.string().optional(),
    Env: z.array(z.string().regex(/^[^=]+=/s, 'is not KEY=VALUE')).nullable().optional(),
    Entrypoint: z.array(z.string()).nullable().optional(),
    Cmd: z.array(z.string()).nullable().optional(),
    WorkingDir: z.string().optional(),
    // An image is untrusted input: its stop signal reaches the runtime's kill, so it must be a real signal.
    StopSignal: z.string().refine((v) => v === '' || isSignal(v), 'is not a signal name or number').optional(),
    ExposedPorts: set.optional(),
    Labels: z.record(z.string(), z.string()).nullable().optional(),
    Volumes: set.optional(),
  });
}

/**
 * Validate an image config: either the whole image config document (`{architecture, os, config: {…}}`) or
 * only its `config` object. Unknown fields are allowed (the image spec has more); `null` lists and maps, as
 * docker writes them, become absent.
 */
export function parseImageConfig(doc: unknown, origin: string): ImageConfig {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(doc)) throw new CtnrError('IMAGE_INVALID', `${origin}: an image config must be a JSON object`);
  const whole = isObj(doc.config) || 'rootfs' in doc || 'architecture' in doc;
  const config = whole ? (doc.config ?? {}) : doc;
  const parsed = configSchema().safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CtnrError('IMAGE_INVALID', `${origin}: ${renderPath([...(whole ? ['config'] : []), ...(issue.path as Array<string | number>)])}: ${issue.message}`);
  }
  const out: ImageConfig = {};
  const c = parsed.data;
  if (c.User !== undefined && c.User !== '') out.User = c.User;
  if (c.Env) out.Env = c.Env;
  if (c.Entrypoint !== undefined) out.Entrypoint = c.Entrypoint;
  if (c.Cmd !== undefined) out.Cmd = c.Cmd;
  if (c.WorkingDir !== undefined && c.WorkingDir !== '') out.WorkingDir = c.WorkingDir;
  if (c.StopSignal !== undefined && c.StopSignal !== '') out.StopSignal = c.StopSignal;
  if (c.ExposedPorts) out.ExposedPorts = c.ExposedPorts;
  if (c.Labels) out.Labels = c.Labels;
  if (c.Volumes) out.Volumes = c.Volumes;
  return out;
}

/** `--image-config FILE`. */
export function readImageConfigFile(file: string): ImageConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CtnrError('IMAGE_INVALID', `cannot read image config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CtnrError('IMAGE_INVALID', `${file} is not JSON: ${(err as Error).message}`);
  }
  return parseImageConfig(doc, file);
}

/** `--image DIR`: the config of the manifest whose `org.opencontainers.image.ref.name` matches `image:`. */
export async function readLayoutImageConfig(layout: string, imageName: string | undefined, platform: Platform): Promise<ImageConfig> {
  const { readLayout } = await import('../bundle/layout.js');
  const image = readLayout(layout, imageName, platform);
  return parseImageConfig(image.config, `${layout} (${image.manifest})`);
}

export interface ImageSources {
  /** `--image-config FILE` (wins over everything). */
  imageConfig?: string;
  /** `--image DIR` (an OCI image layout). */
  image?: string;
  /** ctnr.config.ts `images` table, paths relative to `mappingBase`. */
  images?: Readonly<Record<string, { rootfs?: string; layout?: string; config?: string }>>;
  mappingBase?: string;
  cwd?: string;
}

/**
 * The image config for a service: `--image-config`, else `--image`, else the config's `images` mapping for
 * the service's `image:` (its `config` file, else its `layout`; a layout's image for `platform()`, asked only
 * then: a service's `platform:` is checked where it is used). `undefined` when none applies.
 */
export async function resolveImageConfig(sources: ImageSources, serviceImage: string | undefined, platform: () => Platform): Promise<ImageConfig | undefined> {
  const cwd = sources.cwd ?? process.cwd();
  if (sources.imageConfig) return readImageConfigFile(path.resolve(cwd, sources.imageConfig));
  if (sources.image) return readLayoutImageConfig(path.resolve(cwd, sources.image), serviceImage, platform());
  const mapping = serviceImage !== undefined ? sources.images?.[serviceImage] : undefined;
  const base = sources.mappingBase ?? cwd;
  if (mapping?.config) return readImageConfigFile(path.resolve(base, mapping.config));
  if (mapping?.layout) return readLayoutImageConfig(path.resolve(base, mapping.layout), serviceImage, platform());
  return undefined;
}
