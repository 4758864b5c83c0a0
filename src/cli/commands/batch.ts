import { statSync } from 'node:fs';
import { activeServiceNames, serviceNotFound } from '../../compose/select.js';
import { CtnrError, escapeControls, formatError, isCtnrError } from '../../engine/errors.js';
import type { LoadedProject } from '../../project.js';
import type { Diagnostic } from '../../engine/types.js';
import { printDiagnostics, red } from '../output.js';

/**
 * Batch commands (`spec --all -o DIR`, `bundle create --all`): the services named, or every active one
 * (respecting --profile, as `up` and `check` do). A named service that is not in the file is an error before
 * anything is written, with the same hint as `check`.
 */
export function selectServices(project: LoadedProject, names: readonly string[]): string[] {
  for (const name of names) if (!Object.hasOwn(project.compose.services, name)) throw serviceNotFound(project.compose, name);
  return names.length > 0 ? [...new Set(names)] : activeServiceNames(project.compose);
}

/** `-o DIR` of a batch: an existing directory (never created). */
export function requireOutputDir(dir: string | undefined, what: string): string {
  if (!dir) throw new CtnrError('USAGE', `${what} needs -o DIR (an existing directory; one <service>.json is written per service)`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CtnrError('USAGE', `-o ${dir}: not an existing directory (${what} writes one <service>.json per service into it)`);
  return dir;
}

/**
 * Run `each` for every service: a user error (CtnrError) is reported on stderr with the service's name and the
 * others still run; a bug propagates. Loader diagnostics (shared by every service) are printed once.
 * Returns the number of failed services; the caller reports the count (reportFailureCount) and sets the exit code.
 */
export async function forEachService(
  project: LoadedProject,
  services: readonly string[],
  each: (service: string, print: (diagnostics: readonly Diagnostic[]) => void) => Promise<void>,
): Promise<number> {
  const print = serviceWarnings(project);
  let failed = 0;
  for (const service of services) {
    try {
      await each(service, print);
    } catch (err) {
      if (!isCtnrError(err)) throw err;
      failed++;
      reportServiceFailure(service, err);
    }
  }
  return failed;
}

/**
 * Prints the loader's project-wide diagnostics now, and returns a printer for each service's (which hold the
 * project's again): every warning once, on stderr.
 */
export function serviceWarnings(project: LoadedProject): (diagnostics: readonly Diagnostic[]) => void {
  const shared = new Set<Diagnostic>(project.compose.diagnostics);
  printDiagnostics(project.compose.diagnostics);
  return (list) => printDiagnostics(list.filter((d) => !shared.has(d)));
}

/** `error: service web: …` on stderr. */
export function reportServiceFailure(service: string, err: CtnrError): void {
  process.stderr.write(`${red('error')}: ${escapeControls(`service ${service}: `)}${formatError(err)}\n`);
}

/** The closing line of a batch with failures (the caller sets the exit code). */
export function reportFailureCount(failed: number, of: number): void {
  if (failed > 0) process.stderr.write(`${red('error')}: ${failed} of ${of} service(s) failed\n`);
}
