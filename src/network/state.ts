import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import type { CniResult } from './cni.js';
import type { Conflist, Link } from './settings.js';

/**
 * Per-network state under `<dataDir>/networks/`: `<network>.json` lists the containers attached to the
 * network, with everything `down` needs to undo `up` without the bundle's help: the exact conflist and
 * runtimeConfig given to ADD (DEL must get the same), the ADD result (DEL's prevResult), the names and
 * hosts file of each container. All reads and writes happen under `lock` (see withLock).
 */

export interface Endpoint {
  id: string;
  project: string;
  service: string;
  ifName: string;
  /** Path CNI_NETNS pointed at during ADD (a pinned netns when possible). */
  netns: string;
  /** IPv4 addresses of the container on this network. */
  addresses: string[];
  /** Names that resolve to those addresses on this network. */
  names: string[];
  /** Absolute path of the container's hosts file, when it has one. */
  hostsFile?: string;
  /** The container's `links`/`external_links`: its hosts file gets a block resolving them (hook.ts refreshLinks). */
  links?: Link[];
  /** CNI_PATH at ADD, so DEL finds the same plugins without the bundle (absent in states written before it). */
  cniPath?: string[];
  config: Conflist;
  runtimeConfig: Record<string, unknown>;
  result: CniResult;
}

export interface NetworkState {
  version: 1;
  name: string;
  /** Built-in config only: the subnet and bridge ctnr created (removed with the last container). */
  managed?: { subnet: string; bridge: string; ipamDir: string };
  endpoints: Record<string, Endpoint>;
}

export function networksDir(dataDir: string): string {
  return path.join(dataDir, 'networks');
}

export function lockFile(dataDir: string): string {
  return path.join(networksDir(dataDir), 'lock');
}

function stateFile(dataDir: string, network: string): string {
  return path.join(networksDir(dataDir), `${network}.json`);
}

export function ensureNetworksDir(dataDir: string): void {
  mkdirSync(networksDir(dataDir), { recursive: true, mode: 0o700 });
}

export function readState(dataDir: string, network: string): NetworkState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile(dataDir, network), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as NetworkState;
  } catch {
    throw new CtnrError('RUNTIME_FAILED', `${stateFile(dataDir, network)} is not valid JSON; remove it after checking nothing runs on network ${network}`);
  }
}

/** Write (atomically: temp file + rename) or, with no endpoint left, remove the state of a network. */
export function writeState(dataDir: string, state: NetworkState): void {
  const file = stateFile(dataDir, state.name);
  if (Object.keys(state.endpoints).length === 0) {
    rmSync(file, { force: true });
    return;
  }
  const sorted = { ...state, endpoints: Object.fromEntries(Object.keys(state.endpoints).sort().map((k) => [k, state.endpoints[k]!])) };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(sorted, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Every network with a state file. */
export function listStates(dataDir: string): NetworkState[] {
  let names: string[];
  try {
    names = readdirSync(networksDir(dataDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => readState(dataDir, n.slice(0, -'.json'.length)))
    .filter((s): s is NetworkState => s !== undefined);
}
