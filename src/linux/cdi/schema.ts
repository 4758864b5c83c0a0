import { z } from 'zod';
import { deviceNameProblem, kindProblem } from './names.js';

/**
 * A CDI spec file (container-device-interface SPEC.md v1.1.0, `specs-go/config.go`, the JSON schema in
 * shared/reference/cdi), checked the way CDI loads one: unknown keys are errors, `cdiVersion` is a released
 * version no older than the fields the file uses need, `kind` is `VENDOR/CLASS`, device names are valid and
 * unique, every device has edits, env entries are `NAME=VALUE`, hooks name an OCI hook. Where CDI leaves a
 * value to the runtime to refuse at run time, ctnr refuses it here, where the file can be named: container
 * paths and hook paths must be absolute (runtime-spec), a hook timeout must be at least 1 second.
 *
 * A string field also takes a YAML number or boolean as written (`name: 0` is the device `"0"`), as CDI's
 * YAML reader does.
 */

export const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** The released CDI versions, oldest first (CDI accepts a leading `v`). */
export const CDI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0', '0.8.0', '1.0.0', '1.1.0'] as const;

/**
 * The spec file's schema, built on first use: most runs read no CDI spec, and building some hundred zod schemas
 * at import would cost every `ctnr` command a few milliseconds for nothing.
 */
export function cdiSpecSchema(): ReturnType<typeof buildSchemas>['cdiSpecSchema'] {
  return (schemas ??= buildSchemas()).cdiSpecSchema;
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

function buildSchemas() {
  const UINT32_MAX = 4294967295;

  const text = z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string());
  const nonEmpty = text.pipe(z.string().min(1, 'must not be empty'));
  const absolute = nonEmpty.pipe(z.string().refine((s) => s.startsWith('/'), 'must be an absolute path'));
  const uint32 = z.number().int('must be an integer').min(0, 'must not be negative').max(UINT32_MAX, `must be at most ${UINT32_MAX}`);
  const int64 = z.number().int('must be an integer').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER, 'is too large');
  const strings = z.array(text);
  const envList = z.array(text.refine((s) => s.indexOf('=') > 0, 'is not NAME=VALUE'));
  const annotations = z.record(z.string(), text);


  const deviceNode = z.strictObject({
    path: absolute,
    hostPath: text.optional(),
    type: text.pipe(z.enum(['', 'b', 'c', 'u', 'p'], { error: (i) => `${JSON.stringify(i.input)} is not a device type (b, c, u or p)` })).optional(),
    major: int64.optional(),
    minor: int64.optional(),
    fileMode: uint32.optional(),
    permissions: text
      .refine((s) => s === '' || s === 'none' || /^[rwm]+$/.test(s), 'must be letters of "rwm", "none" or empty')
      .optional(),
    uid: uint32.optional(),
    gid: uint32.optional(),
  });

  const mount = z.strictObject({
    hostPath: nonEmpty,
    containerPath: absolute,
    options: strings.optional(),
    type: text.optional(),
  });

  const hook = z.strictObject({
    hookName: text.pipe(z.enum(HOOK_NAMES, { error: (i) => `${JSON.stringify(i.input)} is not a hook name (${HOOK_NAMES.join(', ')})` })),
    path: absolute,
    args: strings.optional(),
    env: envList.optional(),
    timeout: z.number().int('must be an integer').min(1, 'must be at least 1 (seconds)').max(2147483647, 'is too large').optional(),
  });

  const intelRdt = z.strictObject({
    closID: text
      .refine((c) => c === '/' || !(c.length >= 4096 || c === '.' || c === '..' || /[/\n]/.test(c)), 'is not a CLOS name (a file name, or "/")')
      .optional(),
    l3CacheSchema: text.optional(),
    memBwSchema: text.optional(),
    schemata: strings.optional(),
    enableMonitoring: z.boolean().optional(),
  });

  const netDevice = z.strictObject({
    hostInterfaceName: nonEmpty,
    name: nonEmpty,
  });

  const containerEdits = z
    .strictObject({
      env: envList.optional(),
      deviceNodes: z.array(deviceNode).optional(),
      netDevices: z.array(netDevice).optional(),
      hooks: z.array(hook).optional(),
      mounts: z.array(mount).optional(),
      intelRdt: intelRdt.optional(),
      additionalGids: z.array(uint32).optional(),
    })
    .superRefine((e, ctx) => {
      const hosts = new Map<string, number>();
      const names = new Map<string, number>();
      (e.netDevices ?? []).forEach((d, i) => {
        if (hosts.has(d.hostInterfaceName)) ctx.addIssue({ code: 'custom', message: `host interface "${d.hostInterfaceName}" is moved twice (also netDevices[${hosts.get(d.hostInterfaceName)}])`, path: ['netDevices', i, 'hostInterfaceName'], input: d });
        else hosts.set(d.hostInterfaceName, i);
        if (names.has(d.name)) ctx.addIssue({ code: 'custom', message: `interface name "${d.name}" is used twice (also netDevices[${names.get(d.name)}])`, path: ['netDevices', i, 'name'], input: d });
        else names.set(d.name, i);
      });
    });

  const device = z.strictObject({
    name: text.superRefine((n, ctx) => {
      const problem = deviceNameProblem(n);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: n });
    }),
    annotations: annotations.optional(),
    containerEdits: containerEdits,
  });


  const cdiSpecSchema = z
    .strictObject({
      cdiVersion: text.superRefine((v, ctx) => {
        if (!(CDI_VERSIONS as readonly string[]).includes(v.replace(/^v/, ''))) ctx.addIssue({ code: 'custom', message: `"${v}" is not a CDI version (${CDI_VERSIONS.join(', ')})`, input: v });
      }),
      kind: text.superRefine((k, ctx) => {
        const problem = kindProblem(k);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: k });
      }),
      annotations: annotations.optional(),
      devices: z.array(device).min(1, 'a spec must define at least one device'),
      containerEdits: containerEdits.optional(),
    })
    .superRefine((spec, ctx) => {
      const seen = new Map<string, number>();
      spec.devices.forEach((d, i) => {
        if (seen.has(d.name)) ctx.addIssue({ code: 'custom', message: `device "${d.name}" is defined twice (also devices[${seen.get(d.name)}])`, path: ['devices', i, 'name'], input: d });
        else seen.set(d.name, i);
        if (editsEmpty(d.containerEdits)) ctx.addIssue({ code: 'custom', message: `device "${d.name}" has no edits (a device needs env, deviceNodes, mounts, hooks, netDevices, intelRdt or additionalGids)`, path: ['devices', i, 'containerEdits'], input: d });
      });
      const need = requiredVersion(spec);
      const have = versionIndex(spec.cdiVersion);
      if (have >= 0 && versionIndex(need.version) > have) {
        const why = need.why === '' ? `CDI reads ${need.version} and later` : `${need.why} needs ${need.version} or later`;
        ctx.addIssue({ code: 'custom', message: `cdiVersion ${spec.cdiVersion} is too old for this file: ${why}`, path: ['cdiVersion'], input: spec.cdiVersion });
      }
    });
  return { cdiSpecSchema, containerEdits, deviceNode, mount, hook };
}

