import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { addNetworkList, CniError, delNetworkList, findPlugin, resultAddresses, type CniInvocation, type CniResult } from './cni.js';
import { allocateSubnetFrom, bridgeName, defaultConflist, ipamDirOf, parseCidr, type Cidr } from './default-conf.js';
import { realHostOps, type HostOps } from './host.js';
import { editInPlace, renderBlock, renderLinksBlock, replaceBlock, replaceLinksBlock, type HostsEntry } from './hosts.js';
import { withLock } from './lock.js';
import { networkSchemas, readSettings, type Conflist, type Link, type NetworkAttachment, type NetworkSettings } from './settings.js';
import { slirpDown, slirpUp } from './slirp.js';
import { ensureNetworksDir, listStates, lockFile, networksDir, readState, writeState, type Endpoint, type NetworkState } from './state.js';

/**
 * `ctnr hook network up|down`: the runtime runs it as a createRuntime hook (the container's network
 * namespace exists, the process has not started) and as a poststop hook. It reads the OCI state from stdin,
 * the network settings from the bundle, and attaches the container to each of its networks with CNI.
 */

import type { OciState } from './oci-state.js';

export type { OciState };

/** Container ids as runc and crun accept them; they end up in file and netns names. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

export function parseOciState(text: string): OciState {
  let s: any;
  try {
    s = JSON.parse(text);
  } catch {
    throw new CtnrError('USAGE', 'ctnr hook expects the OCI state JSON on stdin (it is meant to be run by the runtime as a hook)');
  }
  if (!s || typeof s !== 'object' || typeof s.id !== 'string' || !CONTAINER_ID.test(s.id)) throw new CtnrError('USAGE', 'OCI state on stdin has no valid "id"');
  if (typeof s.bundle !== 'string' || !path.isAbsolute(s.bundle)) throw new CtnrError('USAGE', 'OCI state on stdin has no absolute "bundle" path');
  const pid = typeof s.pid === 'number' && Number.isInteger(s.pid) && s.pid > 0 ? s.pid : 0;
  return { id: s.id, pid, bundle: s.bundle };
}

export interface HookOptions {
  host?: HostOps;
  /** Called for things worth telling the user that do not fail the hook. */
  warn?: (message: string) => void;
}

/** A bundle-relative path inside the bundle, as an absolute path; undefined for anything escaping it. */
function insideBundle(bundle: string, rel: string | undefined): string | undefined {
  if (!rel) return undefined;
  const abs = path.resolve(bundle, rel);
  const r = path.relative(bundle, abs);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? abs : undefined;
}

/** A network config from the CNI config dir whose name is `name` (`*.conflist`, or single-plugin `*.conf`/`*.json`). */
export function confFromDir(dir: string, name: string): Conflist | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort();
  } catch {
    return undefined;
  }
  for (const f of files) {
    let doc: any;
    try {
      doc = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    } catch {
      continue;
    }
    if (doc?.name !== name) continue;
    const list = Array.isArray(doc.plugins) ? doc : (() => {
      const { cniVersion, name: n, ...plugin } = doc;
      return { cniVersion, name: n, plugins: [plugin] };
    })();
    const parsed = networkSchemas().conflistSchema.safeParse(list);
    if (!parsed.success) throw new CtnrError('RUNTIME_FAILED', `${path.join(dir, f)}: not a usable CNI config: ${parsed.error.issues[0]!.message}`);
    return parsed.data;
  }
  return undefined;
}

interface Chosen {
  config: Conflist;
  managed?: NetworkState['managed'];
}

/** Project config, then the CNI config dir, then (unless external) the built-in bridge on a /24 of the pool. */
function chooseConfig(settings: NetworkSettings, att: NetworkAttachment, state: NetworkState, host: HostOps): Chosen {
  if (att.config) return { config: { ...att.config, name: att.name } };
  const fromDir = confFromDir(settings.confDir, att.name);
  if (fromDir) return { config: fromDir };
  if (att.external) {
    throw new CtnrError('RUNTIME_FAILED', `network ${att.name} is external, but no CNI config named "${att.name}" is in ${settings.confDir} or the project config`);
  }
  const dir = networksDir(settings.dataDir);
  let managed = state.managed;
  if (!managed) {
    let subnet = att.subnet;
    if (subnet === undefined) {
      const taken: Cidr[] = [...host.hostSubnets()];
      for (const other of listStates(settings.dataDir)) {
        const c = other.managed && parseCidr(other.managed.subnet);
        if (c) taken.push(c);
      }
      subnet = allocateSubnetFrom(att.name, settings.subnetPool, taken);
    }
    managed = { subnet, bridge: bridgeName(att.name), ipamDir: ipamDirOf(dir) };
  }
  const config = defaultConflist({
    name: att.name,
    subnet: managed.subnet,
    ipamDir: managed.ipamDir,
    internal: att.internal,
    firewall: findPlugin('firewall', settings.cniPath) !== undefined,
    ...(att.mac ? { mac: true } : {}),
  });
  return { config, managed };
}

