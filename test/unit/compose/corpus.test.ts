import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadComposeFile } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { createEngine } from '../../../src/create-engine.js';
import { defaultPreset } from '../../../presets/default.js';
import { formatError, isCtnrError, type CtnrError } from '../../../src/engine/errors.js';
import { TEST_ENV } from '../../helpers/engine.js';
import { expectValidSpec } from '../../helpers/schema.js';
import { SHARED, sharedAvailable } from '../../helpers/shared.js';
import { EXPECTED_REFUSALS, type RefusalReason } from './corpus-expected.js';

/**
 * Every compose file of ../shared/corpus either loads (each service producing a spec that validates against
 * the runtime-spec schema) or is refused with a located CtnrError whose reason is the one recorded in
 * corpus-expected.ts. Services without a command get an image config with `Cmd: ["/bin/sh"]`, as the image
 * would supply one.
 */

const CORPUS = path.join(SHARED, 'corpus');

function walk(d: string): string[] {
  return readdirSync(d)
    .sort()
    .flatMap((n) => {
      const p = path.join(d, n);
      return statSync(p).isDirectory() ? walk(p) : /\.ya?ml$/.test(n) ? [p] : [];
    });
}

/** Why a file or service was refused, from the error's code, plugin and message. */
export function reasonOf(err: CtnrError): RefusalReason {
  const m = err.message;
  if (/ENOENT|not found|does not exist/.test(m) && !/external volume/.test(m)) return 'missing-file';
  if (err.code === 'KEY_UNSUPPORTED') return 'refused-key';
  if (/required variable|environment variable \w+ is not set/.test(m)) return 'missing-variable';
  if (/has no known running process|network_mode and networks|known once it runs/.test(m)) return 'needs-other-container';
  if (err.plugin) return 'plugin-refused';
  if (/duplicate key|multiple documents|Merge sources|Excessive alias/.test(m)) return 'invalid-yaml';
  return 'invalid-compose';
}

interface Outcome {
  key: string;
  reason: RefusalReason;
  error: CtnrError;
}

async function runCorpus() {
  const engine = createEngine({ presets: [defaultPreset()] });
  const refused: Outcome[] = [];
  let files = 0;
  let services = 0;
  let specs = 0;
  for (const file of walk(CORPUS)) {
    files++;
    const rel = path.relative(CORPUS, file);
    let project;
    try {
      project = loadComposeFile(file, { environment: { HOME: '/home/user' }, cwd: CORPUS });
    } catch (e) {
      if (!isCtnrError(e)) throw e;
      refused.push({ key: rel, reason: reasonOf(e), error: e });
      continue;
    }
    for (const name of Object.keys(project.services)) {
      services++;
      try {
        const { input } = selectService(project, name, { Cmd: ['/bin/sh'] });
        const result = await engine.run(input, TEST_ENV);
        expectValidSpec(result.spec);
        specs++;
      } catch (e) {
        if (!isCtnrError(e)) throw e;
        refused.push({ key: `${rel}#${name}`, reason: reasonOf(e), error: e });
      }
    }
  }
  return { files, services, specs, refused };
}

describe.skipIf(!sharedAvailable('the compose corpus'))('compose corpus', () => {
  it('every file loads into valid specs or is refused for its recorded reason, with a location', async () => {
    const { files, services, specs, refused } = await runCorpus();
    const byReason: Record<string, number> = {};
    for (const r of refused) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    console.log(`corpus: ${files} files, ${services} services, ${specs} specs valid, ${refused.length} refused`, byReason);

    const actual = Object.fromEntries(refused.map((r) => [r.key, r.reason]));
    // CTNR_CORPUS_DUMP=file writes every refusal with its message, for reviewing a changed table.
    if (process.env.CTNR_CORPUS_DUMP) writeFileSync(process.env.CTNR_CORPUS_DUMP, refused.map((r) => `${r.key}\t${r.reason}\t${formatError(r.error).split('\n')[0]}`).join('\n') + '\n');
    expect(actual).toEqual(EXPECTED_REFUSALS);
    for (const r of refused) {
      // Located: the file always; a line too, except for whole-document YAML errors (alias bombs).
      expect(r.error.location?.file, r.key).toBeTruthy();
      if (!/Excessive alias|Merge sources/.test(r.error.message)) expect(r.error.location?.line, `${r.key}: ${formatError(r.error)}`).toBeGreaterThan(0);
    }
    // 606 before issue 16: 6 services now resolve container_name to "-web" and 1 has a template ipv4_address (refused above)
    expect(specs).toBeGreaterThanOrEqual(599);
  }, 180_000);
});
