import { isIP } from 'node:net';
import type { DeviceMapping, ExtraHost, PortMapping, TmpfsMount, VolumeMount } from './types.js';
import { parseBytes } from './units.js';
import type { CdiDeviceRef } from '../engine/service-types.js';
import { looksQualified, parseQualifiedName } from '../linux/cdi/names.js';

/**
 * Compose short syntax → long form, following the compose-spec text and compose-go's parsers. Each parser
 * throws a plain `Error` whose message says what was expected; the schema turns it into a located issue.
 * Paths are NOT resolved here (the loader knows the compose directory).
 */

// ---------------------------------------------------------------------------------------------- ports

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const PORT_SHAPE = '[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]';

function portNumber(text: string, whole: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`"${whole}" is not a port mapping (expected ${PORT_SHAPE})`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new Error(`port ${text} in "${whole}" is out of range (1-65535)`);
  return n;
}

function portRange(text: string, whole: string): [number, number] {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const n = portNumber(text, whole);
    return [n, n];
  }
  const lo = portNumber(text.slice(0, dash), whole);
  const hi = portNumber(text.slice(dash + 1), whole);
  if (hi < lo) throw new Error(`port range ${text} in "${whole}" ends before it starts`);
  return [lo, hi];
}

export function parseProtocol(proto: string, whole: string): PortMapping['protocol'] {
  const p = proto.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(p)) throw new Error(`"${whole}": unknown protocol "${proto}" (expected tcp, udp or sctp)`);
  return p as PortMapping['protocol'];
}

/**
 * `[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]` → one mapping per container port. The HOST side is
 * `published`. Ranges must have the same length; an IPv6 host IP goes in brackets (`[::1]:80:80`), a bare
 * IPv6 address is accepted when the two port fields are present.
 */
export function parsePortShort(input: string | number): PortMapping[] {
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) throw new Error(`${input} is not a port`);
    return [{ target: portNumber(String(input), String(input)), protocol: 'tcp', mode: 'ingress' }];
  }
  const whole = input;
  let spec = input.trim();
  let protocol: PortMapping['protocol'] = 'tcp';
  const slash = spec.lastIndexOf('/');
  if (slash >= 0) {
    protocol = parseProtocol(spec.slice(slash + 1), whole);
    spec = spec.slice(0, slash);
  }
  let ip: string | undefined;
  let host: string | undefined;
  let container: string;
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']');
    if (close < 0 || spec[close + 1] !== ':') throw new Error(`"${whole}" is not a port mapping (expected ${PORT_SHAPE})`);
    ip = spec.slice(1, close);
    const rest = spec.slice(close + 2).split(':');
    if (rest.length !== 2) throw new Error(`"${whole}" is not a port mapping (expected [IPv6]:HOST:CONTAINER)`);
    [host, container] = rest as [string, string];
  } else {
    const parts = spec.split(':');
    if (parts.length === 1) container = parts[0]!;
    else if (parts.length === 2) [host, container] = parts as [string, string];
    else {
      container = parts.pop()!;
      host = parts.pop()!;
      ip = parts.join(':');
    }
  }
  if (ip !== undefined) {
    if (ip === '') throw new Error(`"${whole}" has an empty host IP`);
    if (isIP(ip) === 0) throw new Error(`"${ip}" in "${whole}" is not an IP address`);
  }
  const [clo, chi] = portRange(container, whole);
  let hostRange: [number, number] | undefined;
  if (host !== undefined && host !== '') {
    hostRange = portRange(host, whole);
    const hostLen = hostRange[1] - hostRange[0];
    const contLen = chi - clo;
    if (hostLen !== contLen) {
      if (contLen === 0) {
        throw new Error(`"${whole}": a host port range for one container port (docker picks a free port) is not supported; publish one port`);
      }
      throw new Error(`"${whole}": host range ${host} and container range ${container} have different lengths`);
    }
  }
  const out: PortMapping[] = [];
  for (let i = 0; i <= chi - clo; i++) {
    out.push({
      target: clo + i,
      ...(hostRange ? { published: hostRange[0] + i } : {}),
      protocol,
      ...(ip !== undefined ? { host_ip: ip } : {}),
      mode: 'ingress',
    });
  }
  return out;
}

/** Long-form `published` (string or number, possibly a range) → port list. */
export function parsePublished(value: string | number, target: number): number | undefined {
  const text = String(value).trim();
  if (text === '') return undefined;
  const [lo, hi] = portRange(text, text);
  if (lo !== hi) throw new Error(`published range "${text}" for target ${target} is not supported; publish one port`);
  return lo;
}

// -------------------------------------------------------------------------------------------- volumes

const PROPAGATION = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;
const CONSISTENCY = ['consistent', 'cached', 'delegated'];
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Compose treats a source as a host path when it starts with `.`, `/` or `~` (or a Windows drive). */
export function isHostPath(source: string): boolean {
  return /^[./~]/.test(source) || /^[a-zA-Z]:[\\/]/.test(source);
}

