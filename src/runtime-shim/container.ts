import type { RuntimeContainer } from '../engine/types.js';
import path from 'node:path';
import { kubernetesIdentity, type ExemptionSubject } from '../policy/subject.js';
import type { Spec } from './lib.js';
import { podmanImageName } from './podman-image.js';

/**
 * The container an engine asked the runtime to create, as far as the bundle says: what plugins find in
 * `ctx.env.container` in spec mode, and what policy exemptions are matched against.
 */
export type ContainerInfo = RuntimeContainer;

export function containerInfo(id: string, bundle: string, spec: Spec): ContainerInfo {
  const annotations = stringRecord(spec.annotations);
  const kubernetes = kubernetesIdentity(annotations);
  // podman names its image only in its own container record (read for podman's containers alone).
  const image = kubernetes.image ?? (annotations['io.container.manager'] === 'libpod' ? podmanImageName(id, bundle) : undefined);
  return { id, name: kubernetes.container ?? id, bundle, annotations, kubernetes, ...(image !== undefined ? { image } : {}) };
}

export function containerSubject(c: ContainerInfo): ExemptionSubject {
  return {
    service: c.name,
    ...(c.kubernetes.namespace !== undefined ? { namespace: c.kubernetes.namespace } : {}),
    ...(c.image !== undefined ? { image: c.image } : {}),
    annotations: c.annotations,
  };
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Engines name containers (and pod sandboxes) with 64 hex digits: podman, docker, containerd's CRI, CRI-O. */
const ENGINE_ID = /^[0-9a-f]{64}$/;

/** Where the kubelet keeps a pod's volumes (emptyDir, configMap, secret, projected…) and its /etc/hosts. */
export const KUBELET_PODS_DIR = '/var/lib/kubelet/pods';

/**
 * Host directories whose bind mounts the engine made for this container (its /etc/hosts, /etc/resolv.conf,
 * /dev/shm, /run/.containerenv, a pod's volumes), not host paths the user asked for: the bundle, the directory of
 * the pid file, any directory named after the container's or its pod sandbox's id, and for a Kubernetes pod the
 * kubelet's pods directory. The `hostPathVolumes` control accepts binds from under them.
 */
export function engineManagedDirs(c: ContainerInfo, spec: Spec, pidFile?: string): string[] {
  const dirs = new Set<string>([c.bundle]);
  if (pidFile) dirs.add(path.dirname(path.resolve(c.bundle, pidFile)));
  const ids = [c.id, c.kubernetes.sandboxId].filter((x): x is string => x !== undefined && ENGINE_ID.test(x));
  for (const m of spec.mounts ?? []) {
    const src = m.source;
    if (typeof src !== 'string' || !src.startsWith('/')) continue;
    const segs = path.normalize(src).split('/');
    const at = segs.findIndex((s) => ids.includes(s));
    if (at > 0) dirs.add(segs.slice(0, at + 1).join('/'));
  }
  if (c.kubernetes.namespace !== undefined) dirs.add(KUBELET_PODS_DIR);
  return [...dirs].sort();
}
