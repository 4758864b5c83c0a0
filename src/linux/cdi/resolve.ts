import { parseQualifiedName } from './names.js';
import { formatCdiProblem, type CdiDevice, type CdiRegistry, type CdiSpecFile } from './read.js';
import type { ContainerEdits } from './schema.js';

/** Names in natural order (`2` before `10`), the same on every machine. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The kinds any readable spec file provides, sorted. */
export function knownKinds(reg: CdiRegistry): string[] {
  return [...new Set(reg.specs.map((s) => s.spec.kind))].sort();
}

/** The usable device names of `kind`, in natural order. */
export function deviceNamesOf(reg: CdiRegistry, kind: string): string[] {
  return [...reg.devices.values()].filter((d) => d.kind === kind).map((d) => d.name).sort(naturalCompare);
}

/** Problems of spec files that may have defined `kind` (their kind is that one, or could not be read). */
export function problemsFor(reg: CdiRegistry, kind: string | undefined): string[] {
  return reg.problems.filter((p) => p.kind === undefined || p.kind === kind).map(formatCdiProblem);
}

function where(reg: CdiRegistry): string {
  return reg.dirs.length === 0 ? 'no CDI spec directories' : reg.dirs.join(', ');
}

function brokenSuffix(reg: CdiRegistry, kind: string | undefined): string {
  const broken = problemsFor(reg, kind);
  return broken.length === 0 ? '' : `; spec files that could not be used: ${broken.join('; ')}`;
}

/** The device a fully-qualified name stands for, or a message that lists what is there instead. */
export function resolveCdiDevice(reg: CdiRegistry, qualified: string): { device: CdiDevice } | { problem: string } {
  let kind: string;
  try {
    kind = parseQualifiedName(qualified).kind;
  } catch (err) {
    return { problem: (err as Error).message };
  }
  const device = reg.devices.get(qualified);
  if (device) return { device };
  const files = reg.conflicts.get(qualified);
  if (files) return { problem: `CDI device ${qualified} is defined by ${files.join(' and ')} in the same directory, so it cannot be used` };
  const names = deviceNamesOf(reg, kind);
  if (names.length === 0) {
    const kinds = knownKinds(reg);
    return {
      problem: `unknown CDI device ${qualified}: no CDI spec of kind ${kind} in ${where(reg)} (${kinds.length ? `known kinds: ${kinds.join(', ')}` : 'no valid spec files there'})${brokenSuffix(reg, kind)}`,
    };
  }
  return { problem: `unknown CDI device ${qualified}: ${kind} has ${names.join(', ')}${brokenSuffix(reg, kind)}` };
}

/** One set of edits and where it is written. */
export interface SourcedEdits {
  edits: ContainerEdits;
  spec: CdiSpecFile;
  /** `containerEdits` or `devices[N].containerEdits` of that file. */
  keyPath: string;
  /** The device they are for (for a spec's common edits: the first device of that spec requested). */
  device: CdiDevice;
}

/**
 * The edits for `devices` in CDI's order (`Cache.InjectDevices`): for each device, its spec file's common
 * `containerEdits` the first time that file is met, then the device's own. Devices listed twice count once.
 */
export function editsFor(devices: readonly CdiDevice[]): SourcedEdits[] {
  const out: SourcedEdits[] = [];
  const seenSpecs = new Set<CdiSpecFile>();
  const seenDevices = new Set<string>();
  for (const d of devices) {
    if (seenDevices.has(d.qualified)) continue;
    seenDevices.add(d.qualified);
    if (!seenSpecs.has(d.from)) {
      seenSpecs.add(d.from);
      if (d.from.spec.containerEdits) out.push({ edits: d.from.spec.containerEdits, spec: d.from, keyPath: 'containerEdits', device: d });
    }
    out.push({ edits: d.from.spec.devices[d.index]!.containerEdits, spec: d.from, keyPath: `devices[${d.index}].containerEdits`, device: d });
  }
  return out;
}
