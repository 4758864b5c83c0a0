import { z } from 'zod';
import { didYouMean } from '../engine/errors.js';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { mountTargetProblem } from './mount-targets.js';
import { CONTAINER_NAME, CONTAINER_NAME_RULE, HOST_NAME_RULE, isHostName } from './names.js';
import { isSignal } from './signals.js';
import { splitShellWords } from './shellwords.js';
import { parseSecurityOpt } from './security-opt.js';
import type { Service, ServiceHook } from '../engine/service.js';
import {
  checkDevice,
  extraHost,
  parseDeviceShort,
  parseExtraHost,
  parsePortShort,
  parseProtocol,
  parsePublished,
  parseTmpfsShort,
  parseVolumeShort,
  PROPAGATION,
} from './short-syntax.js';
import type {
  BlkioConfig,
  DependsOn,
  DeployResources,
  DeviceMapping,
  EnvFile,
  ExtendsRef,
  ExtraHost,
  FileReference,
  Healthcheck,
  PortMapping,
  ServiceNetwork,
  TmpfsMount,
  Ulimit,
  VolumeMount,
} from './types.js';
import { parseBool, parseBytes, parseDuration } from './units.js';
import type { CdiDeviceRef, DeviceRequest } from '../engine/service-types.js';
import { looksQualified, parseQualifiedName } from '../linux/cdi/names.js';

/**
 * The compose service as plugins see it: every compose-spec service key validated, short syntax turned into
 * the long forms of types.ts, sizes in bytes and durations in nanoseconds. What ctnr DOES with each key is
 * decided in keys.ts; paths are made absolute by the loader (it knows the compose directory).
 *
 * Scalars accept the string forms interpolation produces (`"true"`, `"512"`), as compose-go does.
 */

// ------------------------------------------------------------------------------------------ helpers

/** Run a parser that throws plain Errors; its message becomes the issue at this value's path. */
function parsed<S extends z.ZodType, O>(schema: S, fn: (v: z.output<S>) => O) {
  return schema.transform((v, ctx): O => {
    try {
      return fn(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message, input: v });
      return z.NEVER;
    }
  });
}

/**
 * A compose sub-object: known keys typed, `x-*` extensions allowed and dropped, any other key an error with a
 * did-you-mean (compose-spec sub-objects are `additionalProperties: false`). Keys are compared as own
 * properties (`toString` is not a key of the shape) and a `__proto__` key, which zod's copy would drop
 * silently, is reported like any other unknown key.
 */
function obj<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  const unknownKey = (k: string) => `unknown key "${k}"${didYouMean(k, known)} (expected one of: ${known.join(', ')})`;
  return z.preprocess(
    (v, ctx) => {
      if (isMapping(v) && Object.hasOwn(v, '__proto__')) ctx.addIssue({ code: 'custom', message: unknownKey('__proto__'), path: ['__proto__'], input: v });
      return v;
    },
    z
      .looseObject(shape)
      .superRefine((v, ctx) => {
        for (const k of Object.keys(v)) {
          if (!Object.hasOwn(shape, k) && !k.startsWith('x-')) ctx.addIssue({ code: 'custom', message: unknownKey(k), path: [k], input: v });
        }
      })
      .transform((v) => {
        const out: Record<string, unknown> = {};
        for (const k of known) if ((v as Record<string, unknown>)[k] !== undefined) out[k] = (v as Record<string, unknown>)[k];
        return out as z.output<z.ZodObject<S>>;
      }),
  );
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A mapping whose keys the user chooses (labels, environment, sysctls, networks, …) → an object without a
 * prototype. zod's record copies into a plain `{}`, which silently drops a `__proto__` key, and a plain object
 * answers `"toString" in labels` with true; here every key of the file is kept and nothing else is there.
 * Issues keep zod's shape (`invalid_type` for a non-mapping), so the loader's messages stay the same.
 */
