/**
 * Small helpers for the plugin tables of the mounts, network, seccomp, secrets and init tests (issue 15): the
 * spec an earlier plugin would have left, given to `testPluginYaml` as `spec`, and what `testPlugin` does
 * not report (the host directories a plugin asks the bundle writer to create).
 */
import { createEngine, type Result } from '../../src/create-engine.js';
import { createBaseSpec } from '../../presets/engines/docker-base.js';
import { TEST_ENV as KIT_ENV } from '../../src/plugin-kit/test-plugin.js';
import type { Plugin } from '../../src/engine/types.js';
import type { Spec } from '../../src/spec/types.js';
import { loadServiceYaml, type RunOptions } from './engine.js';

/** Docker's base spec, changed by `edit` (a fresh copy each call). */
export function specWith(edit: (spec: Spec) => void): Spec {
  const spec = createBaseSpec();
  edit(spec);
  return spec;
}

/** The base spec without the namespaces of these types: what ctnr:namespaces leaves for `network_mode: host`, `ipc: host` … */
export function hostNamespaces(...types: string[]): Spec {
  return specWith((s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => !types.includes(n.type));
  });
}

/** The base spec joining another container's namespace of `type` (`network_mode: service:db` …). */
export function joinedNamespace(type: string, path: string): Spec {
  return specWith((s) => {
    s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === type ? { type, path } : n));
  });
}

/**
 * The host directories one plugin, run alone on a compose fragment as testPluginYaml runs it, asks the bundle
 * writer to create (`Result.hostDirs`, which testPlugin does not return).
 */
export async function pluginHostDirs(plugin: Plugin, service: Record<string, unknown>, options: RunOptions = {}): Promise<Result['hostDirs']> {
  const loaded = loadServiceYaml(service, options);
  const { before: _before, after: _after, ...alone } = plugin;
  const engine = createEngine({ name: 'pluginHostDirs', stages: [plugin.stage], presets: [{ name: 'ctnr:preset-test', plugins: [alone as Plugin] }], strict: true });
  const { env, ...input } = loaded;
  const result = await engine.run(input, { ...KIT_ENV, ...env });
  return result.hostDirs;
}
