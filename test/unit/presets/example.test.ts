import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExample } from '../../../examples/pipeline-in-code/main.js';
import { REPO } from '../../helpers/shared.js';

describe('examples/pipeline-in-code', () => {
  it('runs three services through a pipeline built in code and prints their traces', async () => {
    const lines: string[] = [];
    await runExample((l) => lines.push(l));
    const text = lines.join('\n');
    expect(lines[0]).toMatch(/^stages: process\(\d+\) → rootless.* → hooks\(\d+\) → policy\(\d+\)$/);
    expect(lines.filter((l) => l.startsWith('== ')).map((l) => l.split(':')[0])).toEqual(['== web', '== worker', '== db']);
    // The policy fix overrode the (podman-configured) capabilities plugin, and our plugin ran in annotations.
    expect(text).toMatch(/process +ctnr:policy-fix-capabilities +replace \/process\/capabilities +\(over ctnr:capabilities\)/);
    expect(text).toMatch(/mounts +podman:system-paths +replace \/linux\/maskedPaths/);
    expect(text).toMatch(/annotations +example:build +add +\/annotations\/org\.example\.build/);
    // web runs as uid 101: nothing left to report; worker and db run as root (audit mode records it).
    expect(text).toMatch(/== web: \d+ ops, 0 violation\(s\)/);
    expect(text).toContain('! runAsNonRoot: the process runs as root (uid 0) on the host');
  });

  it('runs as a script', () => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/jiti/lib/jiti-cli.mjs'), path.join(REPO, 'examples/pipeline-in-code/main.ts')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('== db:');
  }, 130_000);
});
