import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceYaml } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable } from '../helpers/runc.js';

/**
 * Annotations are not visible inside a container; the runtime keeps them in its state, which is what a
 * supervisor reads. Create (not start) the container and ask `runc state` for them.
 */
describe.skipIf(!e2eAvailable('runc'))('annotations stage under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  it('runc reports the annotations the stage wrote in the container state', async () => {
    const { spec } = await runServiceYaml(
      { command: ['sleep', '30'], labels: { 'com.example.team': 'infra' }, stop_signal: 'SIGINT', expose: ['8080', '53/udp'], stop_grace_period: '5s', network_mode: 'host' },
      { env: { rootfs }, image: { ExposedPorts: { '443/tcp': {} } } },
    );
    const bundle = mkdtempSync(path.join(os.tmpdir(), 'ctnr-annot-bundle-'));
    const id = `ctnr-test-annot-${process.pid}`;
    try {
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ...spec, root: { ...spec.root, path: rootfs } }));
      // stdio ignored: the created container keeps its stdio open until deleted
      const created = spawnSync('runc', ['create', '--bundle', bundle, id], { stdio: 'ignore', timeout: 30_000 });
      expect(created.status).toBe(0);
      const state = JSON.parse(spawnSync('runc', ['state', id], { encoding: 'utf8' }).stdout);
      expect(state.status).toBe('created');
      expect(state.annotations).toEqual({
        'com.example.team': 'infra',
        'org.opencontainers.image.stopSignal': 'SIGINT',
        'org.opencontainers.image.exposedPorts': '53/udp,443/tcp,8080/tcp',
        'io.ctnr.stop-grace-period': '5000000000',
      });
    } finally {
      spawnSync('runc', ['delete', '-f', id], { stdio: 'ignore' });
      rmSync(bundle, { recursive: true, force: true });
    }
  });
});
