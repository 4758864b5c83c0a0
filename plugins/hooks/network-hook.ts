import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { PortMapping, Service, ServiceNetwork } from '../../src/engine/service.js';
import { HOST_NAME_RULE, isHostName } from '../../src/compose/names.js';
import { definePlugin } from '../../src/engine/define.js';
import { ops } from '../../src/engine/patch.js';
import { parseLink } from '../../src/network/links.js';
import { networkSchemas, NETWORK_SETTINGS_FILE, SAFE_NAME, type Link, type NetworkAttachment, type NetworkSettings, type PortForward } from '../../src/network/settings.js';
import type { Operation } from '../../src/engine/types.js';
import { lazyOptions } from '../options.js';
import { cleanDestination } from '../../src/spec/mounts.js';
import { DEFAULT_SUBNET_POOL } from '../../src/network/pool.js';

const optionsSchema = () =>
  z.strictObject({
    /** Absolute argv prefix running the ctnr CLI (default: this node binary + ctnr's bin/ctnr.cjs). */
    command: z.array(z.string().min(1)).min(1).refine((a) => path.isAbsolute(a[0]!), 'the first element must be an absolute path').optional(),
    /** CNI plugin directories (CNI_PATH). */
    cniPath: z.array(z.string().refine((p) => path.isAbsolute(p), 'must be absolute')).min(1).optional(),
    /** Directory of CNI network configs looked up by network name. */
    confDir: z.string().refine((p) => path.isAbsolute(p), 'must be absolute').optional(),
    /** Where the built-in config takes one /24 per compose network from. */
    subnetPool: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'an IPv4 CIDR').optional(),
    /** Project CNI configs by compose network key (their `name` becomes the CNI network name). */
    networks: z.record(z.string(), networkSchemas().conflistSchema).optional(),
    /** Seconds the runtime gives each hook. */
    timeout: z.number().int().positive().optional(),
  });
export type NetworkHookOptions = z.input<ReturnType<typeof optionsSchema>>;
const checkOptions = lazyOptions('ctnr:network-hook', optionsSchema);

export const DEFAULT_CNI_PATH = ['/usr/lib/cni'];
export const DEFAULT_CONF_DIR = '/etc/cni/net.d';
/** Hooks get this PATH, never the creator's (the spec may run on another shell, user or machine). */
export const HOOK_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** A hosts file of our own when no other plugin mounted one at /etc/hosts. */
export const FALLBACK_HOSTS_FILE = 'ctnr/hosts';

let entryCache: string | undefined;
/** bin/ctnr.cjs of this ctnr install: found upward from this module (plugins/, dist/ or dist/plugins/). */
export function ctnrEntryPoint(): string | undefined {
  if (entryCache !== undefined) return entryCache || undefined;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  entryCache = '';
  for (let i = 0; i < 5; i++) {
    const bin = path.join(dir, 'bin', 'ctnr.cjs');
    try {
      if (existsSync(bin) && JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'ctnr') {
        entryCache = bin;
        break;
      }
    } catch {
      /* keep looking */
    }
    dir = path.dirname(dir);
  }
  return entryCache || undefined;
}

let defaultCommandCache: string[] | undefined;
/** This node binary running this install's bin/ctnr.cjs, found once per process; undefined when not found. */
function defaultCommand(): readonly string[] | undefined {
  if (defaultCommandCache === undefined) {
    const entry = ctnrEntryPoint();
    if (entry === undefined) return undefined;
    defaultCommandCache = [process.execPath, entry];
  }
  return defaultCommandCache;
}

/** runtime-spec 1.0.2 added createRuntime (and deprecated prestart); older targets only know prestart. */
export function hookKindFor(ociVersion: string | undefined): 'createRuntime' | 'prestart' {
  // Every service asks about the same one or two versions: remember the answer instead of splitting again.
  let kind = hookKinds.get(ociVersion);
  if (kind === undefined) {
    kind = computeHookKind(ociVersion);
    if (hookKinds.size < 16) hookKinds.set(ociVersion, kind);
  }
  return kind;
}

const hookKinds = new Map<string | undefined, 'createRuntime' | 'prestart'>();

