import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksQualified, parseQualifiedName } from '../../../src/linux/cdi/names.js';
import { formatCdiProblem, readCdiSpecDirs, readCdiSpecFile } from '../../../src/linux/cdi/read.js';
import { naturalCompare, resolveCdiDevice } from '../../../src/linux/cdi/resolve.js';
import { SHARED, sharedAvailable } from '../../helpers/shared.js';
import { cdiDirs, specOf } from './helpers.js';

const dirs = cdiDirs();

describe('CDI device names', () => {
  it.each([
    ['vendor.com/device=myDevice', { vendor: 'vendor.com', class: 'device', name: 'myDevice', kind: 'vendor.com/device' }],
    ['nvidia.com/gpu=all', { vendor: 'nvidia.com', class: 'gpu', name: 'all', kind: 'nvidia.com/gpu' }],
    ['foo.bar.baz/foo-bar123.B_az=0', { vendor: 'foo.bar.baz', class: 'foo-bar123.B_az', name: '0', kind: 'foo.bar.baz/foo-bar123.B_az' }],
    ['v.com/c=dev:1.a_b-c', { vendor: 'v.com', class: 'c', name: 'dev:1.a_b-c', kind: 'v.com/c' }],
  ])('%s', (text, parts) => {
    expect(looksQualified(text)).toBe(true);
    expect(parseQualifiedName(text)).toEqual(parts);
  });

  it.each([
    ['/dev/null', false],
    ['/dev/null:/dev/x', false],
    ['vendor.com/device', false],
    ['=x', false],
    ['a/b=', false],
    ['nvidia.com/gpu=0', true],
  ])('%s looks like a CDI name: %s', (text, yes) => expect(looksQualified(text)).toBe(yes));

  it.each([
    ['vendor.com/foo/bar=x', 'the class "foo/bar" has the character "/"'],
    ['1vendor.com/c=x', 'the vendor "1vendor.com" must start with a letter'],
    ['v.com/c-=x', 'the class "c-" must end with a letter or digit'],
    ['v.com/c=-x', 'the device name "-x" must start with a letter or digit'],
    ['v.com/c=a/b', 'the device name "a/b" has the character "/"'],
  ])('%s is refused', (text, msg) => {
    expect(() => parseQualifiedName(text)).toThrow(msg);
  });

  it('natural order: 2 before 10', () => {
    expect(['10', 'all', '2', 'gpu1', '1', 'gpu10', 'gpu2'].sort(naturalCompare)).toEqual(['1', '2', '10', 'all', 'gpu1', 'gpu2', 'gpu10']);
  });
});