export type CdiSpec = z.output<ReturnType<typeof buildSchemas>['cdiSpecSchema']>;
export type ContainerEdits = z.output<ReturnType<typeof buildSchemas>['containerEdits']>;
type Schemas = ReturnType<typeof buildSchemas>;
export type CdiDeviceNode = z.output<Schemas['deviceNode']>;
export type CdiMount = z.output<Schemas['mount']>;
export type CdiHook = z.output<Schemas['hook']>;

function editsEmpty(e: ContainerEdits): boolean {
  return !(e.env?.length || e.deviceNodes?.length || e.hooks?.length || e.mounts?.length || e.additionalGids?.length || e.intelRdt || e.netDevices?.length);
}

function versionIndex(v: string): number {
  return (CDI_VERSIONS as readonly string[]).indexOf(v.replace(/^v/, ''));
}

/** The oldest CDI version that has every field the spec uses (specs-go `MinimumRequiredVersion`), and why. */
export function requiredVersion(spec: CdiSpec): { version: string; why: string } {
  const all = [spec.containerEdits, ...spec.devices.map((d) => d.containerEdits)].filter((e): e is ContainerEdits => e !== undefined);
  if (all.some((e) => e.netDevices?.length)) return { version: '1.1.0', why: 'netDevices' };
  if (all.some((e) => e.intelRdt && (e.intelRdt.schemata !== undefined || e.intelRdt.enableMonitoring))) return { version: '1.1.0', why: 'intelRdt.schemata/enableMonitoring' };
  if (all.some((e) => e.intelRdt)) return { version: '0.7.0', why: 'intelRdt' };
  if (all.some((e) => e.additionalGids?.length)) return { version: '0.7.0', why: 'additionalGids' };
  if (Object.keys(spec.annotations ?? {}).length > 0 || spec.devices.some((d) => Object.keys(d.annotations ?? {}).length > 0)) return { version: '0.6.0', why: 'annotations' };
  if (spec.kind.slice(spec.kind.indexOf('/') + 1).includes('.')) return { version: '0.6.0', why: 'a "." in the class of the kind' };
  if (spec.devices.some((d) => /^[0-9]/.test(d.name))) return { version: '0.5.0', why: 'a device name starting with a digit' };
  if (all.some((e) => e.deviceNodes?.some((n) => n.hostPath !== undefined && n.hostPath !== ''))) return { version: '0.5.0', why: 'deviceNodes[].hostPath' };
  if (all.some((e) => e.mounts?.some((m) => m.type !== undefined && m.type !== ''))) return { version: '0.4.0', why: 'mounts[].type' };
  return { version: '0.3.0', why: '' };
}