function computeHookKind(ociVersion: string | undefined): 'createRuntime' | 'prestart' {
  const [maj = 0, min = 0, patch = 0] = (ociVersion ?? '1.2.0').split(/[.-]/).map((n) => Number(n) || 0);
  return maj > 1 || (maj === 1 && (min > 0 || patch >= 2)) ? 'createRuntime' : 'prestart';
}

let lastDataDir: { given: string; resolved: string } | undefined;
/** `path.resolve(dataDir)`, remembered for the last absolute one (every service of a run has the same; a relative
 * one depends on the working directory, so it is resolved each time). */
function resolveDataDir(dataDir: string): string {
  if (lastDataDir?.given === dataDir) return lastDataDir.resolved;
  const resolved = path.resolve(dataDir);
  if (path.isAbsolute(dataDir)) lastDataDir = { given: dataDir, resolved };
  return resolved;
}

type TopNetwork = { name?: unknown; internal?: unknown; external?: unknown; driver?: unknown; ipam?: { config?: Array<{ subnet?: unknown }> } } | null | undefined;

/** `/etc/hosts` bind-mounted from a bundle-relative source (the network stage's generated file). */
function bundleHostsFile(spec: { mounts?: ReadonlyArray<{ destination: string; source?: string; type?: string; options?: readonly string[] }> }): string | undefined | null {
  // The last mount there wins. Walked backwards without copying the list; only a destination containing
  // "hosts" can normalise to /etc/hosts (normalising drops characters, never adds them), so most skip normalize.
  const mounts = spec.mounts ?? [];
  let m: (typeof mounts)[number] | undefined;
  for (let i = mounts.length - 1; i >= 0 && !m; i--) {
    const d = mounts[i]!.destination;
    if (d.includes('hosts') && cleanDestination(d) === '/etc/hosts') m = mounts[i];
  }
  if (!m) return undefined;
  // A host path (host networking, or the user's own bind) is not ours to rewrite.
  if (!m.source || path.isAbsolute(m.source)) return null;
  return m.source;
}

function appendHook(spec: any, kind: 'createRuntime' | 'prestart' | 'poststop', hook: object, out: Operation[], hooksAdded: { done: boolean }): void {
  if (spec.hooks === undefined && !hooksAdded.done) {
    out.push(ops.add('/hooks', {}));
    hooksAdded.done = true;
  }
  // `kind` is a hook name (letters only), so the pointer needs no escaping: built once, not per op compared.
  const kindPath = `/hooks/${kind}`;
  const created = out.some((o) => o.path === kindPath);
  if (spec.hooks?.[kind] === undefined && !created) out.push(ops.add(kindPath, []));
  out.push(ops.add(`${kindPath}/-`, hook));
}

/** A unicast MAC address as docker takes it (`:` or `-` between the six bytes, any case). */
const MAC = /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$/;

/**
 * The service's MAC addresses, normalised (`aa:bb:cc:dd:ee:ff`): `''` for `mac_address`, else the network key
 * (`networks.NAME.mac_address`). A value that is not a unicast MAC address is a located error.
 */
function macAddresses(service: Service, error: (m: string, p: Array<string | number>) => void): Map<string, string> {
  const out = new Map<string, string>();
  const check = (value: string, key: string, at: Array<string | number>) => {
    const v = value.trim();
    if (!MAC.test(v)) return error(`mac_address "${value}" is not a MAC address (six hex bytes: 02:42:ac:11:00:02)`, at);
    const mac = v.toLowerCase().replace(/-/g, ':');
    if (parseInt(mac.slice(0, 2), 16) & 1) return error(`mac_address "${value}" is a multicast address (the first byte must be even)`, at);
    if (mac === '00:00:00:00:00:00') return error(`mac_address "${value}" is the all-zero address`, at);
    out.set(key, mac);
  };
  if (service.mac_address !== undefined && service.mac_address !== '') check(service.mac_address, '', ['mac_address']);
  for (const [key, conf] of Object.entries(service.networks ?? {})) {
    if (conf?.mac_address !== undefined && conf.mac_address !== '') check(conf.mac_address, key, ['networks', key, 'mac_address']);
  }
  return out;
}

