import moby2010 from './seccomp/moby-20.10.24.json' with { type: 'json' };
import containersCommon050 from './seccomp/containers-common-0.50.1.json' with { type: 'json' };
import containersCommon067 from './seccomp/containers-common-0.67.0.json' with { type: 'json' };
import { convertSeccompFile, seccompFileSchema, type SeccompFile } from '../../src/linux/seccomp/convert.js';
import type { SeccompTarget } from '../../src/linux/seccomp/match.js';
import type { Seccomp } from '../../src/spec/types.js';

/**
 * The engines' own default seccomp profiles (presets/engines/seccomp/README.md says where each comes from),
 * for `seccompPlugin({ defaultProfile })`: the profile file converted for the target as the engine converts it
 * (the target arch's archMap entry; rules whose `includes` match the FINAL bounding set, arch and kernel and whose
 * `excludes` do not). Each file is checked once, when first used.
 */
export type EngineProfile = 'docker-20.10' | 'podman-4.3' | 'podman-5.8';

const FILES: Record<EngineProfile, unknown> = {
  'docker-20.10': moby2010,
  'podman-4.3': containersCommon050,
  'podman-5.8': containersCommon067,
};

const parsed = new Map<EngineProfile, SeccompFile>();

function profileFile(name: EngineProfile): SeccompFile {
  let file = parsed.get(name);
  if (file === undefined) {
    file = seccompFileSchema.parse(FILES[name]);
    parsed.set(name, file);
  }
  return file;
}

/** The engine's default profile for one target (fresh objects on every call: later plugins may patch them). */
export function engineSeccomp(name: EngineProfile): (target: SeccompTarget) => Seccomp {
  return (target) => convertSeccompFile(profileFile(name), target);
}
