import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CtnrError } from '../engine/errors.js';
import { findPlugin, PLUGIN_PATH } from './cni.js';
import type { OciState } from './oci-state.js';
import type { NetworkSettings, PortForward } from './settings.js';
import { networksDir } from './state.js';

/**
 * Rootless networking: CNI's bridge and portmap need root on the host, so an unprivileged user's container
 * gets a user-mode network stack from slirp4netns (tap0 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3) and
 * published ports through slirp4netns's API socket (`add_hostfwd`). slirp4netns does not exit with the
 * container: its pid is recorded and `down` stops it.
 */

export const SLIRP_GUEST_ADDR = '10.0.2.100';

interface SlirpRecord {
  pid: number;
  socket: string;
  ports: PortForward[];
}

function recordFile(dataDir: string, id: string): string {
  return path.join(networksDir(dataDir), 'slirp', `${id}.json`);
}

/** One request on the slirp4netns API socket: a JSON message, answered with one JSON message. */
export function slirpRequest(socket: string, message: unknown, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let data = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`slirp4netns API ${socket}: no answer`));
    }, timeoutMs);
    c.on('connect', () => c.end(JSON.stringify(message)));
    c.on('data', (d) => (data += d.toString('utf8')));
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data));
      } catch {
        reject(new Error(`slirp4netns API ${socket}: answer is not JSON: ${data.slice(0, 200)}`));
      }
    });
  });
}

/** Forward each published port (host side → the container's slirp address). */
export async function addHostForwards(socket: string, ports: readonly PortForward[]): Promise<void> {
  for (const p of ports) {
    if (p.protocol === 'sctp') throw new CtnrError('RUNTIME_FAILED', `slirp4netns cannot forward sctp port ${p.containerPort}`);
    const reply = await slirpRequest(socket, {
      execute: 'add_hostfwd',
      arguments: {
        proto: p.protocol,
        host_addr: p.hostIP ?? '0.0.0.0',
        host_port: p.hostPort ?? 0,
        guest_addr: SLIRP_GUEST_ADDR,
        guest_port: p.containerPort,
      },
    });
    if (!reply || reply.error || reply.return === undefined) {
      throw new CtnrError('RUNTIME_FAILED', `slirp4netns could not forward ${p.hostIP ?? '0.0.0.0'}:${p.hostPort ?? 0} to port ${p.containerPort}/${p.protocol}: ${JSON.stringify(reply?.error ?? reply)}`);
    }
  }
}

/** slirp4netns on the PATH hooks get, or a clear error saying what to install. */
export function findSlirp(dirs: readonly string[] = PLUGIN_PATH.split(':')): string {
  const bin = findPlugin('slirp4netns', dirs);
  if (!bin) {
    throw new CtnrError('RUNTIME_FAILED', 'rootless networking needs slirp4netns, which is not installed: apt-get install slirp4netns (or run as root to use CNI bridge networking, or set network_mode: host)');
  }
  return bin;
}

function checkTun(): void {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    throw new CtnrError('RUNTIME_FAILED', 'rootless networking: this user cannot open /dev/net/tun, which slirp4netns needs (as root: chmod 0666 /dev/net/tun, the usual mode)');
  }
}

export async function slirpUp(oci: OciState, settings: NetworkSettings): Promise<void> {
  const bin = findSlirp();
  checkTun();
  const dir = path.join(networksDir(settings.dataDir), 'slirp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, `${oci.id}.sock`);
  rmSync(socket, { force: true });
  const log = openSync(path.join(dir, `${oci.id}.log`), 'w', 0o600);
  // The service's MAC (its first network's mac_address) goes to tap0, the one interface slirp4netns gives it.
  const mac = settings.networks[0]?.mac;
  const args = ['--configure', '--mtu=65520', '--disable-host-loopback', ...(mac ? [`--macaddress=${mac}`] : []), `--api-socket=${socket}`, '--ready-fd=3', String(oci.pid), 'tap0'];
  const child = spawn(bin, args, {
    detached: true,
    stdio: ['ignore', log, log, 'pipe'],
    env: { PATH: PLUGIN_PATH },
  });
  closeSync(log);
  const ready = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 10_000);
    child.stdio[3]!.on('data', () => {
      clearTimeout(t);
      resolve(true);
    });
    child.on('exit', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  if (!ready) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
    const out = existsSync(path.join(dir, `${oci.id}.log`)) ? readFileSync(path.join(dir, `${oci.id}.log`), 'utf8').trim() : '';
    throw new CtnrError('RUNTIME_FAILED', `slirp4netns did not start for ${oci.id}${out ? `: ${out.split('\n').slice(-2).join(' / ')}` : ''}`);
  }
  (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  child.unref();
  const rec: SlirpRecord = { pid: child.pid!, socket, ports: settings.ports };
  writeFileSync(recordFile(settings.dataDir, oci.id), JSON.stringify(rec) + '\n', { mode: 0o600 });
  try {
    await addHostForwards(socket, settings.ports);
  } catch (err) {
    await slirpDown(oci, settings);
    throw err;
  }
}

export async function slirpDown(oci: OciState, settings: NetworkSettings): Promise<void> {
  const file = recordFile(settings.dataDir, oci.id);
  let rec: SlirpRecord;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as SlirpRecord;
  } catch {
    return;
  }
  // Only signal the pid if it still is slirp4netns (pids are reused).
  let comm = '';
  try {
    comm = readFileSync(`/proc/${rec.pid}/comm`, 'utf8').trim();
  } catch {
    /* gone */
  }
  if (comm === 'slirp4netns') {
    try {
      process.kill(rec.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  rmSync(rec.socket, { force: true });
  rmSync(path.join(path.dirname(file), `${oci.id}.log`), { force: true });
  rmSync(file, { force: true });
}
