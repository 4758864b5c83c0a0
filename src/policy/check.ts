import { activeServiceNames, serviceNotFound } from '../compose/select.js';
import { formatError, isCtnrError } from '../engine/errors.js';
import { runService, type LoadedProject } from '../project.js';
import type { ImageConfig } from '../image/config.js';
import type { Diagnostic } from '../engine/types.js';
import { projectExemptions } from './apply.js';
import { buildReport, evaluateService, type PolicyReport, type ServicePolicy } from './evaluate.js';
import { serviceSubject } from './subject.js';
import { checkStartKeys } from '../runtime/start-keys.js';

/**
 * Run the pipeline for every service (the active ones, or those named) and collect every validator's
 * violations with their modes and exemptions. A service that cannot be generated (a user error), or that `up`
 * would refuse to start (its restart policy, logging or replica count: src/runtime/start-keys.ts), is recorded
 * with its error and the others still run; a bug (not a CtnrError) propagates.
 */
export interface CheckOptions {
  /** The image config a service runs from, when the caller knows it (its Cmd, Entrypoint, User…). */
  image?: (service: string) => ImageConfig | undefined | Promise<ImageConfig | undefined>;
  /** Given each generated service's warnings (the loader's and the pipeline's), as `spec` prints them. */
  warnings?: (diagnostics: readonly Diagnostic[]) => void;
}

export async function checkProject(project: LoadedProject, names: readonly string[] = [], options: CheckOptions = {}): Promise<PolicyReport> {
  const all = Object.keys(project.compose.services);
  for (const name of names) if (!all.includes(name)) throw serviceNotFound(project.compose, name);
  const list = names.length > 0 ? [...names] : activeServiceNames(project.compose);
  const exemptions = projectExemptions(project);
  const services: ServicePolicy[] = [];
  for (const name of list) {
    try {
      const run = await runService(project, name, await options.image?.(name));
      options.warnings?.(run.diagnostics);
      checkStartKeys(project.compose.name, name, run.input);
      const subject = serviceSubject(name, run.input.service.image, run.result.spec.annotations);
      services.push(evaluateService(project.engine.plan, run.result, exemptions, subject));
    } catch (err) {
      if (!isCtnrError(err)) throw err;
      services.push({ service: name, violations: [], error: { code: err.code, message: formatError(err) } });
    }
  }
  return buildReport(services, exemptions);
}
