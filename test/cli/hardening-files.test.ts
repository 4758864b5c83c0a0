import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, tempRoot } from './hardening-cli.js';

/** Bad side files through the built CLI: exit 1 with a located error, never exit 70 (issue 16 item 7). */
const root = tempRoot('files');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

describe('ctnr spec with a bad env_file / label_file', () => {
  it.each([
    ['env_file: ""', /^error: compose\.yaml:5:5 services\.web\.env_file: is empty/],
    ['env_file: ./dir', /^error: compose\.yaml:5:5 services\.web\.env_file\[0\]: env file .*\/dir is a directory, not a file\n$/],
    ['env_file: /proc/self/mem', /^error: compose\.yaml:5:5 services\.web\.env_file\[0\]: cannot read env file \/proc\/self\/mem: input\/output error \(EIO\)\n$/],
    ['label_file: ./dir', /^error: compose\.yaml:5:5 services\.web\.label_file\[0\]: label file .*\/dir is a directory, not a file\n$/],
  ])('%s', (yaml, stderr) => {
    const dir = project(root.dir, `p-${Math.random().toString(36).slice(2)}`, `services:\n  web:\n    image: x\n    command: ["true"]\n    ${yaml}\n`);
    mkdirSync(path.join(dir, 'dir'));
    const r = ctnr(dir, ['spec', 'web']);
    expect(r.stderr).toMatch(stderr);
    expect(r.status).toBe(1);
  });
});
