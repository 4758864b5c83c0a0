import { describe, expect, it } from 'vitest';
import { testPlugin } from '../../../src/plugin-kit/index.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import type { Spec } from '../../../src/spec/types.js';
import type { Operation } from '../../../src/engine/types.js';
import { stopSignalPlugin } from '../../../plugins/annotations/stop-signal.js';

const KEY = 'org.opencontainers.image.stopSignal';

describe('ctnr:stop-signal', () => {
  it.each([
    [{}, undefined, undefined],
    [{}, 'SIGQUIT', 'SIGQUIT'],
    [{ stop_signal: 'SIGINT' }, 'SIGQUIT', 'SIGINT'],
    [{ stop_signal: 'SIGUSR1' }, undefined, 'SIGUSR1'],
    [{ stop_signal: '9' }, undefined, '9'],
    [{ stop_signal: 'hup' }, undefined, 'SIGHUP'],
    [{}, 'term', 'SIGTERM'],
  ])('%j, image StopSignal %s → %s', async (service, imageSignal, expected) => {
    const r = await testPlugin(stopSignalPlugin(), { service, ...(imageSignal ? { image: { StopSignal: imageSignal } } : {}) });
    expect(r.errors).toEqual([]);
    expect(r.spec!.annotations?.[KEY]).toBe(expected);
  });

  it.each<{ what: string; spec: Spec | undefined; ops: Operation[] }>([
    { what: 'creates /annotations with its key', spec: undefined, ops: [{ op: 'add', path: '/annotations', value: { [KEY]: 'SIGINT' } }] },
    { what: 'adds its key next to others', spec: { ...createBaseSpec(), annotations: { a: 'b' } }, ops: [{ op: 'add', path: `/annotations/${KEY}`, value: 'SIGINT' }] },
    { what: 'replaces a value set before', spec: { ...createBaseSpec(), annotations: { [KEY]: 'SIGTERM' } }, ops: [{ op: 'replace', path: `/annotations/${KEY}`, value: 'SIGINT' }] },
  ])('$what', async ({ spec, ops }) => {
    const r = await testPlugin(stopSignalPlugin(), { service: { stop_signal: 'SIGINT' }, ...(spec ? { spec } : {}) });
    expect(r.ops).toEqual(ops);
    expect(r.spec!.annotations?.[KEY]).toBe('SIGINT');
  });
});