/** Rewrite the block of `network` in the hosts file of every container on it (and remove it from `gone`). */
function refreshHosts(state: NetworkState, warn: (m: string) => void, gone?: string): void {
  const entries = Object.values(state.endpoints).flatMap((e) => e.addresses.map((address) => ({ address, names: e.names })));
  const block = renderBlock(state.name, entries);
  const targets: Array<[string | undefined, string | undefined]> = Object.values(state.endpoints).map((e) => [e.hostsFile, block]);
  if (gone) targets.push([gone, undefined]);
  for (const [file, b] of targets) {
    if (!file || !existsSync(file)) continue;
    try {
      editInPlace(file, (c) => replaceBlock(c, state.name, b));
    } catch (err) {
      warn(`cannot update ${file}: ${(err as Error).message}`);
    }
  }
}

/** How a link is written in the compose file, for messages. */
function linkText(link: Link): string {
  return 'service' in link ? `links "${link.service}:${link.alias}"` : `external_links "${link.container}:${link.alias}"`;
}

/**
 * The addresses the links of container `id` resolve to: for each link, every container it names (the containers
 * of a service of the same project, or the container with that id) on a network `id` is on, the first such network
 * (by name) giving the address. Returns the entries and the links no container answered.
 */
function linkEntries(states: readonly NetworkState[], id: string): { entries: HostsEntry[]; unresolved: Link[] } {
  const mine = states.filter((s) => s.endpoints[id] !== undefined);
  const own = mine[0]?.endpoints[id];
  const links = mine.map((s) => s.endpoints[id]!.links).find((l) => l !== undefined && l.length > 0) ?? [];
  const entries: HostsEntry[] = [];
  const unresolved: Link[] = [];
  for (const link of links) {
    const seen = new Set<string>();
    for (const s of mine) {
      for (const t of Object.values(s.endpoints).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
        if (t.id === id || seen.has(t.id)) continue;
        if ('service' in link ? t.project !== own!.project || t.service !== link.service : t.id !== link.container) continue;
        seen.add(t.id);
        for (const address of t.addresses) entries.push({ address, names: [link.alias] });
      }
    }
    if (seen.size === 0) unresolved.push(link);
  }
  return { entries, unresolved };
}

/** Rewrite the links block of every container with links (a linked container came, went or moved). */
function refreshLinks(dataDir: string, warn: (m: string) => void): void {
  const states = listStates(dataDir);
  const ids = new Set<string>();
  for (const s of states) for (const ep of Object.values(s.endpoints)) if (ep.links && ep.links.length > 0) ids.add(ep.id);
  for (const id of [...ids].sort()) {
    const file = states.map((s) => s.endpoints[id]?.hostsFile).find((f) => f !== undefined);
    if (!file || !existsSync(file)) continue;
    try {
      editInPlace(file, (c) => replaceLinksBlock(c, renderLinksBlock(linkEntries(states, id).entries)));
    } catch (err) {
      warn(`cannot update ${file}: ${(err as Error).message}`);
    }
  }
}

function runtimeConfigFor(index: number, ports: NetworkSettings['ports'], chosen: Chosen, att: NetworkAttachment): Record<string, unknown> {
  const rc: Record<string, unknown> = {};
  // Published ports go to one network only (the first): portmap on two networks would DNAT the same host
  // port twice.
  if (index === 0 && ports.length > 0) {
    rc.portMappings = ports.map((p) => ({
      hostPort: p.hostPort!,
      containerPort: p.containerPort,
      protocol: p.protocol,
      ...(p.hostIP ? { hostIP: p.hostIP } : {}),
    }));
  }
  if (att.mac) rc.mac = att.mac;
  if (att.ipv4Address) {
    const prefix = chosen.managed ? parseCidr(chosen.managed.subnet)!.prefix : undefined;
    rc.ips = [att.ipv4Address.includes('/') ? att.ipv4Address : `${att.ipv4Address}/${prefix ?? 32}`];
  }
  return rc;
}

