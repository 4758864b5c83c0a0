#!/usr/bin/env node
// Write the per-engine tables of docs/presets.md ("Parity with the engines") from
// test/fixtures/parity/differences.json, between the `<!-- parity:ENGINE -->` and `<!-- /parity:ENGINE -->` markers.
// test/unit/presets/parity.test.ts checks that the two agree; this keeps them so.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = path.join(REPO, 'docs/presets.md');
const data = JSON.parse(readFileSync(path.join(REPO, 'test/fixtures/parity/differences.json'), 'utf8'));

let text = readFileSync(DOCS, 'utf8');
for (const [engine, { differences }] of Object.entries(data.engines)) {
  const open = `<!-- parity:${engine} -->`;
  const close = `<!-- /parity:${engine} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`docs/presets.md has no ${open} … ${close} block`);
  for (const d of differences) if (d.reason.includes('|')) throw new Error(`${engine} ${d.field}: a reason may not contain "|"`);
  const rows = differences.map((d) => `| \`${d.field}\` | ${d.cases === '*' ? 'every case' : d.cases.join(', ')} | ${d.reason} |`);
  const table = ['| field | cases | why |', '|---|---|---|', ...rows].join('\n');
  text = `${text.slice(0, start + open.length)}\n${table}\n${text.slice(end)}`;
}
writeFileSync(DOCS, text);
console.log(`docs/presets.md: tables for ${Object.keys(data.engines).join(', ')} written`);
