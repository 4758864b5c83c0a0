import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testPluginYaml } from '../../helpers/engine.js';
import { volumesPlugin } from '../../../plugins/mounts/volumes.js';
import { planMountSources } from '../../../src/bundle/writer.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { newMetadata } from '../../../src/bundle/metadata.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-chp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ctnr:volumes: bind sources that do not exist yet', () => {
  it('short syntax creates them (compose legacy): declared as a host directory, nothing written while generating', async () => {
    const missing = path.join(tmp, 'short', 'data');
    const service = { volumes: [`${missing}:/data`] };
    const r = await testPluginYaml(volumesPlugin(), service, { dir: tmp });
    expect(r.spec!.mounts!.find((m) => m.destination === '/data')!.source).toBe(missing);
    expect((await testPluginYaml(volumesPlugin(), service, { dir: tmp })).hostDirs).toEqual([{ path: missing, plugin: 'ctnr:volumes' }]);
    expect(existsSync(missing)).toBe(false);
  });

  it('long syntax refuses a missing source unless bind.create_host_path (docker refuses it too)', async () => {
    const missing = path.join(tmp, 'long', 'data');
    const { errors } = await testPluginYaml(volumesPlugin(), { volumes: [{ type: 'bind', source: missing, target: '/data' }] }, { dir: tmp });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:volumes', path: 'services.svc.volumes[0].source' }]);
    expect(errors[0]!.message).toContain(`bind source ${missing} does not exist`);
    const ok = { volumes: [{ type: 'bind', source: missing, target: '/data', bind: { create_host_path: true } }] };
    expect((await testPluginYaml(volumesPlugin(), ok, { dir: tmp })).errors).toEqual([]);
    expect((await testPluginYaml(volumesPlugin(), ok, { dir: tmp })).hostDirs.map((d) => d.path)).toEqual([missing]);
  });
});

describe('the bundle writer', () => {
  it('creates declared host directories, and only those', async () => {
    const wanted = path.join(tmp, 'writer', 'made');
    const { spec } = await testPluginYaml(volumesPlugin(), { volumes: [`${wanted}:/made`] }, { dir: tmp });
    const plan = planMountSources(spec!, tmp, '/var/lib/ctnr-test', new Set(), new Set([wanted]));
    expect(plan.volumes).toContain(wanted);
    expect(() => planMountSources(spec!, tmp, '/var/lib/ctnr-test', new Set())).toThrow(/does not exist/);

    const dir = path.join(tmp, 'bundle');
    const meta = newMetadata({ service: 's', project: 'p', composeFile: '/c.yaml', inputDigest: 'sha256:0', rootless: false, rootfs: { kind: 'directory', path: '/r' } });
    await writeBundle({ dir, force: false, spec: spec!, files: [], hostDirs: [wanted], metadata: meta, dataDir: '/var/lib/ctnr-test' });
    expect(statSync(wanted).isDirectory()).toBe(true);
  });
});