/**
 * The MAC the result gives the container's interface must be the one asked for: a CNI config whose plugins do
 * not take `runtimeConfig.mac` (no `capabilities: {mac: true}`) gives a random one, which must not pass silently.
 * A result that names no MAC is taken at its word.
 */
function checkMac(result: CniResult, att: NetworkAttachment, config: Conflist): void {
  const iface = (result.interfaces as Array<{ name?: unknown; mac?: unknown; sandbox?: unknown }> | undefined)?.find((i) => i?.name === att.interface && typeof i.sandbox === 'string' && i.sandbox !== '');
  if (typeof iface?.mac !== 'string' || iface.mac.toLowerCase() === att.mac) return;
  throw new CniError(
    `network ${att.name}: ${att.interface} got MAC ${iface.mac.toLowerCase()}, not the mac_address ${att.mac}: the CNI config ${config.name} has no plugin taking it (the bridge plugin with "capabilities": {"mac": true}, or tuning)`,
    config.plugins.length - 1,
  );
}

/** CNI_PATH for an endpoint recorded before endpoints kept theirs, when no bundle says (the plugin's default and CNI's). */
const FALLBACK_CNI_PATH = ['/usr/lib/cni', '/opt/cni/bin'];

/**
 * CNI DEL of container `id` on `network` with what the state recorded at ADD, then the endpoint leaves the state
 * (and, with the last one, the bridge and leases of a network ctnr created). `cniPath`: the bundle's, else the
 * endpoint's own.
 */
function detach(dataDir: string, cniPath: readonly string[] | undefined, network: string, id: string, host: HostOps, warn: (m: string) => void): string[] {
  const state = readState(dataDir, network);
  const ep = state?.endpoints[id];
  if (!state || !ep) return [];
  const inv: CniInvocation = { containerId: id, netns: existsSync(ep.netns) ? ep.netns : '', ifName: ep.ifName, path: cniPath ?? ep.cniPath ?? FALLBACK_CNI_PATH };
  const errors = delNetworkList(ep.config, inv, ep.runtimeConfig, ep.result);
  delete state.endpoints[id];
  if (Object.keys(state.endpoints).length === 0 && state.managed) {
    // The last container left a network ctnr created: remove its bridge and its lease directory.
    try {
      host.deleteLink(state.managed.bridge);
    } catch (err) {
      errors.push((err as Error).message);
    }
    rmSync(path.join(state.managed.ipamDir, network), { recursive: true, force: true });
  }
  writeState(dataDir, state);
  refreshHosts(state, warn, ep.hostsFile);
  refreshLinks(dataDir, warn);
  return errors;
}

