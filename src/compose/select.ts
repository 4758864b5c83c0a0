import { CtnrError, didYouMean, isCtnrError, renderPath } from '../engine/errors.js';
import type { ServiceInput } from '../engine/engine.js';
import type { Diagnostic, ServiceSource } from '../engine/types.js';
import type { ImageConfig } from '../image/config.js';
import { servicePullPolicy } from '../image/policy.js';
import type { ComposeFile, ComposeProject } from './compose-project.js';
import { ownValue } from './dotenv.js';
import { normaliseWithExtends } from './extends.js';
import { moveExtensions } from './extensions.js';
import { parseEnvFile } from './interpolate.js';
import { checkServiceName } from './names.js';
import { readSideFile } from './side-files.js';
import type { Service } from './service.js';

/** The error for a service name the file does not have: the file, a did-you-mean, and the names it has. */
export function serviceNotFound(project: Pick<ComposeProject, 'services' | 'displayFile'>, name: string): CtnrError {
  const names = Object.keys(project.services);
  return new CtnrError('SERVICE_NOT_FOUND', `no service "${name}" in ${project.displayFile}${didYouMean(name, names)} (services: ${names.join(', ') || 'none'})`);
}

/** Services enabled by the active profiles (services without `profiles:` always are). */
export function activeServiceNames(project: ComposeProject): string[] {
  return Object.keys(project.services).filter((name) => {
    const profiles = project.services[name]?.profiles;
    if (!Array.isArray(profiles) || profiles.length === 0) return true;
    return profiles.some((p) => project.profiles.includes(String(p)) || project.profiles.includes('*'));
  });
}

export interface SelectedService {
  input: ServiceInput;
  diagnostics: Diagnostic[];
}

/**
 * Validate and normalise one service of a loaded file: key policy, schema, paths, `extends`, `env_file`,
 * `label_file`. A service is selected by name, so one outside the active profiles is still selectable.
 * Errors carry file:line:col and the key path.
 */
export function selectService(project: ComposeProject, name: string, image?: ImageConfig): SelectedService {
  // A name from the command line: the same rule as in the file, so `x/../..` is refused before any lookup.
  checkServiceName(name);
  if (!Object.hasOwn(project.services, name)) throw serviceNotFound(project, name);
  const diagnostics: Diagnostic[] = [...project.diagnostics];
  const origin = project.origins[name] ?? project;
  const base = ['services', name];
  const service = normaliseWithExtends(project, name, diagnostics, []);
  moveExtensions(service);
  checkPullPolicy(service, name, base, origin, diagnostics);

  const environment = new Map<string, string>();
  // env_file entries first (in file order), then `environment:` overrides, as compose does.
  for (const [i, ef] of (service.env_file ?? []).entries()) {
    const at = [...base, 'env_file', i];
    const text = readSideFile({ kind: 'env file', file: ef.path, required: ef.required, path: at, locate: () => origin.positions.locate(at) });
    if (text === undefined) continue;
    const parsed = parseEnvFile(text, (n) => ownValue(project.environment, n));
    if (parsed.errors.length > 0) {
      throw new CtnrError('SERVICE_INVALID', `${ef.path}:${parsed.errors[0]!.line}: ${parsed.errors[0]!.message}`, { path: at, location: origin.positions.locate(at) });
    }
    for (const [k, v] of parsed.entries) putEnv(environment, k, v);
  }
  for (const [k, v] of (service.environment ?? []) as Array<[string, string | null]>) {
    // `KEY` without a value: compose takes it from the environment of the command, and drops it when unset.
    const value = v ?? ownValue(project.environment, k);
    if (value !== undefined) putEnv(environment, k, value);
  }
  if (service.environment !== undefined || service.env_file !== undefined) service.environment = [...environment];

  if (service.label_file) {
    const labels: Record<string, string> = Object.create(null);
    for (const [i, f] of service.label_file.entries()) {
      const at = [...base, 'label_file', i];
      const text = readSideFile({ kind: 'label file', file: f, required: true, path: at, locate: () => origin.positions.locate(at) })!;
      const parsed = parseEnvFile(text, () => undefined);
      if (parsed.errors.length > 0) {
        throw new CtnrError('SERVICE_INVALID', `${f}:${parsed.errors[0]!.line}: ${parsed.errors[0]!.message}`, { path: at, location: origin.positions.locate(at) });
      }
      for (const [k, v] of parsed.entries) labels[k] = v;
    }
    service.labels = Object.assign(Object.create(null), labels, service.labels);
  }

  const source: ServiceSource = {
    file: origin.file,
    dir: origin.dir,
    locate: (segs) => origin.positions.locate([...base, ...segs]),
  };
  return { input: { name, service, project: project.project, source, ...(image ? { image } : {}) }, diagnostics };
}

/**
 * `pull_policy` and `pull_refresh_after`, checked when the service loads (after `extends`, which may bring either):
 * a bad policy is an error at its line even where no image is pulled (`--rootfs`, an image layout).
 */
function checkPullPolicy(service: Service, name: string, base: string[], origin: ComposeFile, diagnostics: Diagnostic[]): void {
  const keys = service as { pull_policy?: string; pull_refresh_after?: string };
  const at = (key: string) => [...base, key];
  if (keys.pull_refresh_after !== undefined && keys.pull_policy?.trim() !== 'refresh') {
    diagnostics.push({
      level: 'warning',
      code: 'KEY_IGNORED',
      message: 'pull_refresh_after counts only with pull_policy: refresh; ignored',
      path: renderPath(at('pull_refresh_after')),
      location: origin.positions.locate(at('pull_refresh_after')),
    });
  }
  try {
    servicePullPolicy(name, keys);
  } catch (err) {
    if (isCtnrError(err)) {
      const key = err.path?.endsWith('.pull_refresh_after') ? 'pull_refresh_after' : 'pull_policy';
      err.location ??= origin.positions.locate(at(key));
    }
    throw err;
  }
}

/** A later value for a variable replaces the earlier one and moves to the end (compose's order). */
function putEnv(env: Map<string, string>, k: string, v: string): void {
  env.delete(k);
  env.set(k, v);
}
