import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import type { Service } from '../../../src/engine/service.js';

/** The loader's side of the Service contract: `extensions` (the service's x-* keys) and the parsed `security_opt`. */
function service(yaml: string, name = 's'): Service {
  return selectService(parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: { TEAM: 'shop' } }), name).input.service;
}

describe('extensions', () => {
  it('a service without x-* keys has none', () => {
    expect(service('services:\n  s:\n    image: x\n')).not.toHaveProperty('extensions');
  });

  it('x-* keys move to extensions, values as written (not interpolated), and nowhere else', () => {
    const s = service('services:\n  s:\n    image: x\n    x-team: ${TEAM}\n    x-limits: {cpu: 2}\n');
    expect(s.extensions).toEqual({ 'x-team': '${TEAM}', 'x-limits': { cpu: 2 } });
    expect(Object.keys(s)).toEqual(['image', 'extensions']);
  });

  it('extends merges them like any other key: mappings by key, scalars replaced, !reset drops one', () => {
    const s = service(
      [
        'services:',
        '  base:',
        '    image: x',
        '    x-limits: {cpu: 2, mem: 1}',
        '    x-team: core',
        '    x-gone: 1',
        '  s:',
        '    extends: base',
        '    x-limits: {cpu: 4}',
        '    x-team: shop',
        '    x-gone: !reset null',
        '',
      ].join('\n'),
    );
    expect(s.extensions).toEqual({ 'x-limits': { cpu: 4, mem: 1 }, 'x-team': 'shop' });
  });
});

describe('security_opt', () => {
  it('is parsed once: key, value and the index of the entry', () => {
    expect(service('services:\n  s:\n    image: x\n    security_opt: ["no-new-privileges", "seccomp:unconfined", "label=type:spc_t", "Not An Option"]\n').security_opt).toEqual([
      { key: 'no-new-privileges', value: '', index: 0 },
      { key: 'seccomp', value: 'unconfined', index: 1 },
      { key: 'label', value: 'type:spc_t', index: 2 },
      { key: 'Not An Option', value: '', index: 3 },
    ]);
  });

  it('extends: the parent\'s entries then the child\'s, an equal entry once, indices in the merged list', () => {
    const s = service(
      [
        'services:',
        '  base:',
        '    image: x',
        '    security_opt: ["no-new-privileges", "seccomp=unconfined"]',
        '  s:',
        '    extends: base',
        '    security_opt: ["seccomp:unconfined", "apparmor=unconfined"]',
        '',
      ].join('\n'),
    );
    expect(s.security_opt).toEqual([
      { key: 'no-new-privileges', value: '', index: 0 },
      { key: 'seccomp', value: 'unconfined', index: 1 },
      { key: 'apparmor', value: 'unconfined', index: 2 },
    ]);
  });
});
