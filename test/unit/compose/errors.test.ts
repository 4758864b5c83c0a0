import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadComposeFile, selectService } from '../../../src/compose/load.js';
import { formatError } from '../../../src/engine/errors.js';

/**
 * Typical mistakes, each a folder with compose.yaml and the exact text `formatError` prints
 * (expected-error.txt). The service checked is `app`; paths are shown relative to the errors folder.
 */
const ERRORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/compose/errors');
const cases = readdirSync(ERRORS).filter((d) => existsSync(path.join(ERRORS, d, 'compose.yaml'))).sort();

function errorText(dir: string): string {
  try {
    const project = loadComposeFile(path.join(ERRORS, dir, 'compose.yaml'), { cwd: ERRORS, environment: {} });
    selectService(project, 'app');
  } catch (e) {
    return formatError(e);
  }
  return '(no error)';
}

describe('error output for typical mistakes', () => {
  it('has at least ten cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases)('%s', (dir) => {
    const actual = errorText(dir);
    const expectedFile = path.join(ERRORS, dir, 'expected-error.txt');
    // CTNR_WRITE_EXPECTED=1 writes missing expectation files for review; they are never overwritten.
    if (!existsSync(expectedFile) && process.env.CTNR_WRITE_EXPECTED) writeFileSync(expectedFile, actual + '\n');
    expect(actual).toBe(readFileSync(expectedFile, 'utf8').trimEnd());
  });
});
