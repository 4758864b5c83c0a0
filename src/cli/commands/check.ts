import { checkProject } from '../../policy/check.js';
import type { PolicyReport } from '../../policy/evaluate.js';
import { escapeControls } from '../../engine/errors.js';
import { dim, red, writeFileAtomic } from '../output.js';
import { open, type CommonOptions } from './common.js';
import { serviceWarnings } from './batch.js';
import { table } from '../format.js';

export async function checkCommand(services: string[], opts: CommonOptions & { json?: boolean; report?: string }): Promise<void> {
  const project = await open(opts);
  // Each service's image config as `spec` finds it (--image-config, --image, the config's `images` mapping, the store).
  // Warnings on stderr, as spec prints them: a report on stdout (or --json) stays the report alone.
  const report = await checkProject(project, services, { warnings: serviceWarnings(project) });
  const json = JSON.stringify(report, null, 2) + '\n';
  if (opts.report) writeFileAtomic(opts.report, json);
  process.stdout.write(opts.json ? json : renderReport(report));
  if (report.summary.enforce > 0 || report.summary.errors > 0) process.exitCode = 1;
}

export function renderReport(report: PolicyReport): string {
  const rows: string[][] = [['SERVICE', 'CONTROL', 'MODE', 'POINTER', 'SET BY', 'MESSAGE']];
  for (const s of report.services) {
    if (s.error) {
      rows.push([s.service, '-', 'error', '-', '-', s.error.message.split('\n')[0]!]);
      continue;
    }
    if (s.violations.length === 0) rows.push([s.service, '-', 'ok', '-', '-', 'no violations']);
    for (const v of s.violations) {
      rows.push([
        s.service,
        v.control,
        v.exemption ? 'exempt' : v.mode,
        v.pointer || '(service)',
        v.plugin ?? '-',
        v.exemption ? `${v.message} (exempt: ${v.exemption.reason})` : v.message,
      ]);
    }
  }
  // Service names, pointers and messages come from the compose file: escaped before they reach a terminal.
  let out = table(rows);
  if (report.exemptions.length > 0) {
    out += '\nexemptions:\n';
    for (const e of report.exemptions) {
      out += `  ${escapeControls(`${exemptionTarget(e)} ${e.control}: ${e.reason}`)} ${dim(escapeControls(`(from ${e.from}${e.used ? '' : ', matched nothing'})`))}\n`;
    }
  }
  const s = report.summary;
  const line = `${s.services} service(s), ${s.violations} violation(s): ${s.enforce} enforce, ${s.warn} warn, ${s.audit} audit, ${s.exempted} exempt${s.errors ? `; ${s.errors} service(s) failed to generate` : ''}`;
  out += `\n${s.enforce > 0 || s.errors > 0 ? red(line) : line}\n`;
  return out;
}

/** Who an exemption covers, as the selectors it gives (`web`, `namespace=ci image=registry/*`, …). */
function exemptionTarget(e: { service?: string; namespace?: string; image?: string; annotations?: Record<string, string> }): string {
  const parts = [
    ...(e.service !== undefined ? [e.service] : []),
    ...(e.namespace !== undefined ? [`namespace=${e.namespace}`] : []),
    ...(e.image !== undefined ? [`image=${e.image}`] : []),
    ...Object.entries(e.annotations ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  return parts.join(' ');
}
