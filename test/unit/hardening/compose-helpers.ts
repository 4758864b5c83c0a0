import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { loadComposeFile } from '../../../src/compose/load.js';
import { selectService, type SelectedService } from '../../../src/compose/select.js';
import { formatError, isCtnrError } from '../../../src/engine/errors.js';

/** A temp folder per test file; `write` puts a compose file (and side files) in a fresh subfolder. */
export function composeDir(tag: string) {
  const root = mkdtempSync(path.join(os.tmpdir(), `ctnr-${tag}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return {
    root,
    write(compose: string, files: Record<string, string> = {}, name = `p${++n}`): string {
      const dir = path.join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'compose.yaml'), compose);
      for (const [rel, content] of Object.entries(files)) writeFileSync(path.join(dir, rel), content);
      return dir;
    },
  };
}

export function load(dir: string, service?: string): SelectedService | ReturnType<typeof loadComposeFile> {
  const project = loadComposeFile(undefined, { cwd: dir, environment: {} });
  return service === undefined ? project : selectService(project, service);
}

/** The error `fn` throws as the CLI prints it (`formatError`), with its code; throws when nothing fails. */
export function failure(fn: () => unknown): { code: string; text: string } {
  try {
    fn();
  } catch (e) {
    if (!isCtnrError(e)) throw e;
    return { code: e.code, text: formatError(e) };
  }
  throw new Error('expected a CtnrError');
}
