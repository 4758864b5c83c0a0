import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SPEC_MODE_STAGES, specModeEngine } from '../../../src/runtime-shim/spec-mode.js';
import { runtimePlanCommand } from '../../../src/runtime-shim/plan.js';
import { DEFAULT_STAGES } from '../../../presets/default.js';
import { createBaseSpec } from '../../../presets/engines/docker-base.js';
import { restrictedPreset } from '../../../presets/restricted.js';
import type { CtnrConfig } from '../../../src/config/schema.js';
import type { Plugin } from '../../../src/engine/types.js';

const FILE = '/etc/ctnr/runtime.config.ts';

async function plan(config: CtnrConfig) {
  const { engine, leftOut } = await specModeEngine({ file: FILE, config }, createBaseSpec);
  const mutators = engine.plan.stages.flatMap((s) => s.plugins.map((p) => p.plugin.name));
  const validators = engine.plan.stages.flatMap((s) => s.validators.map((p) => p.plugin.name));
  return { mutators, validators, leftOut: leftOut.map((p) => p.name), engine };
}

const orgEnv: Plugin = { name: 'acme:env', stage: 'process', anySpec: true, apply: () => [] };
const orgService: Plugin = { name: 'acme:from-service', stage: 'process', apply: ({ service }) => (service.hostname ? [] : []) };

describe('spec mode: what runs', () => {
  it('the stages are the default preset\'s nine (declared twice so spec mode need not load every plugin)', () => {
    expect([...SPEC_MODE_STAGES]).toEqual([...DEFAULT_STAGES]);
  });

  it.each<{ name: string; config: CtnrConfig; mutators: string[]; validators: string[]; leftOut: string[] | 'default' }>([
    { name: 'no presets: nothing runs', config: {}, mutators: [], validators: [], leftOut: [] },
    { name: 'baseline by name: its validator', config: { presets: ['baseline'] }, mutators: [], validators: ['ctnr:policy-baseline'], leftOut: [] },
    {
      name: 'restricted with fix: the fix mutators and both validators',
      config: { presets: [restrictedPreset({ fix: true, readOnlyRoot: true })] },
      mutators: ['ctnr:policy-fix-capabilities', 'ctnr:policy-fix-no-new-privileges', 'ctnr:policy-fix-read-only-root'],
      validators: ['ctnr:policy-baseline', 'ctnr:policy-restricted'],
      leftOut: [],
    },
    {
      name: 'default + restricted: every default mutator is left out, its validator stays (it reads the trace)',
      config: { presets: ['default', 'restricted'] },
      mutators: [],
      validators: ['ctnr:seccomp-caps-check', 'ctnr:policy-baseline', 'ctnr:policy-restricted'],
      leftOut: 'default',
    },
    {
      name: 'an organisation plugin runs when it declares anySpec, one reading the service is left out',
      config: { presets: ['baseline'], plugins: [orgEnv, orgService] },
      mutators: ['acme:env'],
      validators: ['ctnr:policy-baseline'],
      leftOut: ['acme:from-service'],
    },
    {
      name: 'disable still works, and a disabled plugin is not listed as left out',
      config: { presets: ['baseline'], plugins: [orgEnv, orgService], disable: ['acme:from-service'] },
      mutators: ['acme:env'],
      validators: ['ctnr:policy-baseline'],
      leftOut: [],
    },
  ])('$name', async ({ config, mutators, validators, leftOut }) => {
    const p = await plan(config);
    expect(p.mutators).toEqual(mutators);
    expect(p.validators).toEqual(validators);
    if (leftOut === 'default') {
      expect(p.leftOut).toEqual(expect.arrayContaining(['ctnr:args', 'ctnr:env', 'ctnr:capabilities', 'ctnr:seccomp', 'ctnr:namespaces', 'ctnr:network-hook']));
      expect(p.leftOut.every((n) => n.startsWith('ctnr:') && !n.startsWith('ctnr:policy-'))).toBe(true);
    } else {
      expect(p.leftOut).toEqual(leftOut);
    }
  });

  it('the base spec is the one given (its values are ctnr:base in the trace)', async () => {
    const spec = createBaseSpec();
    spec.hostname = 'from-the-engine';
    const { engine } = await specModeEngine({ file: FILE, config: { presets: ['baseline'] } }, () => spec);
    const result = await engine.run({ name: 'c', service: {} as never }, { rootless: false, dataDir: '/x', uid: 0, gid: 0, arch: 'amd64' });
    expect(result.spec.hostname).toBe('from-the-engine');
    expect(result.trace).toEqual([]);
  });
});

describe('ctnr plan --runtime', () => {
  let dir: string;
  let out: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-plan-runtime-'));
    out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      out += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the config and the runtime, lists what runs per stage and what is left out', async () => {
    const file = path.join(dir, 'runtime.config.json');
    writeFileSync(file, JSON.stringify({ presets: ['default', 'baseline'], runtime: '/bin/true' }));
    await runtimePlanCommand({ config: file, json: true });
    const json = JSON.parse(out);
    expect(json.config).toBe(file);
    expect(json.runtime).toBe('/bin/true');
    expect(json.stages.map((s: { stage: string }) => s.stage)).toEqual([...DEFAULT_STAGES, 'policy']);
    expect(json.stages.at(-1).plugins).toEqual([{ name: 'ctnr:policy-baseline', kind: 'validator', exec: true, from: `${file} › ctnr:preset-baseline` }]);
    expect(json.leftOut).toContainEqual({ name: 'ctnr:capabilities', stage: 'process', from: `${file} › ctnr:preset-default` });
    out = '';
    await runtimePlanCommand({ config: file });
    expect(out).toContain(`config: ${file}\nruntime: /bin/true\n`);
    expect(out).toContain('- ctnr:policy-baseline [validator, also of exec processes]');
    expect(out).toMatch(/left out \(they read the compose service; .*\):\n {3}- ctnr:oci-version \[process\]/);
  });
});
