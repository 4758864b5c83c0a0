import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/shared.js';

/** The built CLI as users start it (`npm run build` first). */
export const CLI = path.join(REPO, 'bin/ctnr.cjs');

export function requireBuild(): void {
  if (!existsSync(path.join(REPO, 'dist/cli.cjs'))) throw new Error('dist/cli.cjs is missing: run `npm run build` first');
}

/** A project folder with a compose file (and an empty package.json so no config is found above it). */
export function project(root: string, name: string, compose: string, files: Record<string, string> = {}): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{}');
  writeFileSync(path.join(dir, 'compose.yaml'), compose);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

export function ctnr(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
}

export function tempRoot(tag: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ctnr-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A service that generates without an image or rootfs. */
export const SIMPLE = 'services:\n  web:\n    command: ["true"]\n';
