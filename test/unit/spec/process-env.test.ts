import { describe, expect, it } from 'vitest';
import { overlayEnv } from '../../../src/spec/process-env.js';

/** An exec's or a hook's environment over the container's (docker's rules). */
describe('overlayEnv', () => {
  it.each([
    ['a new key goes last', ['A=1', 'B=2'], [['C', '3']], ['A=1', 'B=2', 'C=3']],
    ['a key given again moves to the end with its new value', ['A=1', 'B=2'], [['A', 'x']], ['B=2', 'A=x']],
    ['undefined removes it', ['A=1', 'B=2'], [['A', undefined]], ['B=2']],
    ['a value with = in it stays whole', ['A=x=y'], [], ['A=x=y']],
    ['a base entry without = is kept as KEY=', ['A'], [], ['A=']],
    ['no base', undefined, [['A', '']], ['A=']],
  ] as const)('%s', (_, base, over, expected) => {
    expect(overlayEnv(base, over)).toEqual(expected);
  });
});