export function userMap<V extends z.ZodType>(value: V, key?: z.ZodType<string>) {
  const schema = z.unknown().transform((v, ctx) => {
    if (!isMapping(v)) {
      ctx.addIssue({ code: 'invalid_type', expected: 'record', input: v } as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    const out = Object.create(null) as Record<string, z.output<V>>;
    let ok = true;
    for (const k of Object.keys(v)) {
      const keyResult = key?.safeParse(k);
      if (keyResult && !keyResult.success) {
        ok = false;
        for (const issue of keyResult.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [k], input: k });
        continue;
      }
      const r = value.safeParse(v[k]);
      if (!r.success) {
        ok = false;
        for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: [k, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
        continue;
      }
      out[k] = r.data as z.output<V>;
    }
    return ok ? out : z.NEVER;
  });
  userMaps.set(schema, { value, ...(key ? { key } : {}) });
  return schema;
}

/** Each userMap's value and key schemas: its transform hides them, and fast-service.ts's fingerprints look inside. */
const userMaps = new WeakMap<object, { value: z.ZodType; key?: z.ZodType }>();

/** The value and key schemas of a schema made by userMap, else undefined. */
export function userMapParts(schema: unknown): { value: z.ZodType; key?: z.ZodType } | undefined {
  return typeof schema === 'object' && schema !== null ? userMaps.get(schema) : undefined;
}

/**
 * The service schemas, built on first use (`serviceSchemas()`): some 900 zod schemas, which a run whose services all
 * take the loader's fast path (fast-service.ts) never needs. Building them at import cost every `ctnr spec` some
 * ten milliseconds.
 */
export function serviceSchemas(): ServiceSchemas {
  return (schemas ??= buildSchemas());
}

export type ServiceSchemas = ReturnType<typeof buildSchemas>;
let schemas: ServiceSchemas | undefined;

function buildSchemas() {
  const bool = z.union([z.boolean(), parsed(z.string(), parseBool)]);

  function intFrom(text: string): number {
    if (!/^[+-]?\d+$/.test(text.trim())) throw new Error(`"${text}" is not an integer`);
    return Number(text.trim());
  }

  const int = z.union([z.number().int(), parsed(z.string(), intFrom)]);
  const nonNegInt = int.pipe(z.number().min(0, 'must not be negative'));

  function numberFrom(text: string): number {
    const n = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`"${text}" is not a number`);
    return n;
  }
  const num = z.union([z.number(), parsed(z.string(), numberFrom)]);

  /**
   * Numbers the spec holds as int64 (limits, quotas, periods) must stay exact in JavaScript and in range there:
   * `mem_limit: 1e308` or `cpus: 2e19` made a config.json the runtime-spec schema refuses.
   */
  const MAX_EXACT = Number.MAX_SAFE_INTEGER;
  const exact = (what: string) => z.number().max(MAX_EXACT, `${what} is too large (at most ${MAX_EXACT})`).min(-MAX_EXACT, `${what} is too small`);

  /** Bytes: `512m`, `1.5g`, `1024`. */
  const bytes = parsed(z.union([z.number(), z.string()]), parseBytes).pipe(z.number().min(0, 'must not be negative').max(MAX_EXACT, `is too large (at most ${MAX_EXACT} bytes)`));
  /** Bytes or -1 (unlimited), as `memswap_limit` allows. */
  const bytesOrUnlimited = parsed(z.union([z.number(), z.string()]), (v) => (String(v).trim() === '-1' ? -1 : parseBytes(v))).pipe(exact('the size'));
  /** Nanoseconds: `1m30s`, `500ms`. */
  const duration = parsed(z.union([z.string(), z.number()]), (v) => {
    if (typeof v === 'number') {
      if (v === 0) return 0;
      throw new Error(`${v} has no unit (write e.g. ${v}s)`);
    }
    return parseDuration(v);
  });
  /** Microseconds given as a number or a duration (`cpu_rt_period: 1s`). */
  const microseconds = parsed(z.union([z.number(), z.string()]), (v) => {
    if (typeof v === 'number') return Math.trunc(v);
    return /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : Math.trunc(parseDuration(v) / 1000);
  }).pipe(exact('the duration'));
  /** CPUs (`cpus`, deploy limits and reservations): docker's NanoCPUs (× 10⁹) must stay an exact integer. */
  const cpuCount = num.pipe(z.number().min(0).max(Math.floor(MAX_EXACT / 1e9), `must be at most ${Math.floor(MAX_EXACT / 1e9)}`));
  /** File modes: a number, or an octal string (`"0440"`, `"0o440"`). */
  const fileMode = parsed(z.union([z.number().int(), z.string()]), (v) => {
    if (typeof v === 'number') return v;
    const m = /^(?:0o?)?([0-7]{1,4})$/.exec(v.trim());
    if (!m) throw new Error(`"${v}" is not an octal file mode`);
    return parseInt(m[1]!, 8);
  });

  const stringOrList = z.union([z.string(), z.array(z.string())]).transform((v) => (typeof v === 'string' ? [v] : v));
  const listOfStrings = z.array(z.string());
  const scalar = z.union([z.string(), z.number(), z.boolean()]);

  /** A key of a `list_or_dict`: the runtime-spec forbids an empty annotation key, and docker an empty label key. */
  const dictKey = z.string().refine((k) => k.trim() !== '', 'a key must not be empty');

  /** `list_or_dict` (labels, annotations, sysctls, …) → record; `KEY` alone or `KEY: null` → empty string. */
  const dict = z.union([userMap(z.union([scalar, z.null()]), dictKey), z.array(z.string())]).transform((v, ctx) => {
    const out = Object.create(null) as Record<string, string>;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        const eq = item.indexOf('=');
        const key = (eq < 0 ? item : item.slice(0, eq)).trim();
        if (key === '') ctx.addIssue({ code: 'custom', message: `"${item}" is not KEY=VALUE`, path: [i], input: item });
        else out[key] = eq < 0 ? '' : item.slice(eq + 1);
      });
    } else {
      for (const [k, val] of Object.entries(v)) out[k] = val === null ? '' : String(val);
    }
    return out;
  });

  const command = z.union([z.string(), z.array(z.union([z.string(), z.number()])), z.null()]).transform((v, ctx) => {
    if (v === null) return null;
    if (Array.isArray(v)) return v.map(String);
    try {
      return splitShellWords(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message, input: v });
      return z.NEVER;
    }
  });

  /** `environment:` map or `KEY=VALUE` list → ordered entries; `null` marks "take it from the environment". */
  const environmentSchema = z
    .union([userMap(z.union([scalar, z.null()])), z.array(z.string())])
    .transform((v, ctx) => {
      // A later entry for the same key replaces the earlier one and moves to the end (a Map keeps that order in
      // constant time per entry; searching the list was quadratic in the number of variables).
      const entries = new Map<string, string | null>();
      const put = (k: string, val: string | null) => {
        entries.delete(k);
        entries.set(k, val);
      };
      if (Array.isArray(v)) {
        v.forEach((item, i) => {
          const eq = item.indexOf('=');
          const key = eq < 0 ? item : item.slice(0, eq);
          if (key === '' || /\s/.test(key)) {
            ctx.addIssue({ code: 'custom', message: `"${item}" is not KEY=VALUE`, path: [i], input: item });
            return;
          }
          put(key, eq < 0 ? null : item.slice(eq + 1));
        });
      } else {
        for (const [k, val] of Object.entries(v)) put(k, val === null ? null : String(val));
      }
      return [...entries];
    });

  // ------------------------------------------------------------------------------------- long forms

  const absolute = (what: string) => z.string().refine((s) => s.startsWith('/'), { message: `${what} must be an absolute path` });

  const volumeLong = obj({
    type: z.enum(['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image']),
    source: z.string().optional(),
    target: absolute('target'),
    read_only: bool.optional(),
    consistency: z.string().optional(),
    bind: obj({
      propagation: z.enum(PROPAGATION).optional(),
      create_host_path: bool.optional(),
      recursive: z.enum(['enabled', 'disabled', 'writable', 'readonly']).optional(),
      selinux: z.enum(['z', 'Z']).optional(),
    }).optional(),
    volume: obj({ labels: dict.optional(), nocopy: bool.optional(), subpath: z.string().optional() }).optional(),
    tmpfs: obj({ size: bytes.optional(), mode: fileMode.optional() }).optional(),
    image: obj({ subpath: z.string().optional() }).optional(),
  }).transform((v, ctx): VolumeMount => {
    if ((v.type === 'bind' || v.type === 'image') && !v.source) {
      ctx.addIssue({ code: 'custom', message: `${v.type === 'image' ? 'an' : 'a'} ${v.type} mount needs a "source"`, input: v });
      return z.NEVER;
    }
    if (v.type === 'tmpfs' && v.source) {
      ctx.addIssue({ code: 'custom', message: 'a tmpfs mount takes no "source"', path: ['source'], input: v });
      return z.NEVER;
    }
    const out: VolumeMount = { type: v.type, target: v.target };
    if (v.source !== undefined && v.source !== '') out.source = v.source;
    if (v.read_only !== undefined) out.read_only = v.read_only;
    if (v.consistency !== undefined) out.consistency = v.consistency;
    if (v.bind) out.bind = v.bind;
    if (v.bind?.selinux) out.selinux = v.bind.selinux;
    if (v.volume) out.volume = v.volume;
    if (v.tmpfs) out.tmpfs = v.tmpfs;
    if (v.image) out.image = v.image;
    return out;
  });

  /** A mount target docker and runc refuse (`/`, over /proc) is refused where it is written. */
  function checkTarget(m: { target: string }, ctx: z.RefinementCtx): void {
    const problem = mountTargetProblem(m.target);
    if (problem) ctx.addIssue({ code: 'custom', message: `"${m.target}": ${problem}`, input: m });
  }

  const volumes = z.array(z.union([parsed(z.string(), parseVolumeShort), volumeLong]).superRefine(checkTarget));

  const portLong = obj({
    name: z.string().optional(),
    mode: z.enum(['host', 'ingress']).optional(),
    host_ip: z.string().optional(),
    target: int.pipe(z.number().min(1).max(65535)),
    published: z.union([z.string(), z.number().int()]).optional(),
    protocol: z.string().optional(),
    app_protocol: z.string().optional(),
  }).transform((v, ctx): PortMapping => {
    try {
      const published = v.published === undefined ? undefined : parsePublished(v.published, v.target);
      return {
        target: v.target,
        ...(published !== undefined ? { published } : {}),
        protocol: v.protocol ? parseProtocol(v.protocol, v.protocol) : 'tcp',
        ...(v.host_ip !== undefined ? { host_ip: v.host_ip } : {}),
        mode: v.mode ?? 'ingress',
        ...(v.name !== undefined ? { name: v.name } : {}),
        ...(v.app_protocol !== undefined ? { app_protocol: v.app_protocol } : {}),
      };
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message, input: v });
      return z.NEVER;
    }
  });

  /** Ports: each short entry may expand to several mappings (ranges), so the list is flattened. */
  const ports = z
    .array(z.union([parsed(z.union([z.string(), z.number()]), parsePortShort), portLong.transform((p) => [p])]))
    .transform((lists) => lists.flat());

  const extraHosts = z
    .union([
      z.array(parsed(z.string(), parseExtraHost)),
      userMap(z.union([z.string(), z.array(z.string())])).transform((v, ctx): ExtraHost[] => {
        const out: ExtraHost[] = [];
        for (const [host, ips] of Object.entries(v)) {
          for (const ip of typeof ips === 'string' ? [ips] : ips) {
            try {
              out.push(extraHost(host, ip));
            } catch (e) {
              ctx.addIssue({ code: 'custom', message: (e as Error).message, path: [host], input: ip });
            }
          }
        }
        return out;
      }),
    ]);

  const ulimitValue = z.union([
    int.transform((n): Ulimit => ({ soft: n, hard: n })),
    obj({ soft: int, hard: int }).transform((v): Ulimit => ({ soft: v.soft, hard: v.hard })),
  ]);
  const ulimits = userMap(ulimitValue, z.string().regex(/^[a-z]+$/, 'ulimit names are lower-case letters'));

  const tmpfs = z
    .union([z.string().transform((s) => [s]), z.array(z.string())])
    .pipe(z.array(parsed(z.string(), parseTmpfsShort).superRefine(checkTarget)));

  const devices = z.array(
    z.union([
      parsed(z.string(), parseDeviceShort),
      obj({ source: z.string(), target: z.string().optional(), permissions: z.string().optional() }).transform((v, ctx): DeviceMapping | CdiDeviceRef => {
        try {
          if (looksQualified(v.source)) {
            parseQualifiedName(v.source);
            if (v.target !== undefined || v.permissions !== undefined) throw new Error(`"${v.source}" is a CDI device: its spec file says where it goes and with which permissions (no "target" or "permissions")`);
            return { cdi: v.source };
          }
          return checkDevice({ source: v.source, target: v.target ?? v.source, permissions: v.permissions ?? 'rwm' }, v.source);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message, input: v });
          return z.NEVER;
        }
      }),
    ]),
  );

  const healthcheck = obj({
    disable: bool.optional(),
    interval: duration.optional(),
    retries: nonNegInt.optional(),
    test: z.union([z.string(), z.array(z.string())]).optional(),
    timeout: duration.optional(),
    start_period: duration.optional(),
    start_interval: duration.optional(),
  }).transform((v, ctx): Healthcheck => {
    const out: Healthcheck = {};
    if (v.test !== undefined) {
      // A string runs through the shell (compose-spec); a list starts with NONE, CMD or CMD-SHELL.
      out.test = typeof v.test === 'string' ? ['CMD-SHELL', v.test] : v.test;
      if (!['NONE', 'CMD', 'CMD-SHELL'].includes(out.test[0] ?? '')) {
        ctx.addIssue({ code: 'custom', message: `the test list must start with NONE, CMD or CMD-SHELL (got ${JSON.stringify(out.test[0] ?? '')})`, path: ['test'], input: v.test });
        return z.NEVER;
      }
    }
    for (const k of ['interval', 'timeout', 'start_period', 'start_interval', 'retries'] as const) if (v[k] !== undefined) out[k] = v[k];
    if (v.disable === true || out.test?.[0] === 'NONE') out.disable = true;
    else if (v.disable === false) out.disable = false;
    return out;
  });

  const limitResources = obj({ cpus: cpuCount.optional(), memory: bytes.optional(), pids: int.optional() });
  /**
   * A device request (`gpus:` entries, `deploy.resources.reservations.devices`; compose-spec `devices`): `count`
   * is a positive number or `'all'` (`all`, `-1`), not with `device_ids`; `driver: cdi` takes `device_ids` that
   * are CDI device names. What ctnr does with a request is ctnr:cdi's (docs/cdi.md).
   */
  const deviceCount = parsed(z.union([z.number(), z.string()]), (v): number | 'all' => {
    const t = String(v).trim();
    if (t === 'all' || t === '-1') return 'all';
    if (/^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= MAX_EXACT) return Number(t);
    throw new Error(`${JSON.stringify(v)} is not a device count (a positive number, or all)`);
  });

  const deviceRequest = obj({
    capabilities: listOfStrings.optional(),
    count: deviceCount.optional(),
    device_ids: listOfStrings.optional(),
    driver: z.string().optional(),
    options: dict.optional(),
  }).transform((v, ctx): DeviceRequest => {
    const out: DeviceRequest = {};
    if (v.capabilities !== undefined) out.capabilities = v.capabilities;
    if (v.count !== undefined) out.count = v.count;
    if (v.count !== undefined && v.device_ids !== undefined) ctx.addIssue({ code: 'custom', message: 'count and device_ids exclude each other (device_ids says which, count how many)', path: ['count'], input: v });
    if (v.driver === 'cdi') {
      if (v.device_ids === undefined || v.device_ids.length === 0) ctx.addIssue({ code: 'custom', message: 'driver cdi needs device_ids: the CDI device names (VENDOR/CLASS=NAME)', path: ['driver'], input: v });
      v.device_ids?.forEach((id, i) => {
        try {
          parseQualifiedName(id);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message, path: ['device_ids', i], input: id });
        }
      });
    }
    if (v.device_ids !== undefined) out.device_ids = v.device_ids;
    if (v.driver !== undefined) out.driver = v.driver;
    if (v.options !== undefined) out.options = v.options;
    return out;
  });

  const reservationResources = obj({
    cpus: cpuCount.optional(),
    memory: bytes.optional(),
    generic_resources: z.array(z.unknown()).optional(),
    devices: z.array(deviceRequest).optional(),
  });

  const deploy = z.union([
    z.null().transform(() => undefined),
    obj({
      mode: z.string().optional(),
      endpoint_mode: z.string().optional(),
      replicas: int.optional(),
      labels: dict.optional(),
      rollback_config: z.record(z.string(), z.unknown()).optional(),
      update_config: z.record(z.string(), z.unknown()).optional(),
      resources: obj({ limits: limitResources.optional(), reservations: reservationResources.optional() })
        .transform((v): DeployResources => v)
        .optional(),
      restart_policy: obj({ condition: z.string().optional(), delay: duration.optional(), max_attempts: int.optional(), window: duration.optional() }).optional(),
      placement: z.record(z.string(), z.unknown()).optional(),
    }),
  ]);

  const blkioLimit = obj({ path: absolute('path'), rate: bytes });
  const blkioIops = obj({ path: absolute('path'), rate: nonNegInt });
  const blkioWeight = obj({ path: absolute('path'), weight: int.pipe(z.number().min(10).max(1000)) });
  const blkio = obj({
    weight: int.pipe(z.number().min(10).max(1000)).optional(),
    weight_device: z.array(blkioWeight).optional(),
    device_read_bps: z.array(blkioLimit).optional(),
    device_write_bps: z.array(blkioLimit).optional(),
    device_read_iops: z.array(blkioIops).optional(),
    device_write_iops: z.array(blkioIops).optional(),
  }).transform((v): BlkioConfig => v);

  /** A name other containers resolve: it becomes a word of an /etc/hosts line, so no space, newline or `#`. */
  const hostName = (what: string) =>
    z.string().superRefine((s, ctx) => {
      if (!isHostName(s)) ctx.addIssue({ code: 'custom', message: `${what} ${JSON.stringify(s)} is not a host name (${HOST_NAME_RULE})`, input: s });
    });

  const address = (what: string, test: (s: string) => boolean) =>
    z.string().superRefine((s, ctx) => {
      if (!test(s)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not ${what}`, input: s });
    });

  const serviceNetwork = obj({
    aliases: z.array(hostName('alias')).optional(),
    interface_name: z.string().optional(),
    ipv4_address: address('an IPv4 address', isIPv4).optional(),
    ipv6_address: address('an IPv6 address', isIPv6).optional(),
    link_local_ips: z.array(address('an IP address', (s) => isIP(s) !== 0)).optional(),
    mac_address: z.string().optional(),
    driver_opts: userMap(z.union([z.string(), z.number()]).transform(String)).optional(),
    priority: num.optional(),
    gw_priority: num.optional(),
  }).transform((v): ServiceNetwork => v);

  const networks = z.union([
    z.array(z.string()).transform((names) => Object.assign(Object.create(null), Object.fromEntries(names.map((n) => [n, null]))) as Record<string, ServiceNetwork | null>),
    userMap(z.union([z.null(), serviceNetwork])),
  ]);

  const fileRefs = z.array(
    z.union([
      z.string().transform((source): FileReference => ({ source })),
      obj({
        source: z.string(),
        target: z.string().optional(),
        uid: z.union([z.string(), z.number().int()]).transform(String).optional(),
        gid: z.union([z.string(), z.number().int()]).transform(String).optional(),
        mode: fileMode.optional(),
      }).transform((v): FileReference => v),
    ]),
  );

  /** A path to a file: "" would resolve to the compose directory itself. */
  const filePath = z.string().min(1, 'is empty (expected the path of a file)');

  const envFile = z
    .union([
      filePath.transform((p) => [p]),
      z.array(z.union([filePath, obj({ path: filePath, format: z.string().optional(), required: bool.optional() })])),
    ])
    .transform((list): EnvFile[] =>
      list.map((e) => (typeof e === 'string' ? { path: e, required: true } : { path: e.path, required: e.required ?? true, ...(e.format ? { format: e.format } : {}) })),
    );

  const extendsRef = z.union([
    z.string().transform((service): ExtendsRef => ({ service })),
    obj({ service: z.string(), file: z.string().optional() }).transform((v): ExtendsRef => v),
  ]);

  const dependsOn = z.union([
    z.array(z.string()).transform((names): Record<string, DependsOn> => Object.assign(Object.create(null), Object.fromEntries(names.map((n) => [n, { condition: 'service_started', required: true }])))),
    userMap(
      obj({
        condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
        restart: bool.optional(),
        required: bool.optional(),
      }).transform((v): DependsOn => ({ ...v, required: v.required ?? true })),
    ),
  ]);

  const expose = z.array(
    z.union([z.string(), z.number().int()]).transform(String).refine((s) => /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(s), {
      message: 'is not a port (expected PORT[-PORT][/PROTO])',
    }),
  );

  const signal = z
    .union([z.string(), z.number().int()])
    .transform(String)
    .superRefine((s, ctx) => {
      if (!isSignal(s)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a signal (a name such as SIGTERM or RTMIN+3, or a number 1-64)`, input: s });
    });

  /** `user` / `uid`, optionally `:group` / `:gid`; "" means the image's user. Spaces or an empty part are refused (" " became uid 0). */
  const user = z
    .union([z.string(), z.number().int()])
    .transform(String)
    .superRefine((s, ctx) => {
      if (s !== '' && !/^[^\s:]+(:[^\s:]+)?$/.test(s)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a user (expected USER, UID, USER:GROUP or UID:GID)`, input: s });
    });

  /**
   * `network_mode` (and the other namespace modes): a word, `service:NAME` or `container:ID`, exactly as written.
   * " " used to be read as "unset" (a new namespace); "" still means unset.
   */
  const namespaceMode = (what: string) =>
    z.string().superRefine((s, ctx) => {
      if (s === '') return;
      const ok = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s) || /^(service|container):[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s);
      if (!ok) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not ${what} (a word such as host or none, service:NAME or container:ID)`, input: s });
    });

  const hookFields = {
    command: command,
    user: user.optional(),
    privileged: bool.optional(),
    working_dir: absolute('working_dir').optional(),
    environment: environmentSchema.optional(),
  };

  function hookOut(
    v: { command?: string[] | null; user?: string | undefined; privileged?: boolean | undefined; working_dir?: string | undefined; environment?: Array<[string, string | null]> | undefined },
    ctx: z.RefinementCtx,
  ): ServiceHook | typeof z.NEVER {
    if (v.command === null || v.command === undefined || v.command.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a hook needs a command', path: ['command'], input: v });
      return z.NEVER;
    }
    const out: ServiceHook = { command: v.command };
    if (v.user !== undefined) out.user = v.user;
    if (v.privileged !== undefined) out.privileged = v.privileged;
    if (v.working_dir !== undefined) out.working_dir = v.working_dir;
    if (v.environment !== undefined) out.environment = v.environment;
    return out;
  }

  /** A `post_start` / `pre_stop` entry: compose-spec `service_hook` (`command` required, words as for `command:`). */
  const serviceHook = obj(hookFields).transform((v, ctx): ServiceHook => hookOut(v, ctx));

  /**
   * A `pre_start` entry: a `service_hook` with compose's `image` (the hook container's, default the service's) and
   * `per_replica` (only false: compose refuses true too).
   */
  const preStartHook = obj({ ...hookFields, image: z.string().min(1).optional(), per_replica: bool.optional() }).transform((v, ctx): ServiceHook => {
    if (v.per_replica === true) {
      ctx.addIssue({ code: 'custom', message: 'per_replica is not supported (compose runs pre_start once per service); remove it or set it to false', path: ['per_replica'], input: v });
      return z.NEVER;
    }
    const out = hookOut(v, ctx);
    if (out !== z.NEVER && v.image !== undefined) out.image = v.image;
    return out;
  });

  // ------------------------------------------------------------------------------------ the service

  const serviceShape = {
    // process
    image: z.string().optional(),
    entrypoint: command.optional(),
    command: command.optional(),
    environment: environmentSchema.optional(),
    env_file: envFile.optional(),
    working_dir: z.string().optional(),
    user: user.optional(),
    group_add: z.array(z.union([z.string(), z.number().int()]).transform(String)).optional(),
    cap_add: z.array(z.string()).optional(),
    cap_drop: z.array(z.string()).optional(),
    privileged: bool.optional(),
    tty: bool.optional(),
    stdin_open: bool.optional(),
    ulimits: ulimits.optional(),
    oom_score_adj: int.pipe(z.number().min(-1000).max(1000)).optional(),
    oom_kill_disable: bool.optional(),
    security_opt: z.array(z.string()).transform((list) => list.map(parseSecurityOpt)).optional(),
    init: bool.optional(),
    read_only: bool.optional(),
    stop_signal: signal.optional(),
    stop_grace_period: duration.optional(),
    healthcheck: healthcheck.optional(),
    // mounts
    volumes: volumes.optional(),
    volumes_from: listOfStrings.optional(),
    tmpfs: tmpfs.optional(),
    shm_size: bytes.optional(),
    devices: devices.optional(),
    device_cgroup_rules: listOfStrings.optional(),
    secrets: fileRefs.optional(),
    configs: fileRefs.optional(),
    storage_opt: z.record(z.string(), z.unknown()).optional(),
    // resources
    mem_limit: bytes.optional(),
    mem_reservation: bytes.optional(),
    memswap_limit: bytesOrUnlimited.optional(),
    mem_swappiness: int.pipe(z.number().min(0).max(100)).optional(),
    cpus: cpuCount.optional(),
    cpu_shares: int.optional(),
    cpu_quota: int.optional(),
    cpu_period: int.optional(),
    cpu_rt_period: microseconds.pipe(z.number().min(0, 'must not be negative')).optional(),
    cpu_rt_runtime: microseconds.optional(),
    cpu_count: nonNegInt.optional(),
    cpu_percent: int.pipe(z.number().min(0).max(100)).optional(),
    cpuset: z.string().optional(),
    pids_limit: int.optional(),
    blkio_config: blkio.optional(),
    deploy: deploy.optional(),
    cgroup: z.enum(['host', 'private']).optional(),
    cgroup_parent: z.string().optional(),
    gpus: z.union([z.array(deviceRequest), z.literal('all')]).optional(),
    // namespaces, network
    network_mode: namespaceMode('a network mode').optional(),
    networks: networks.optional(),
    ipc: z.string().optional(),
    pid: z.string().nullable().optional(),
    uts: z.string().optional(),
    userns_mode: z.string().optional(),
    hostname: z.string().optional(),
    domainname: z.string().optional(),
    mac_address: z.string().optional(),
    ports: ports.optional(),
    expose: expose.optional(),
    extra_hosts: extraHosts.optional(),
    dns: stringOrList.optional(),
    dns_search: stringOrList.optional(),
    dns_opt: listOfStrings.optional(),
    links: listOfStrings.optional(),
    external_links: listOfStrings.optional(),
    sysctls: dict.optional(),
    // metadata
    labels: dict.optional(),
    label_file: z.union([filePath, z.array(filePath)]).transform((v) => (typeof v === 'string' ? [v] : v)).optional(),
    annotations: dict.optional(),
    // Empty (an unset variable) means no name, as the engine takes it.
    container_name: z
      .string()
      .refine((s) => s === '' || CONTAINER_NAME.test(s), `is not a container name (${CONTAINER_NAME_RULE})`)
      .transform((s) => (s === '' ? undefined : s))
      .optional(),
    restart: z.string().optional(),
    depends_on: dependsOn.optional(),
    profiles: listOfStrings.optional(),
    extends: extendsRef.optional(),
    platform: z.string().optional(),
    logging: obj({ driver: z.string().optional(), options: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional() }).optional(),
    // outside a single container's runtime (see keys.ts for what happens to them)
    build: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    develop: z.record(z.string(), z.unknown()).nullable().optional(),
    pull_policy: z.string().optional(),
    pull_refresh_after: z.string().optional(),
    scale: int.optional(),
    attach: bool.optional(),
    runtime: z.string().optional(),
    isolation: z.string().optional(),
    credential_spec: z.record(z.string(), z.unknown()).optional(),
    post_start: z.array(serviceHook).optional(),
    pre_stop: z.array(serviceHook).optional(),
    pre_start: z.array(preStartHook).optional(),
    provider: z.record(z.string(), z.unknown()).optional(),
    models: z.union([listOfStrings, z.record(z.string(), z.unknown())]).optional(),
    use_api_socket: bool.optional(),
  };

  /** Unknown keys are judged by the loader's key policy (keys.ts) before this schema runs. */
  const serviceSchema = z.looseObject(serviceShape);

  return { serviceShape, serviceSchema, bool, int, num, bytes, duration, dict, environmentSchema, stringOrList };
}

