import { describe, expect, it } from 'vitest';
import { findExemption, policySchemas, type Exemption } from '../../../src/policy/settings.js';

const exemptionSchema = policySchemas().exemption;
import { exemptionMatches, globMatch, kubernetesIdentity, serviceSubject, type ExemptionSubject } from '../../../src/policy/subject.js';
import { evaluateService, buildReport } from '../../../src/policy/evaluate.js';
import { createEngine } from '../../../src/create-engine.js';
import { baselinePreset } from '../../../presets/baseline.js';

const pod: ExemptionSubject = {
  service: 'app',
  namespace: 'ci',
  image: 'registry.internal/tools/builder:1.4',
  annotations: { 'io.kubernetes.cri.sandbox-namespace': 'ci', 'example.com/debug': 'true' },
};

describe('exemption selectors', () => {
  it.each<{ name: string; exemption: Partial<Exemption>; matches: boolean }>([
    { name: 'service name', exemption: { service: 'app' }, matches: true },
    { name: 'another service', exemption: { service: 'web' }, matches: false },
    { name: 'Kubernetes namespace', exemption: { namespace: 'ci' }, matches: true },
    { name: 'another namespace', exemption: { namespace: 'prod' }, matches: false },
    { name: 'exact image', exemption: { image: 'registry.internal/tools/builder:1.4' }, matches: true },
    { name: 'image glob', exemption: { image: 'registry.internal/*' }, matches: true },
    { name: 'image glob, other registry', exemption: { image: 'docker.io/*' }, matches: false },
    { name: 'annotation value', exemption: { annotations: { 'example.com/debug': 'true' } }, matches: true },
    { name: 'annotation, other value', exemption: { annotations: { 'example.com/debug': 'false' } }, matches: false },
    { name: 'annotation absent', exemption: { annotations: { 'example.com/other': 'true' } }, matches: false },
    { name: 'every selector must match (namespace yes, image no)', exemption: { namespace: 'ci', image: 'docker.io/*' }, matches: false },
    { name: 'namespace and annotation', exemption: { namespace: 'ci', annotations: { 'example.com/debug': 'true' } }, matches: true },
  ])('$name', ({ exemption, matches }) => {
    const e = exemptionSchema.parse({ control: 'privileged', reason: 'r', ...exemption });
    expect(exemptionMatches(e, pod)).toBe(matches);
    expect(findExemption([e], pod, 'privileged') !== undefined).toBe(matches);
    expect(findExemption([e], pod, 'capabilities')).toBeUndefined();
  });

  it('a service name alone still works as before (compose mode)', () => {
    const e = exemptionSchema.parse({ service: 'web', control: 'privileged', reason: 'r' });
    expect(findExemption([e], 'web', 'privileged')).toBe(e);
    expect(findExemption([e], 'db', 'privileged')).toBeUndefined();
  });

  it.each([
    { exemption: { control: 'privileged', reason: 'r' }, message: 'an exemption names a service, a namespace, an image or annotations' },
    { exemption: { control: 'privileged', reason: 'r', annotations: {} }, message: 'an exemption names a service, a namespace, an image or annotations' },
    { exemption: { namespace: 'ci', control: 'privileged' }, message: 'an exemption needs a reason' },
    { exemption: { namespace: 'ci', control: 'privileged', reason: 'r', pod: 'x' }, message: 'Unrecognized key: "pod"' },
  ])('refused: $message', ({ exemption, message }) => {
    const r = exemptionSchema.safeParse(exemption);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message)).toContain(message);
  });

  it.each([
    ['nginx', 'nginx', true],
    ['nginx', 'nginx:1', false],
    ['*nginx:1.*', 'docker.io/library/nginx:1.25', true],
    ['a.b*', 'axb', false],
    ['(x)*', '(x)y', true],
  ] as const)('glob %s ~ %s: %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('Kubernetes identity from annotations', () => {
  it.each<{ name: string; annotations: Record<string, string>; expected: object }>([
    {
      name: 'containerd CRI',
      annotations: {
        'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'abc', 'io.kubernetes.cri.sandbox-name': 'web-0',
        'io.kubernetes.cri.sandbox-namespace': 'shop', 'io.kubernetes.cri.container-name': 'nginx', 'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.25',
      },
      expected: { namespace: 'shop', pod: 'web-0', container: 'nginx', image: 'docker.io/library/nginx:1.25', sandboxId: 'abc', containerType: 'container' },
    },
    {
      name: 'CRI-O (labels kept as JSON)',
      annotations: {
        'io.kubernetes.cri-o.Labels': JSON.stringify({ 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.container.name': 'nginx' }),
        'io.kubernetes.cri-o.ImageName': 'docker.io/library/nginx:1.25', 'io.kubernetes.cri-o.SandboxID': 'def', 'io.kubernetes.cri-o.ContainerType': 'container',
      },
      expected: { namespace: 'shop', pod: 'web-0', container: 'nginx', image: 'docker.io/library/nginx:1.25', sandboxId: 'def', containerType: 'container' },
    },
    { name: 'podman (none of these)', annotations: { 'io.container.manager': 'libpod', 'io.podman.annotations.privileged': 'FALSE' }, expected: {} },
    { name: 'CRI-O labels that are not JSON', annotations: { 'io.kubernetes.cri-o.Labels': '{nope' }, expected: {} },
  ])('$name', ({ annotations, expected }) => {
    expect(kubernetesIdentity(annotations)).toEqual(expected);
  });

  it('serviceSubject: compose image wins, else the CRI image annotation', () => {
    expect(serviceSubject('web', 'nginx', { 'io.kubernetes.cri.image-name': 'x' }).image).toBe('nginx');
    expect(serviceSubject('web', undefined, { 'io.kubernetes.cri.image-name': 'x' }).image).toBe('x');
    expect(serviceSubject('web', undefined, undefined)).toEqual({ service: 'web' });
  });
});

describe('report: which exemption was used', () => {
  it('a selector exemption that matched is used; one that did not is reported unused', () => {
    const engine = createEngine({ presets: [{ name: 'test', stages: ['hooks'] }, baselinePreset()] });
    const granted = [
      { ...exemptionSchema.parse({ namespace: 'ci', control: 'privileged', reason: 'CI runners build images' }), from: 'runtime.config.json' },
      { ...exemptionSchema.parse({ namespace: 'prod', control: 'privileged', reason: 'never' }), from: 'runtime.config.json' },
    ];
    const violations = [{ control: 'privileged', pointer: '/linux/resources/devices/0', message: 'm', validator: 'ctnr:policy-baseline', stage: 'policy', presetChain: [] }];
    const policy = evaluateService(engine.plan, { serviceName: 'app', violations }, granted, pod);
    expect(policy.violations[0]!.exemption).toEqual({ reason: 'CI runners build images', from: 'runtime.config.json' });
    // The report is plain JSON: the link to the exemption is not serialised.
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
    const report = buildReport([policy], granted);
    expect(report.exemptions.map((e) => [e.namespace, e.used])).toEqual([['ci', true], ['prod', false]]);
  });
});
