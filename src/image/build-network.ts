import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PLUGIN_PATH } from '../network/cni.js';
import { allocateSubnetFrom, bridgeName, defaultConflist, formatCidr, parseCidr } from '../network/default-conf.js';
import { DEFAULT_SUBNET_POOL } from '../network/pool.js';
import { realHostOps, type HostOps } from '../network/host.js';

/**
 * The network podman and buildah give a build's RUN steps, as root. Their own default (the `podman` network of
 * /etc/cni/net.d, bridge cni-podman0) takes all of 10.88.0.0/16, the pool ctnr's networks come from, so after one
 * build no ctnr network could be made on this host. Instead they get a CNI config directory of ctnr's own
 * (`<data-dir>/build/cni`) whose `podman` network is a /24 of ctnr's pool that nothing on the host uses, on a
 * bridge of ctnr's name; the subnet stays the bridge's while the bridge exists. Rootless, they use slirp4netns and
 * touch no host network: no directory then.
 */
export const BUILD_NETWORK = 'ctnr-build';
/** The network podman and buildah attach a build to when none is named. */
const BUILDER_DEFAULT_NETWORK = 'podman';

export function buildNetworkDir(dataDir: string, host: HostOps = realHostOps): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = path.join(dataDir, 'build', 'cni');
  const file = path.join(dir, `${BUILD_NETWORK}.conflist`);
  const bridge = bridgeName(BUILD_NETWORK);
  const subnet = bridgeSubnet(bridge) ?? allocateSubnetFrom(BUILD_NETWORK, DEFAULT_SUBNET_POOL, host.hostSubnets());
  const conf = defaultConflist({ name: BUILDER_DEFAULT_NETWORK, subnet, ipamDir: path.join(dir, 'ipam'), internal: false, firewall: false });
  const first = conf.plugins[0] as { bridge?: string };
  first.bridge = bridge;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(conf, null, 2) + '\n');
  renameSync(tmp, file);
  return dir;
}

/**
 * The subnet the bridge already holds (from an earlier build, whatever data dir it was for): the bridge plugin
 * refuses to give a bridge a second one.
 */
function bridgeSubnet(bridge: string): string | undefined {
  const r = spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge], { encoding: 'utf8', env: { PATH: PLUGIN_PATH } });
  const m = /\binet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(r.stdout ?? '');
  const cidr = m ? parseCidr(`${m[1]}/${m[2]}`) : undefined;
  return cidr ? formatCidr(cidr) : undefined;
}