/** The service schema's keys and their schemas, in the order the schema produces them. */
export type ServiceShape = ServiceSchemas['serviceShape'];
/** What the schema produces: the `Service` contract, but `environment` may still say "take it from the environment" (`null`). */
export type ServiceFields = z.output<z.ZodObject<ServiceShape>>;

/** The plugins' contract (src/engine/service.ts); the loader resolves `environment` before handing it over. */
export type { Service };

// ------------------------------------------------------------- the schema and the contract cannot drift
// Each check is a tsc error naming the offending key: `Type '"hostnme"' does not satisfy the constraint 'never'`.

/** The schema's output once the loader resolved `environment` (what selectService hands to the engine). */
type Resolved = Omit<ServiceFields, 'environment'> & { environment?: Array<[string, string]> };
type None<K extends never> = K;
/** A key the schema produces that the contract lacks (add it to Service, or drop it from the schema). */
export type SchemaKeysOutsideContract = None<Exclude<keyof Resolved, keyof Service>>;
/** A contract key no schema key produces (`extensions` is filled by the loader, not the schema). */
export type ContractKeysOutsideSchema = None<Exclude<keyof Service, keyof Resolved | 'extensions'>>;
/** A key whose schema output is not assignable to the contract's type for it. */
export type KeysOfAnotherType = None<{ [K in keyof Resolved & keyof Service]-?: [Resolved[K]] extends [Service[K]] ? never : K }[keyof Resolved & keyof Service]>;

export type { TmpfsMount };