describe('CDI spec files', () => {
  it.skipIf(!sharedAvailable('CDI reference examples'))('reads the reference examples (and refuses the empty one)', () => {
    const ex = path.join(SHARED, 'reference/cdi/examples');
    const minimal = readCdiSpecFile(path.join(ex, 'good-minimal.json'));
    expect(minimal).toEqual({ spec: JSON.parse(readFileSync(path.join(ex, 'good-minimal.json'), 'utf8')) });
    const full = readCdiSpecFile(path.join(ex, 'good-spec-example.json'));
    expect('spec' in full && full.spec.containerEdits?.hooks).toEqual([
      { hookName: 'createContainer', path: '/bin/vendor-hook' },
      { hookName: 'startContainer', path: '/usr/bin/ldconfig' },
    ]);
    expect(readCdiSpecFile(path.join(ex, 'bad-explicit-empty.json'))).toEqual({
      problem: { file: path.join(ex, 'bad-explicit-empty.json'), line: 1, col: 1, path: 'cdiVersion', message: 'is required (and 2 more problems)' },
    });
  });

  it('JSON and YAML say the same; YAML octal modes are octal, a bare number is a name', () => {
    const d = dirs.specDir();
    const json = dirs.write(d, 'a.json', { cdiVersion: '0.5.0', kind: 'v.com/c', devices: [{ name: '0', containerEdits: { deviceNodes: [{ path: '/dev/x', type: 'c', major: 1, minor: 3, fileMode: 0o660 }] } }] });
    const yaml = dirs.write(d, 'b.yaml', 'cdiVersion: 0.5.0\nkind: v.com/c\ndevices:\n  - name: 0\n    containerEdits:\n      deviceNodes:\n        - {path: /dev/x, type: c, major: 1, minor: 3, fileMode: 0660}\n');
    const a = readCdiSpecFile(json);
    expect(a).toEqual(readCdiSpecFile(yaml));
    expect('spec' in a && a.spec.devices[0]!.containerEdits.deviceNodes![0]!.fileMode).toBe(0o660);
  });

  it.each([
    { what: 'YAML syntax', text: 'cdiVersion: 0.3.0\nkind: [\n', line: 3, message: /^not valid JSON or YAML: / },
    { what: 'a duplicate key', text: 'cdiVersion: 0.3.0\ncdiVersion: 0.3.0\n', line: 2, message: /^not valid JSON or YAML: Map keys must be unique/ },
    { what: 'not a mapping', text: '- a\n', line: 1, message: 'a CDI spec is a mapping with cdiVersion, kind and devices' },
    {
      what: 'an unknown key',
      text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n  - name: d\n    containerEdits:\n      env: [A=1]\n      devcies: []\n',
      line: 7, path: 'devices[0].containerEdits.devcies', message: 'unknown key "devcies"',
    },
    { what: 'a missing name', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n  - containerEdits: {env: [A=1]}\n', line: 4, path: 'devices[0].name', message: 'is required' },
    { what: 'a bad kind', text: 'cdiVersion: 0.3.0\nkind: vendor\ndevices: [{name: d, containerEdits: {env: [A=1]}}]\n', line: 2, path: 'kind', message: '"vendor" is not a CDI kind (expected VENDOR/CLASS, e.g. vendor.com/device)' },
    { what: 'an unknown version', text: 'cdiVersion: 2.0.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {env: [A=1]}}]\n', line: 1, path: 'cdiVersion', message: /^"2.0.0" is not a CDI version/ },
    { what: 'a version too old for its fields', text: 'cdiVersion: 0.6.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {additionalGids: [5]}}]\n', line: 1, path: 'cdiVersion', message: 'cdiVersion 0.6.0 is too old for this file: additionalGids needs 0.7.0 or later' },
    { what: 'no devices', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: []\n', line: 3, path: 'devices', message: 'a spec must define at least one device' },
    { what: 'a device without edits', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {}}]\n', line: 3, path: 'devices[0].containerEdits', message: /has no edits/ },
    { what: 'a device defined twice', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices:\n- {name: d, containerEdits: {env: [A=1]}}\n- {name: d, containerEdits: {env: [A=1]}}\n', line: 5, path: 'devices[1].name', message: 'device "d" is defined twice (also devices[0])' },
    { what: 'env without =', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {env: [A]}}]\n', line: 3, path: 'devices[0].containerEdits.env[0]', message: 'is not NAME=VALUE' },
    { what: 'a bad device type', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, type: z}]}}]\n', line: 3, path: 'devices[0].containerEdits.deviceNodes[0].type', message: '"z" is not a device type (b, c, u or p)' },
    { what: 'bad permissions', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, permissions: rx}]}}]\n', line: 3, path: 'devices[0].containerEdits.deviceNodes[0].permissions', message: 'must be letters of "rwm", "none" or empty' },
    { what: 'a relative container path', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {mounts: [{hostPath: /a, containerPath: a}]}}]\n', line: 3, path: 'devices[0].containerEdits.mounts[0].containerPath', message: 'must be an absolute path' },
    { what: 'an unknown hook', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {hooks: [{hookName: prestop, path: /bin/x}]}}]\n', line: 3, path: 'devices[0].containerEdits.hooks[0].hookName', message: /^"prestop" is not a hook name \(prestart, createRuntime/ },
    { what: 'a zero hook timeout', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {hooks: [{hookName: poststop, path: /bin/x, timeout: 0}]}}]\n', line: 3, path: 'devices[0].containerEdits.hooks[0].timeout', message: 'must be at least 1 (seconds)' },
    { what: 'a negative uid', text: 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {deviceNodes: [{path: /dev/x, uid: -1}]}}]\n', line: 3, path: 'devices[0].containerEdits.deviceNodes[0].uid', message: 'must not be negative' },
  ])('refuses $what, naming the file, line and key', ({ text, line, path: keyPath, message }) => {
    const file = dirs.write(dirs.specDir(), 'bad.yaml', text);
    const r = readCdiSpecFile(file);
    expect('problem' in r).toBe(true);
    if (!('problem' in r)) return;
    expect(r.problem.file).toBe(file);
    expect(r.problem.line).toBe(line);
    expect(r.problem.path).toBe(keyPath);
    if (typeof message === 'string') expect(r.problem.message).toBe(message);
    else expect(r.problem.message).toMatch(message);
  });

  it('a problem reads file:line:col key: message', () => {
    const file = dirs.write(dirs.specDir(), 'x.yaml', 'cdiVersion: 0.3.0\nkind: v.com/c\ndevices: [{name: d, containerEdits: {env: [A]}}]\n');
    const r = readCdiSpecFile(file);
    expect('problem' in r && formatCdiProblem(r.problem)).toBe(`${file}:3:44 devices[0].containerEdits.env[0]: is not NAME=VALUE`);
  });
});

