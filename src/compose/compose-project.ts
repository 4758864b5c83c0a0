import type { Diagnostic, Project } from '../engine/types.js';
import type { VariableOptions } from './dotenv.js';
import type { Positions } from './positions.js';
import type { MergeTags } from './yaml.js';
import type { ComposeCache } from './yaml.js';

/*
 * What the loader takes and returns. loadComposeFile/parseCompose (load.ts) build a ComposeProject; include.ts
 * adds included files to it; extends.ts and select.ts read it, one service at a time.
 */

/** One YAML file of a project: where its services' relative paths resolve and how its errors are located. */
export interface ComposeFile {
  /** Absolute path. */
  file: string;
  /** How errors name the file: relative to the cwd when inside it. */
  displayFile: string;
  dir: string;
  positions: Positions;
}

export interface ComposeProject extends ComposeFile {
  name: string;
  /** Raw services after interpolation (included files' services too). */
  services: Record<string, Record<string, unknown>>;
  /** The file each service was written in (differs for services brought in by `include`). */
  origins: Record<string, ComposeFile>;
  /** `!reset` / `!override` service keys (they steer `extends` merging). */
  mergeTags: MergeTags;
  project: Project;
  /** Process environment: `KEY`-only environment entries and env files read it. */
  environment: Readonly<Record<string, string | undefined>>;
  /** Interpolation variables: the process environment over the `.env` file. */
  variables: Readonly<Record<string, string | undefined>>;
  /** Active profiles (`--profile`); services with `profiles:` are enabled only by one of them. */
  profiles: readonly string[];
  /** Refused keys become warnings. */
  allowUnsupported: boolean;
  /** Loader warnings about the file itself (e.g. the obsolete `version`). */
  diagnostics: Diagnostic[];
}

/** How to load a compose file (`cwd`, `environment` and `envFile` are VariableOptions', dotenv.ts). */
export interface LoadOptions extends VariableOptions {
  profiles?: readonly string[];
  allowUnsupported?: boolean;
  /** Variables already resolved by a parent file (include, extends); skips reading `.env`. */
  variables?: Readonly<Record<string, string | undefined>>;
  /** Files being loaded above this one (include/extends cycles). */
  chain?: readonly string[];
  /**
   * The services the caller is about to use. A large file is then read in parts (split-parse.ts): those services
   * are parsed now, the others when something reads them. Without it, the whole file is parsed.
   */
  services?: readonly string[];
  /** Parsed files kept between runs (the CLI's, src/compose/parse-cache.ts); none by default. */
  cache?: ComposeCache;
}
