import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServiceYaml, serviceError } from '../../helpers/engine.js';
import { planMountSources } from '../../../src/bundle/writer.js';
import { writeBundle } from '../../../src/bundle/writer.js';
import { newMetadata } from '../../../src/bundle/metadata.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-chp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bind sources that do not exist yet', () => {
  it('short syntax creates them (compose legacy): declared as a host directory, nothing written while generating', async () => {
    const missing = path.join(tmp, 'short', 'data');
    const result = await runServiceYaml({ volumes: [`${missing}:/data`] }, { dir: tmp });
    expect(result.hostDirs).toEqual([{ path: missing, plugin: 'ctnr:volumes' }]);
    expect(result.spec.mounts!.find((m) => m.destination === '/data')!.source).toBe(missing);
    expect(existsSync(missing)).toBe(false);
  });

  it('long syntax refuses a missing source unless bind.create_host_path (docker refuses it too)', async () => {
    const missing = path.join(tmp, 'long', 'data');
    const err = await serviceError({ volumes: [{ type: 'bind', source: missing, target: '/data' }] }, { dir: tmp });
    expect(err.path).toBe('services.svc.volumes[0].source');
    expect(err.message).toContain(`bind source ${missing} does not exist`);
    const ok = await runServiceYaml({ volumes: [{ type: 'bind', source: missing, target: '/data', bind: { create_host_path: true } }] }, { dir: tmp });
    expect(ok.hostDirs.map((d) => d.path)).toEqual([missing]);
  });

  it('the bundle writer creates declared host directories, and only those', async () => {
    const wanted = path.join(tmp, 'writer', 'made');
    const result = await runServiceYaml({ volumes: [`${wanted}:/made`] }, { dir: tmp });
    const plan = planMountSources(result.spec, tmp, '/var/lib/ctnr-test', new Set(), new Set([wanted]));
    expect(plan.volumes).toContain(wanted);
    expect(() => planMountSources(result.spec, tmp, '/var/lib/ctnr-test', new Set())).toThrow(/does not exist/);

    const dir = path.join(tmp, 'bundle');
    const meta = newMetadata({ service: 's', project: 'p', composeFile: '/c.yaml', inputDigest: 'sha256:0', rootless: false, rootfs: { kind: 'directory', path: '/r' } });
    await writeBundle({ dir, force: false, spec: result.spec, files: [], hostDirs: [wanted], metadata: meta, dataDir: '/var/lib/ctnr-test' });
    expect(statSync(wanted).isDirectory()).toBe(true);
  });
});
