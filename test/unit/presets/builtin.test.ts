import { describe, expect, it } from 'vitest';
import { BUILTIN_PRESET_LOADERS } from '../../../presets/builtin.js';
import { BUILTIN_PRESETS } from '../../../presets/index.js';
import type { Preset } from '../../../src/engine/types.js';

/** A preset's shape by names: its name, its stages, its plugins' names, and the same of its presets. */
function outline(p: Preset): unknown {
  return {
    name: p.name,
    stages: p.stages ?? [],
    plugins: (p.plugins ?? []).map((x) => x.name),
    disable: p.disable ?? [],
    presets: (p.presets ?? []).map(outline),
  };
}

describe('built-in presets loaded on demand (presets/builtin.ts) are those of presets/index.ts', () => {
  it('has the same names', () => {
    expect(Object.keys(BUILTIN_PRESET_LOADERS).sort()).toEqual(Object.keys(BUILTIN_PRESETS).sort());
  });

  it.each(Object.keys(BUILTIN_PRESETS))('%s gives the same preset', async (name) => {
    expect(outline(await BUILTIN_PRESET_LOADERS[name]!())).toEqual(outline(BUILTIN_PRESETS[name]!()));
  });
});
