import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import type { Conflist } from './settings.js';

/**
 * Running a CNI network configuration list the way libcni does (CNI spec 1.0 "Execution of Network
 * Configuration Lists"): each plugin gets the list's `name` and `cniVersion`, the previous plugin's result
 * as `prevResult` (on DEL: the cached result of ADD), and `runtimeConfig` holding only the keys its
 * `capabilities` enable. ADD runs the plugins in order, DEL in reverse and keeps going past failures so
 * everything that can be released is.
 */

/** What the runtime passes in the environment of every plugin (besides CNI_COMMAND). */
export interface CniInvocation {
  containerId: string;
  /** Path of the network namespace; empty on DEL when it is gone. */
  netns: string;
  ifName: string;
  /** CNI_PATH directories. */
  path: readonly string[];
  /** CNI_ARGS pairs, if any. */
  args?: ReadonlyArray<[string, string]>;
  /** Milliseconds one plugin may run. */
  timeoutMs?: number;
}

/** Plugins run with a fixed PATH (portmap and firewall exec iptables from it), not the caller's. */
export const PLUGIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type CniResult = Record<string, unknown> & { ips?: Array<{ address: string; gateway?: string; interface?: number }> };

export class CniError extends CtnrError {
  /** Index of the plugin that failed. */
  readonly index: number;
  constructor(message: string, index: number) {
    super('RUNTIME_FAILED', message);
    this.index = index;
  }
}

/** The executable for plugin `type` in the CNI_PATH directories. */
export function findPlugin(type: string, dirs: readonly string[]): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(type)) return undefined;
  for (const dir of dirs) {
    const file = path.join(dir, type);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The stdin configuration of plugin `index` of `list` (libcni's buildOneConfig + injectRuntimeConfig). */
export function pluginConfig(list: Conflist, index: number, prevResult: CniResult | undefined, runtimeConfig: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const plugin = list.plugins[index]!;
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  const caps = (plugin.capabilities ?? {}) as Record<string, unknown>;
  const rc: Record<string, unknown> = {};
  for (const key of Object.keys(caps).sort()) {
    if (caps[key] === true && runtimeConfig[key] !== undefined) rc[key] = runtimeConfig[key];
  }
  if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
  else delete conf.runtimeConfig;
  return conf;
}

/** The environment of a plugin call: exactly the CNI variables and PATH. */
export function pluginEnv(command: 'ADD' | 'DEL' | 'CHECK', inv: CniInvocation): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifName,
    CNI_ARGS: (inv.args ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
    CNI_PATH: inv.path.join(':'),
    PATH: PLUGIN_PATH,
  };
}

function describeFailure(stdout: string, stderr: string, status: number | null, error: Error | undefined): string {
  if (error) return error.message;
  // A failing plugin prints a CNI error object on stdout: {code, msg, details}.
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (e && typeof e.msg === 'string') return `${e.msg}${e.details ? `: ${e.details}` : ''}${e.code !== undefined ? ` (CNI error ${e.code})` : ''}`;
  } catch {
    /* not JSON */
  }
  const text = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' / ');
  return text || `exit status ${status}`;
}

function exec(command: 'ADD' | 'DEL', list: Conflist, index: number, inv: CniInvocation, conf: Record<string, unknown>): { ok: true; stdout: string } | { ok: false; message: string } {
  const type = list.plugins[index]!.type;
  const file = findPlugin(type, inv.path);
  if (!file) return { ok: false, message: `plugin "${type}" not found in ${inv.path.join(':')} (install containernetworking-plugins)` };
  const r = spawnSync(file, [], {
    input: JSON.stringify(conf),
    env: pluginEnv(command, inv),
    encoding: 'utf8',
    timeout: inv.timeoutMs ?? 20_000,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error || r.status !== 0) return { ok: false, message: describeFailure(r.stdout ?? '', r.stderr ?? '', r.status, r.error) };
  return { ok: true, stdout: r.stdout };
}

/**
 * CNI ADD of the whole list. Returns the last plugin's result. A failing plugin throws a CniError naming it;
 * the caller then runs DEL for the whole list (CNI spec: a runtime calls DEL after a failed ADD).
 */
export function addNetworkList(list: Conflist, inv: CniInvocation, runtimeConfig: Readonly<Record<string, unknown>>): CniResult {
  let prev: CniResult | undefined;
  for (let i = 0; i < list.plugins.length; i++) {
    const r = exec('ADD', list, i, inv, pluginConfig(list, i, prev, runtimeConfig));
    if (!r.ok) throw new CniError(`CNI ADD ${list.plugins[i]!.type} (network ${list.name}, ${inv.ifName}): ${r.message}`, i);
    try {
      prev = JSON.parse(r.stdout) as CniResult;
    } catch {
      throw new CniError(`CNI ADD ${list.plugins[i]!.type} (network ${list.name}): result is not JSON`, i);
    }
  }
  return prev ?? {};
}

/**
 * CNI DEL of the whole list, plugins in reverse order, each with the cached ADD result as prevResult and the
 * same runtimeConfig as ADD (portmap removes its DNAT rules only when it gets the same portMappings).
 * Returns the failures; it never stops early.
 */
export function delNetworkList(list: Conflist, inv: CniInvocation, runtimeConfig: Readonly<Record<string, unknown>>, prevResult: CniResult | undefined): string[] {
  const errors: string[] = [];
  for (let i = list.plugins.length - 1; i >= 0; i--) {
    const r = exec('DEL', list, i, inv, pluginConfig(list, i, prevResult, runtimeConfig));
    if (!r.ok) errors.push(`CNI DEL ${list.plugins[i]!.type} (network ${list.name}, ${inv.ifName}): ${r.message}`);
  }
  return errors;
}

/** IPv4 addresses (without prefix length) a result gives the container. */
export function resultAddresses(result: CniResult | undefined): string[] {
  return (result?.ips ?? [])
    .map((ip) => (typeof ip?.address === 'string' ? ip.address.split('/')[0]! : ''))
    .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
}