describe('CDI spec directories', () => {
  it('reads .json and .yaml files in name order, skips others and subdirectories, and missing directories', () => {
    const d = dirs.specDir();
    dirs.write(d, 'b.yaml', specOf('v.com/b', ['x']));
    dirs.write(d, 'a.json', specOf('v.com/a', ['x']));
    dirs.write(d, 'c.yml', specOf('v.com/c', ['x']));
    dirs.write(d, 'notes.txt', 'hello');
    mkdirSync(path.join(d, 'sub.json'));
    const reg = readCdiSpecDirs([path.join(d, 'missing'), d]);
    expect(reg.specs.map((s) => path.basename(s.file))).toEqual(['a.json', 'b.yaml']);
    expect([...reg.devices.keys()]).toEqual(['v.com/a=x', 'v.com/b=x']);
    expect(reg.problems).toEqual([]);
  });

  it('a later directory replaces a device of an earlier one; two files of one directory conflict', () => {
    const low = dirs.specDir();
    const high = dirs.specDir();
    dirs.write(low, 'v.json', specOf('v.com/c', ['a', 'b', 'c']));
    dirs.write(high, 'v.yaml', specOf('v.com/c', ['b']));
    dirs.write(high, 'w.yaml', specOf('v.com/c', ['c']));
    dirs.write(low, 'w.json', specOf('v.com/c', ['c']));
    const reg = readCdiSpecDirs([low, high]);
    expect(reg.devices.get('v.com/c=a')!.from.file).toBe(path.join(low, 'v.json'));
    expect(reg.devices.get('v.com/c=b')!.from.file).toBe(path.join(high, 'v.yaml'));
    // c is in both directories; the winning one has it once: no conflict. (Both files of `low` define c too.)
    expect(reg.devices.get('v.com/c=c')!.from.file).toBe(path.join(high, 'w.yaml'));
    const same = dirs.specDir();
    dirs.write(same, 'one.json', specOf('v.com/c', ['z']));
    dirs.write(same, 'two.json', specOf('v.com/c', ['z']));
    const clash = readCdiSpecDirs([same]);
    expect(clash.devices.has('v.com/c=z')).toBe(false);
    expect(resolveCdiDevice(clash, 'v.com/c=z')).toEqual({ problem: `CDI device v.com/c=z is defined by ${path.join(same, 'one.json')} and ${path.join(same, 'two.json')} in the same directory, so it cannot be used` });
  });

  it('a bad file is a problem; the good files still count', () => {
    const d = dirs.specDir();
    dirs.write(d, 'good.json', specOf('v.com/c', ['a']));
    const bad = dirs.write(d, 'bad.json', { ...specOf('v.com/c', ['b']), cdiVersion: 'x' });
    const reg = readCdiSpecDirs([d]);
    expect([...reg.devices.keys()]).toEqual(['v.com/c=a']);
    expect(reg.problems).toEqual([{ file: bad, line: 2, col: 3, path: 'cdiVersion', message: expect.stringMatching(/^"x" is not a CDI version/), kind: 'v.com/c' }]);
    expect(resolveCdiDevice(reg, 'v.com/c=b')).toEqual({ problem: expect.stringMatching(new RegExp(`^unknown CDI device v.com/c=b: v.com/c has a; spec files that could not be used: ${bad}:2:3 cdiVersion: "x" is not a CDI version`)) });
  });

  it('an unknown device lists the devices of its kind; an unknown kind lists the kinds', () => {
    const d = dirs.specDir();
    dirs.write(d, 'v.json', specOf('v.com/c', ['10', '2', 'all']));
    dirs.write(d, 'w.json', specOf('w.com/gpu', ['g']));
    const reg = readCdiSpecDirs([d]);
    expect(resolveCdiDevice(reg, 'v.com/c=3')).toEqual({ problem: 'unknown CDI device v.com/c=3: v.com/c has 2, 10, all' });
    expect(resolveCdiDevice(reg, 'x.com/c=3')).toEqual({ problem: `unknown CDI device x.com/c=3: no CDI spec of kind x.com/c in ${d} (known kinds: v.com/c, w.com/gpu)` });
    expect(resolveCdiDevice(readCdiSpecDirs([]), 'x.com/c=3')).toEqual({ problem: 'unknown CDI device x.com/c=3: no CDI spec of kind x.com/c in no CDI spec directories (no valid spec files there)' });
  });
});