/**
 * The network hook: for a service with a network namespace of its own (not `network_mode: none/host/
 * service:/container:`), write the service's network settings into the bundle (`ctnr/network.json`) and add
 * a createRuntime hook running `ctnr hook network up` (CNI ADD on each compose network, hosts entries for
 * every container on it) and a poststop hook running `ctnr hook network down` (CNI DEL, entries removed).
 * Hooks other plugins or the user added stay, in order; ours are appended.
 */
export function networkHookPlugin(options: NetworkHookOptions = {}) {
  const opts = checkOptions(options);
  return definePlugin({
    name: 'ctnr:network-hook',
    stage: 'hooks',
    options: opts,
    apply({ service, serviceName, spec, env, project, error, warn }) {
      const links: Link[] = [];
      for (const kind of ['links', 'external_links'] as const) {
        (service[kind] ?? []).forEach((entry, i) => {
          const link = parseLink(entry, kind);
          if (typeof link === 'string') return error(link, [kind, i]);
          // A container other than this project's must be one ctnr started (when the caller says which those are).
          if ('container' in link && env.containers !== undefined && env.containers[link.container]?.id !== link.container) {
            return error(`container "${link.container}" is not a container ctnr started (ctnr ps lists them)`, [kind, i]);
          }
          links.push(link);
        });
      }
      const mode = service.network_mode;
      const netns = spec.linux?.namespaces?.find((n) => n.type === 'network');
      // No namespace: host networking. A path: joining another container's namespace, set up by its hook.
      const ownNetwork = !(mode === 'none' || mode === 'host' || mode?.startsWith('service:') || mode?.startsWith('container:')) && netns !== undefined && !netns.path;
      if (links.length > 0 && (!ownNetwork || env.rootless)) {
        const kind = (service.links ?? []).length > 0 ? 'links' : 'external_links';
        const why = env.rootless ? 'rootless containers each get a network of their own (slirp4netns)' : `network_mode "${mode ?? 'host'}" gives it no network of its own`;
        error(`${kind} need the service on a compose network, where the linked container is too: ${why}`, [kind]);
        return [];
      }
      const macs = macAddresses(service, error);
      if (!ownNetwork) {
        if (macs.size > 0) error(`mac_address needs a network of the service's own (network_mode "${mode ?? 'host'}" gives it none)`, service.mac_address !== undefined ? ['mac_address'] : ['networks']);
        return [];
      }

      const command = opts.command ?? defaultCommand();
      if (!command) {
        error('cannot find the ctnr CLI (bin/ctnr.cjs) for the network hook; set the "command" option of ctnr:network-hook');
        return [];
      }

      const hostname = spec.hostname ?? service.hostname;
      const declared = (service.networks ?? undefined) as Record<string, ServiceNetwork | null> | undefined;
      const keys = declared
        ? Object.keys(declared).sort((a, b) => (declared[b]?.priority ?? 0) - (declared[a]?.priority ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
        : ['default'];
      const networks: NetworkAttachment[] = [];
      // compose: the service-level mac_address belongs to the first network (by priority) unless that one has its
      // own, which must then be the same.
      const serviceMac = macs.get('');
      const mainMac = keys[0] !== undefined ? macs.get(keys[0]) : undefined;
      if (serviceMac !== undefined && mainMac !== undefined && serviceMac !== mainMac) {
        error(`the service-level mac_address should have the same value as network ${keys[0]} (${mainMac}), whose mac_address it sets`, ['mac_address']);
      }
      keys.forEach((key, i) => {
        const conf = declared?.[key] ?? undefined;
        const top = (project.networks[key] ?? undefined) as TopNetwork;
        const given = opts.networks?.[key];
        const name = given?.name ?? (typeof top?.name === 'string' ? top.name : `${project.name}_${key}`);
        if (!SAFE_NAME.test(name)) {
          error(`network name "${name}" cannot name a CNI network (letters, digits, _ . - only)`, declared ? ['networks', key] : []);
          return;
        }
        const ifName = conf?.interface_name ?? `eth${i}`;
        if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifName)) {
          error(`interface_name "${ifName}" is not a valid interface name (at most 15 letters, digits, _ . -)`, ['networks', key, 'interface_name']);
          return;
        }
        const driver = typeof top?.driver === 'string' ? top.driver : undefined;
        if (driver && driver !== 'bridge' && !given) {
          warn(`network "${key}" asks for driver "${driver}"; ctnr attaches it with a CNI bridge (give a CNI config in the ctnr:network-hook "networks" option to change that)`, declared ? ['networks', key] : []);
        }
        const subnet = top?.ipam?.config?.find((c) => typeof c?.subnet === 'string')?.subnet as string | undefined;
        const aliases = [...new Set([serviceName, ...(conf?.aliases ?? []), ...(hostname ? [hostname] : []), ...(typeof service.container_name === 'string' ? [service.container_name] : [])])];
        // Each name becomes a word of a line in other containers' /etc/hosts: a space or newline in one (from a
        // plugin that set spec.hostname, or a service object built without the loader) would add lines there.
        const bad = aliases.find((a) => !isHostName(a));
        if (bad !== undefined) {
          error(`network "${key}": ${JSON.stringify(bad)} cannot be a host name in /etc/hosts (${HOST_NAME_RULE})`, declared ? ['networks', key] : []);
          return;
        }
        const attachment: NetworkAttachment = { key, name, interface: ifName, aliases, internal: top?.internal === true, external: Boolean(top?.external) };
        if (conf?.ipv4_address) attachment.ipv4Address = conf.ipv4_address;
        const mac = macs.get(key) ?? (i === 0 ? serviceMac : undefined);
        if (mac !== undefined) attachment.mac = mac;
        if (subnet) attachment.subnet = subnet;
        if (given) attachment.config = { ...given, name };
        networks.push(attachment);
      });

      // Plain assignments, not conditional object spreads: this runs per service and spreads are slow in V8.
      const ports: PortForward[] = ((service.ports ?? []) as PortMapping[]).map((p) => {
        const fwd: PortForward = { containerPort: p.target, protocol: p.protocol };
        if (p.published !== undefined) fwd.hostPort = p.published;
        // Unset and the wildcard addresses mean every address: portmap's default when hostIP is absent.
        if (p.host_ip && p.host_ip !== '0.0.0.0' && p.host_ip !== '::') fwd.hostIP = p.host_ip;
        return fwd;
      });
      if (env.rootless && declared && keys.length > 0) {
        warn('rootless: slirp4netns gives each container its own user-mode network, so services cannot reach each other by name over compose networks', ['networks']);
      }

      const out: Operation[] = [];
      const files = [];
      let hostsFile = bundleHostsFile(spec);
      if (hostsFile === undefined) {
        // Nobody mounted /etc/hosts: mount one of our own so the hook has a file to add addresses to.
        hostsFile = FALLBACK_HOSTS_FILE;
        const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
        files.push({ path: FALLBACK_HOSTS_FILE, content: lines.join('\n') + '\n', mode: 0o644 });
        if (spec.mounts === undefined) out.push(ops.add('/mounts', []));
        out.push(ops.add('/mounts/-', { destination: '/etc/hosts', type: 'bind', source: FALLBACK_HOSTS_FILE, options: ['rbind', 'rprivate', 'ro'] }));
      }

      const settings: NetworkSettings = {
        version: 1,
        mode: env.rootless ? 'slirp4netns' : 'cni',
        project: project.name,
        service: serviceName,
        dataDir: resolveDataDir(env.dataDir),
        cniPath: opts.cniPath ?? DEFAULT_CNI_PATH,
        confDir: opts.confDir ?? DEFAULT_CONF_DIR,
        subnetPool: opts.subnetPool ?? DEFAULT_SUBNET_POOL,
        networks,
        ports,
      };
      if (hostsFile) settings.hostsFile = hostsFile;
      if (links.length > 0) settings.links = links;
      // Data, serialized by the bundle writer: `ctnr spec` writes no files, and serializing this object cost more
      // per service than the rest of this plugin.
      files.push({ path: NETWORK_SETTINGS_FILE, json: settings, mode: 0o644 });

      const timeout = opts.timeout ?? 60;
      const hook = (verb: 'up' | 'down') => ({
        path: command[0]!,
        args: [...command, 'hook', 'network', verb],
        env: [HOOK_PATH],
        timeout,
      });
      const hooksAdded = { done: false };
      appendHook(spec, hookKindFor(spec.ociVersion), hook('up'), out, hooksAdded);
      appendHook(spec, 'poststop', hook('down'), out, hooksAdded);
      return { ops: out, files };
    },
  });
}
