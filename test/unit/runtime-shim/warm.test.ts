import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { warmUp } from '../../../src/runtime-shim/warm.js';

describe("the startup snapshot's warm-up", () => {
  it('runs create over its made-up configs and specs, and leaves nothing behind (no temporary directory, no environment change)', async () => {
    const env = { ...process.env };
    const before = readdirSync(os.tmpdir()).filter((f) => f.startsWith('ctnr-runtime-warm-'));
    await warmUp();
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('ctnr-runtime-warm-'))).toEqual(before);
    expect(process.env).toEqual(env);
  });
});
