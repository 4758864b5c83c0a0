import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeName } from '../../../src/network/default-conf.js';
import { networkUp, releaseEndpoints } from '../../../src/network/hook.js';
import type { HostOps } from '../../../src/network/host.js';
import type { NetworkSettings } from '../../../src/network/settings.js';
import { readState } from '../../../src/network/state.js';
import { REPO } from '../../helpers/shared.js';

/**
 * `down` after a runtime died before its poststop hook: the endpoints are released from the network state alone
 * (no bundle, no container record), with the CNI_PATH recorded at ADD. Fake CNI plugins log their calls.
 */

const FAKE = readFileSync(path.join(REPO, 'test/fixtures/cni/fake-plugin/fake-cni.mjs'), 'utf8');
const NO_PID = 2 ** 22 + 12345;

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function setup() {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-release-'));
  const cni = path.join(tmp, 'cni');
  mkdirSync(cni);
  for (const p of ['bridge', 'portmap']) {
    writeFileSync(path.join(cni, p), `#!${process.execPath}\n${FAKE}`);
    chmodSync(path.join(cni, p), 0o755);
  }
  const dataDir = path.join(tmp, 'data');
  const log: string[] = [];
  const host: HostOps = {
    pinNetns: (name, pid) => void log.push(`pin ${name} ${pid}`),
    unpinNetns: (name) => void log.push(`unpin ${name}`),
    hostSubnets: () => [],
    deleteLink: (name) => void log.push(`del-link ${name}`),
    freePort: async () => 40000,
  };
  const up = async (id: string, project: string, service: string) => {
    const bundle = path.join(tmp, 'bundles', id);
    mkdirSync(path.join(bundle, 'ctnr'), { recursive: true });
    const settings: NetworkSettings = {
      version: 1, mode: 'cni', project, service, dataDir, cniPath: [cni], confDir: path.join(tmp, 'net.d'), subnetPool: '10.88.0.0/16',
      networks: [{ key: 'default', name: 'shared', interface: 'eth0', aliases: [service], internal: false, external: false, subnet: '10.88.9.0/24' }],
      ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    };
    writeFileSync(path.join(bundle, 'ctnr/network.json'), JSON.stringify(settings));
    await networkUp({ id, pid: NO_PID, bundle }, { host });
    rmSync(bundle, { recursive: true }); // the bundle is gone too: only the state remains
  };
  const calls = () => (existsSync(path.join(cni, 'calls.jsonl')) ? readFileSync(path.join(cni, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  return { cni, dataDir, host, log, up, calls, clearCalls: () => rmSync(path.join(cni, 'calls.jsonl'), { force: true }) };
}

describe('releaseEndpoints: network teardown from the state alone', () => {
  it('releases the selected project\'s endpoints with the CNI_PATH recorded at ADD, keeps the others and the bridge', async () => {
    const t = setup();
    await t.up('p-web', 'p', 'web');
    await t.up('p-db', 'p', 'db');
    await t.up('q-web', 'q', 'web');
    expect(readState(t.dataDir, 'shared')!.endpoints['p-web']!.cniPath).toEqual([t.cni]);
    t.clearCalls();
    t.log.length = 0;

    const r = releaseEndpoints(t.dataDir, (ep) => ep.project === 'p', { host: t.host });
    expect(r).toEqual({ ids: ['p-db', 'p-web'], errors: [] });
    expect(t.calls().map((c: any) => `${c.env.CNI_COMMAND} ${c.type} ${c.env.CNI_CONTAINERID} ${c.env.CNI_PATH}`)).toEqual([
      `DEL portmap p-db ${t.cni}`, `DEL bridge p-db ${t.cni}`, `DEL portmap p-web ${t.cni}`, `DEL bridge p-web ${t.cni}`,
    ]);
    expect(Object.keys(readState(t.dataDir, 'shared')!.endpoints)).toEqual(['q-web']);
    expect(t.log).toEqual(['unpin ctnr-p-db', 'unpin ctnr-p-web']);

    // The last one takes the bridge with it; nothing matching is a no-op.
    expect(releaseEndpoints(t.dataDir, (ep) => ep.project === 'p', { host: t.host })).toEqual({ ids: [], errors: [] });
    expect(releaseEndpoints(t.dataDir, (ep) => ep.id === 'q-web', { host: t.host }).ids).toEqual(['q-web']);
    expect(readState(t.dataDir, 'shared')).toBeUndefined();
    expect(t.log).toContain(`del-link ${bridgeName('shared')}`);
  });

  it('a failing DEL is reported and the endpoint still leaves the state (a second down would fail the same way)', async () => {
    const t = setup();
    await t.up('p-web', 'p', 'web');
    writeFileSync(path.join(t.cni, 'fail-DEL-portmap'), '');
    const r = releaseEndpoints(t.dataDir, () => true, { host: t.host });
    expect(r.ids).toEqual(['p-web']);
    expect(r.errors).toEqual([expect.stringMatching(/^CNI DEL portmap \(network shared, eth0\): /)]);
    expect(readState(t.dataDir, 'shared')).toBeUndefined();
  });

  it('without a networks directory, only the pins asked for go', () => {
    const t = setup();
    expect(releaseEndpoints(t.dataDir, () => true, { host: t.host, unpin: ['x'] })).toEqual({ ids: [], errors: [] });
    expect(t.log).toEqual(['unpin ctnr-x']);
  });
});
