import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../../src/bundle/create.js';
import { openProject } from '../../../src/project.js';
import { REPO } from '../../helpers/shared.js';

const FIX = path.join(REPO, 'test/fixtures/presets');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'ctnr-bundle-policy-'));
const ROOTFS = path.join(TMP, 'rootfs');
mkdirSync(ROOTFS);
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function project(dir: string, presets: string[] = []) {
  return openProject({ cwd: path.join(FIX, dir), presets, env: { rootless: false, uid: 0, gid: 0, dataDir: path.join(TMP, 'data') } });
}

describe('bundle create follows the policy modes', () => {
  it('enforce: no bundle, every enforced violation listed', async () => {
    const p = await project('check-project');
    const dir = path.join(TMP, 'debug');
    await expect(createBundle(p, 'debug', { rootfs: ROOTFS, dir })).rejects.toMatchObject({ code: 'POLICY_VIOLATION', message: expect.stringContaining('privileged') });
    expect(existsSync(dir)).toBe(false);
  });

  it('an exempt violation does not block the bundle', async () => {
    const p = await project('check-project');
    const created = await createBundle(p, 'legacy', { rootfs: ROOTFS, dir: path.join(TMP, 'legacy') });
    expect(existsSync(path.join(created.dir, 'config.json'))).toBe(true);
  });

  it('--preset restricted on top of the config blocks what the config allowed', async () => {
    const p = await project('check-project', ['restricted']);
    await expect(createBundle(p, 'legacy', { rootfs: ROOTFS, dir: path.join(TMP, 'legacy-r') })).rejects.toMatchObject({ code: 'POLICY_VIOLATION', message: expect.stringContaining('runAsNonRoot') });
  });

  it('audit: the bundle is written and nothing is reported on its diagnostics', async () => {
    const p = await project('audit-project');
    const created = await createBundle(p, 'legacy', { rootfs: ROOTFS, dir: path.join(TMP, 'legacy-a') });
    expect(existsSync(path.join(created.dir, 'config.json'))).toBe(true);
    expect(created.run.diagnostics.filter((d) => d.code === 'POLICY_VIOLATION')).toEqual([]);
  });
});