/** `[SRC:]DST[:OPTS]` → VolumeMount (bind for paths, volume for names, anonymous volume for a lone DST). */
export function parseVolumeShort(input: string): VolumeMount {
  const parts = input.split(':');
  // A Windows drive letter (`C:\data:/data`) keeps its colon.
  if (parts.length > 1 && /^[a-zA-Z]$/.test(parts[0]!) && /^[\\/]/.test(parts[1] ?? '')) parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new Error(`"${input}" is not a volume (expected [SOURCE:]TARGET[:OPTIONS])`);
  }
  if (parts.length === 1) {
    const target = parts[0]!;
    if (!target.startsWith('/')) throw new Error(`"${input}": the container path must be absolute`);
    return { type: 'volume', target };
  }
  const [source, target, opts] = parts as [string, string, string | undefined];
  if (!target.startsWith('/')) throw new Error(`"${input}": the container path "${target}" must be absolute`);
  const bind = isHostPath(source);
  if (!bind && !VOLUME_NAME.test(source)) {
    throw new Error(`"${source}" is neither a volume name nor a host path (write ./${source} for a path relative to the compose file)`);
  }
  const mount: VolumeMount = bind ? { type: 'bind', source, target } : { type: 'volume', source, target };
  for (const opt of opts ? opts.split(',') : []) {
    if (opt === 'ro') mount.read_only = true;
    else if (opt === 'rw') mount.read_only = false;
    else if (opt === 'z' || opt === 'Z') {
      mount.selinux = opt;
      if (bind) mount.bind = { ...mount.bind, selinux: opt };
    } else if ((PROPAGATION as readonly string[]).includes(opt)) {
      if (!bind) throw new Error(`"${input}": propagation "${opt}" applies to bind mounts only`);
      mount.bind = { ...mount.bind, propagation: opt as (typeof PROPAGATION)[number] };
    } else if (opt === 'nocopy') {
      if (bind) throw new Error(`"${input}": "nocopy" applies to named volumes only`);
      mount.volume = { ...mount.volume, nocopy: true };
    } else if (CONSISTENCY.includes(opt)) mount.consistency = opt;
    else throw new Error(`"${input}": unknown volume option "${opt}" (expected ro, rw, z, Z, nocopy or a propagation mode)`);
  }
  if (bind) mount.bind = { create_host_path: true, ...mount.bind };
  return mount;
}

export { PROPAGATION };

// ---------------------------------------------------------------------------------------- extra_hosts

/** `host:ip`, `host=ip`; IPv6 may be bare (`host:::1`) or bracketed (`host=[::1]`). `host-gateway` is kept. */
export function parseExtraHost(input: string): ExtraHost {
  const eq = input.indexOf('=');
  const sep = eq >= 0 ? eq : input.indexOf(':');
  if (sep <= 0) throw new Error(`"${input}" is not a host mapping (expected HOST:IP or HOST=IP)`);
  return extraHost(input.slice(0, sep), input.slice(sep + 1), input);
}

export function extraHost(host: string, rawIp: string, whole = `${host}=${rawIp}`): ExtraHost {
  const ip = rawIp.trim().replace(/^\[(.*)\]$/, '$1');
  if (host.trim() === '' || /\s/.test(host)) throw new Error(`"${whole}": "${host}" is not a host name`);
  if (ip !== 'host-gateway' && isIP(ip) === 0) throw new Error(`"${whole}": "${rawIp}" is not an IP address`);
  return { host: host.trim(), ip };
}

// -------------------------------------------------------------------------------------------- devices

const PERMS = /^[rwm]{1,3}$/;

/**
 * `SRC[:DST[:PERMS]]`; `SRC:PERMS` when the second field is a permission set (docker's rule). A CDI device name
 * (`vendor.com/class=name`, which may hold `:`) is taken whole, as docker's CLI does.
 */
export function parseDeviceShort(input: string): DeviceMapping | CdiDeviceRef {
  if (looksQualified(input)) {
    parseQualifiedName(input); // throws, saying what is wrong with the name
    return { cdi: input };
  }
  const parts = input.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new Error(`"${input}" is not a device (expected SOURCE[:TARGET[:PERMISSIONS]])`);
  const source = parts[0]!;
  let target = source;
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (PERMS.test(parts[1]!)) permissions = parts[1]!;
    else target = parts[1]!;
  } else if (parts.length === 3) {
    target = parts[1]!;
    permissions = parts[2]!;
  }
  return checkDevice({ source, target, permissions }, input);
}

export function checkDevice(d: DeviceMapping, whole: string): DeviceMapping {
  if (!d.source.startsWith('/')) throw new Error(`"${whole}": device "${d.source}" must be an absolute path or a CDI device name (VENDOR/CLASS=NAME)`);
  if (!d.target.startsWith('/')) throw new Error(`"${whole}": container path "${d.target}" must be absolute`);
  if (!PERMS.test(d.permissions) || new Set(d.permissions).size !== d.permissions.length) {
    throw new Error(`"${whole}": permissions "${d.permissions}" must be a subset of rwm`);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------- tmpfs

/** `/run` or `/run:size=64m,mode=1777` (docker's `--tmpfs` syntax); size becomes bytes. */
export function parseTmpfsShort(input: string): TmpfsMount {
  const colon = input.indexOf(':');
  const target = colon < 0 ? input : input.slice(0, colon);
  if (!target.startsWith('/')) throw new Error(`"${input}": tmpfs path "${target}" must be absolute`);
  const options = colon < 0 || input.slice(colon + 1) === '' ? [] : input.slice(colon + 1).split(',');
  return {
    target,
    options: options.map((o) => {
      if (o === '') throw new Error(`"${input}" has an empty mount option`);
      if (o.startsWith('size=')) return `size=${parseBytes(o.slice(5))}`;
      if (o.startsWith('mode=') && !/^mode=[0-7]{1,4}$/.test(o)) throw new Error(`"${input}": ${o} is not an octal mode`);
      return o;
    }),
  };
}
