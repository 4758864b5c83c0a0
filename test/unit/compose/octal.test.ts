import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';

describe('YAML integers in compose files', () => {
  it.each([
    { text: '0400', value: 0o400 },
    { text: '0o440', value: 0o440 },
    { text: '0755', value: 0o755 },
    { text: '400', value: 400 },
    { text: '0', value: 0 },
  ])('mode: $text → $value (a leading 0 is octal, as in docker compose)', ({ text, value }) => {
    const p2 = parseCompose(`services:\n  s:\n    command: ["true"]\n    volumes:\n      - type: tmpfs\n        target: /t\n        tmpfs:\n          mode: ${text}\n`, '/p/compose.yaml', 'compose.yaml', { environment: {} });
    const svc = selectService(p2, 's').input.service;
    expect(svc.volumes![0]!.tmpfs!.mode).toBe(value);
  });
});
