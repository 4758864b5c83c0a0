import type { KubernetesIdentity } from '../engine/types.js';

/**
 * What an exemption is matched against. From a compose file: the service (its name, image and the spec's
 * annotations). From a runtime (ctnr-runtime, spec mode): the container the engine asked for, named by the
 * annotations podman, containerd's CRI or CRI-O put on the spec.
 */
export interface ExemptionSubject {
  /** The compose service, or in spec mode the container's name (Kubernetes container name, else its id). */
  service: string;
  /** Kubernetes namespace of the pod. */
  namespace?: string;
  /** Image reference, when the source says it (compose `image:`, the CRI's image annotation). */
  image?: string;
  annotations?: Readonly<Record<string, string>>;
}

/** Does `exemption` cover `subject`? Every selector it gives must match; it gives at least one (the schema says so). */
/** The selectors of an exemption (settings.ts `Exemption`): every one given must match. */
export interface ExemptionSelectors {
  service?: string | undefined;
  namespace?: string | undefined;
  image?: string | undefined;
  annotations?: Readonly<Record<string, string>> | undefined;
}

export function exemptionMatches(exemption: ExemptionSelectors, subject: ExemptionSubject): boolean {
  if (exemption.service !== undefined && exemption.service !== subject.service) return false;
  if (exemption.namespace !== undefined && exemption.namespace !== subject.namespace) return false;
  if (exemption.image !== undefined && (subject.image === undefined || !globMatch(exemption.image, subject.image))) return false;
  for (const [key, value] of Object.entries(exemption.annotations ?? {})) {
    if (subject.annotations?.[key] !== value) return false;
  }
  return true;
}

/** `*` stands for any run of characters (`registry.internal/*`, `*nginx:1.*`); everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const literal = (part: string) => part.replace(REGEXP_SPECIAL, '\\$&');
  return new RegExp('^' + pattern.split('*').map(literal).join('.*') + '$', 's').test(value);
}

const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\]/g;

/** What the Kubernetes runtimes (containerd's CRI, CRI-O) say about a container in its annotations. */
export type { KubernetesIdentity };

const first = (a: Readonly<Record<string, string>>, keys: readonly string[]) => {
  for (const k of keys) if (typeof a[k] === 'string' && a[k] !== '') return a[k];
  return undefined;
};

/** Read the pod's namespace and name, the container's name and image from containerd CRI and CRI-O annotations. */
export function kubernetesIdentity(annotations: Readonly<Record<string, string>> = {}): KubernetesIdentity {
  // CRI-O keeps the kubelet's labels (io.kubernetes.pod.namespace, …) as a JSON object in one annotation.
  let labels: Record<string, string> = {};
  const raw = annotations['io.kubernetes.cri-o.Labels'];
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) labels = parsed as Record<string, string>;
    } catch {
      // not JSON: ignored, the other keys still count
    }
  }
  const all = { ...labels, ...annotations };
  const out: KubernetesIdentity = {};
  const set = (key: keyof KubernetesIdentity, keys: readonly string[]) => {
    const v = first(all, keys);
    if (v !== undefined) out[key] = v;
  };
  set('namespace', ['io.kubernetes.cri.sandbox-namespace', 'io.kubernetes.pod.namespace']);
  set('pod', ['io.kubernetes.cri.sandbox-name', 'io.kubernetes.pod.name']);
  set('container', ['io.kubernetes.cri.container-name', 'io.kubernetes.container.name']);
  set('image', ['io.kubernetes.cri.image-name', 'io.kubernetes.cri-o.ImageName']);
  set('sandboxId', ['io.kubernetes.cri.sandbox-id', 'io.kubernetes.cri-o.SandboxID']);
  set('containerType', ['io.kubernetes.cri.container-type', 'io.kubernetes.cri-o.ContainerType']);
  return out;
}

/** The subject of a spec generated from a compose service: its name, `image:` and the spec's annotations. */
export function serviceSubject(service: string, image: unknown, annotations: Readonly<Record<string, string>> | undefined): ExemptionSubject {
  const k8s = kubernetesIdentity(annotations);
  return {
    service,
    ...(k8s.namespace !== undefined ? { namespace: k8s.namespace } : {}),
    ...(typeof image === 'string' ? { image } : k8s.image !== undefined ? { image: k8s.image } : {}),
    ...(annotations ? { annotations } : {}),
  };
}
