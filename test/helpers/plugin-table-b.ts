/**
 * Small helpers for the plugin tables of the mounts, network, seccomp, secrets and init tests (issue 15): the
 * spec an earlier plugin would have left, given to `testPluginYaml` as `spec`.
 */
import { createBaseSpec } from '../../presets/engines/docker-base.js';
import type { Spec } from '../../src/spec/types.js';

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

