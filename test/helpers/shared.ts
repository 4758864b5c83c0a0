import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared` beside the repository: reference data, docs and the compose corpus. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO, '../shared');
export const HAS_SHARED = existsSync(path.join(SHARED, 'reference'));
export const IN_CI = process.env.CI === 'true';

/**
 * Tests that need ../shared skip with a reason on a user's clone, and fail in CI where it must exist.
 * Use as `describe.skipIf(!sharedAvailable('…'))`.
 */
export function sharedAvailable(what: string): boolean {
  if (HAS_SHARED) return true;
  if (IN_CI) throw new Error(`CI=true but ${SHARED} is missing (needed for ${what})`);
  console.warn(`skipping ${what}: ${SHARED} not found (it holds the reference data; present in CI)`);
  return false;
}