export async function networkUp(oci: OciState, opts: HookOptions = {}): Promise<void> {
  const host = opts.host ?? realHostOps;
  const warn = opts.warn ?? (() => {});
  const settings = readSettings(oci.bundle);
  if (oci.pid <= 0) throw new CtnrError('USAGE', 'ctnr hook network up: the OCI state has no pid (run it as a createRuntime hook)');
  if (settings.mode === 'slirp4netns') return slirpUp(oci, settings);
  if (settings.networks.length === 0) return;
  // Ephemeral host ports are chosen now and recorded with the endpoint, so DEL gets the same mappings.
  const ports: NetworkSettings['ports'] = [];
  for (const p of settings.ports) ports.push(p.hostPort !== undefined ? p : { ...p, hostPort: await host.freePort(p.protocol, p.hostIP) });
  const hostsFile = insideBundle(oci.bundle, settings.hostsFile);
  ensureNetworksDir(settings.dataDir);
  withLock(lockFile(settings.dataDir), () => {
    // A leftover of an earlier run with this id (a killed runtime never ran poststop): release it first.
    for (const s of listStates(settings.dataDir)) if (s.endpoints[oci.id]) detach(settings.dataDir, settings.cniPath, s.name, oci.id, host, warn);
    const pinName = `ctnr-${oci.id}`;
    host.unpinNetns(pinName);
    const netns = host.pinNetns(pinName, oci.pid) ?? `/proc/${oci.pid}/ns/net`;
    const attached: string[] = [];
    try {
      settings.networks.forEach((att, index) => {
        const state: NetworkState = readState(settings.dataDir, att.name) ?? { version: 1, name: att.name, endpoints: {} };
        const chosen = chooseConfig(settings, att, state, host);
        const runtimeConfig = runtimeConfigFor(index, ports, chosen, att);
        const inv: CniInvocation = { containerId: oci.id, netns, ifName: att.interface, path: settings.cniPath };
        let result;
        try {
          result = addNetworkList(chosen.config, inv, runtimeConfig);
          if (att.mac) checkMac(result, att, chosen.config);
        } catch (err) {
          // CNI spec: after a failed ADD the runtime runs DEL for the whole list, so the plugins that did
          // succeed release what they made.
          if (err instanceof CniError) {
            const delErrors = delNetworkList(chosen.config, inv, runtimeConfig, undefined);
            if (Object.keys(state.endpoints).length === 0 && chosen.managed && !state.managed) {
              try {
                host.deleteLink(chosen.managed.bridge);
              } catch {
                /* it may never have been created */
              }
              rmSync(path.join(chosen.managed.ipamDir, att.name), { recursive: true, force: true });
            }
            for (const e of delErrors) warn(e);
          }
          throw err;
        }
        const ep: Endpoint = {
          id: oci.id,
          project: settings.project,
          service: settings.service,
          ifName: att.interface,
          netns,
          addresses: resultAddresses(result),
          names: att.aliases,
          ...(hostsFile ? { hostsFile } : {}),
          ...(settings.links && settings.links.length > 0 ? { links: settings.links } : {}),
          cniPath: settings.cniPath,
          config: chosen.config,
          runtimeConfig,
          result,
        };
        state.endpoints[oci.id] = ep;
        if (chosen.managed) state.managed = chosen.managed;
        writeState(settings.dataDir, state);
        attached.push(att.name);
        refreshHosts(state, warn);
      });
      if (settings.links && settings.links.length > 0) {
        // Every link must name a container on one of this container's networks (docker refuses a link it cannot
        // reach, too); the linked services were started first (links are dependencies).
        const { unresolved } = linkEntries(listStates(settings.dataDir), oci.id);
        if (unresolved.length > 0) {
          const networks = settings.networks.map((n) => n.name).join(', ');
          throw new CtnrError('RUNTIME_FAILED', `${settings.service}: ${unresolved.map(linkText).join(', ')}: no such container on the networks of ${oci.id} (${networks}); start it on one of them first`);
        }
      }
      refreshLinks(settings.dataDir, warn);
    } catch (err) {
      // Undo the networks attached so far, newest first; the hook then fails and the runtime stops.
      for (const name of attached.reverse()) for (const e of detach(settings.dataDir, settings.cniPath, name, oci.id, host, warn)) warn(e);
      host.unpinNetns(pinName);
      throw err;
    }
  });
}

export async function networkDown(oci: OciState, opts: HookOptions = {}): Promise<void> {
  const settings = readSettings(oci.bundle);
  if (settings.mode === 'slirp4netns') return slirpDown(oci, settings);
  const { errors } = releaseEndpoints(settings.dataDir, (ep) => ep.id === oci.id, { ...opts, cniPath: settings.cniPath, unpin: [oci.id] });
  if (errors.length > 0) throw new CtnrError('RUNTIME_FAILED', `network down for ${oci.id} left errors`, { details: errors });
}

export interface Released {
  /** Containers whose endpoints were released, sorted. */
  ids: string[];
  /** What CNI DEL or the bridge removal reported (everything else was still released). */
  errors: string[];
}

/**
 * Release every endpoint `match` selects, in every network with a state under `dataDir`: CNI DEL with what the
 * state recorded at ADD (no bundle needed), hosts entries removed, the pinned namespace of each container
 * deleted, and a network ctnr created removed with its last endpoint. What podman's cleanup does for containers
 * whose runtime died before the poststop hook ran. `unpin`: containers whose pinned namespace goes even if no
 * endpoint is left (a hook killed between pinning and ADD).
 */
export function releaseEndpoints(dataDir: string, match: (ep: Endpoint) => boolean, opts: HookOptions & { cniPath?: readonly string[]; unpin?: readonly string[] } = {}): Released {
  const host = opts.host ?? realHostOps;
  const warn = opts.warn ?? (() => {});
  const errors: string[] = [];
  const ids = new Set<string>();
  if (!existsSync(networksDir(dataDir))) {
    for (const id of opts.unpin ?? []) host.unpinNetns(`ctnr-${id}`);
    return { ids: [], errors };
  }
  withLock(lockFile(dataDir), () => {
    for (const s of listStates(dataDir)) {
      for (const ep of Object.values(s.endpoints)) {
        if (!match(ep)) continue;
        errors.push(...detach(dataDir, opts.cniPath, s.name, ep.id, host, warn));
        ids.add(ep.id);
      }
    }
    for (const id of new Set([...ids, ...(opts.unpin ?? [])])) host.unpinNetns(`ctnr-${id}`);
  });
  return { ids: [...ids].sort(), errors };
}
