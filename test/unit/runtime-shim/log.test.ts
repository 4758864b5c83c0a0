import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logEntry, report, rfc3339 } from '../../../src/runtime-shim/log.js';
import { policyName, violationLines } from '../../../src/runtime-shim/messages.js';
import type { PolicyViolation } from '../../../src/policy/evaluate.js';

describe('runc log format', () => {
  it('RFC 3339 without fraction, as logrus writes it', () => {
    expect(rfc3339(new Date())).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  });

  it.each([
    { format: 'json', expected: '{"level":"error","msg":"ctnr: no \\"x\\"","time":"T"}\n' },
    { format: 'text', expected: 'time="T" level=error msg="ctnr: no \\"x\\""\n' },
    { format: undefined, expected: 'time="T" level=error msg="ctnr: no \\"x\\""\n' },
  ])('$format', ({ format, expected }) => {
    expect(logEntry('error', 'ctnr: no "x"', format, 'T')).toBe(expected);
  });

  it('report: stderr lines prefixed `ctnr: `, one log entry each, a combined last entry when asked; control characters escaped', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-log-'));
    try {
      const log = path.join(dir, 'log.json');
      let stderr = '';
      report({ log, logFormat: 'json', stderr: (t) => (stderr += t) }, 'error', ['policy baseline: a', 'policy baseline: b\x1b[31m'], true);
      expect(stderr).toBe('ctnr: policy baseline: a\nctnr: policy baseline: b\\x1b[31m\n');
      const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(entries.map((e) => [e.level, e.msg])).toEqual([
        ['error', 'ctnr: policy baseline: a'],
        ['error', 'ctnr: policy baseline: b\\x1b[31m'],
        ['error', 'ctnr: policy baseline: a; policy baseline: b\\x1b[31m'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('report: an unwritable log costs the log, not the message', () => {
    let stderr = '';
    report({ log: '/nonexistent/dir/log.json', logFormat: 'json', stderr: (t) => (stderr += t) }, 'warning', ['careful']);
    expect(stderr).toBe('ctnr: careful\n');
  });
});

describe('violation lines', () => {
  const v = (control: string, message: string, pointer: string, mode: PolicyViolation['mode'] = 'enforce', validator = 'ctnr:policy-baseline'): PolicyViolation => ({
    control, mode, validator, pointer, message, presetChain: [],
  });

  it('one line per validator and control, the summary first, the findings after', () => {
    expect(violationLines([
      v('privileged', 'the device cgroup allows every device', '/linux/resources/devices/0'),
      v('privileged', '/sys is mounted writable', '/mounts/2/options'),
      v('runAsNonRoot', 'the process runs as root (uid 0) on the host', '/process/user/uid', 'warn', 'ctnr:policy-restricted'),
      v('noRoot', 'root is not allowed here', '', 'enforce', 'acme:policy'),
      { ...v('capabilities', 'exempt', '/process/capabilities/bounding'), exemption: { reason: 'r', from: 'x' } },
    ])).toEqual([
      { mode: 'enforce', text: 'policy baseline: privileged: privileged containers are not allowed (the device cgroup allows every device at /linux/resources/devices/0; /sys is mounted writable at /mounts/2/options)' },
      { mode: 'warn', text: 'policy restricted: runAsNonRoot: containers must not run as root (the process runs as root (uid 0) on the host at /process/user/uid)' },
      { mode: 'enforce', text: 'policy acme:policy: noRoot: root is not allowed here' },
    ]);
  });

  it('capability sets with the same finding are named together', () => {
    const extra = 'CAP_SYS_ADMIN (beyond the PSS baseline set)';
    expect(violationLines([
      v('capabilities', `bounding set has ${extra}`, '/process/capabilities/bounding'),
      v('capabilities', `effective set has ${extra}`, '/process/capabilities/effective'),
      v('capabilities', 'ambient set has CAP_NET_RAW (beyond the PSS baseline set)', '/process/capabilities/ambient'),
      v('capabilities', `permitted set has ${extra}`, '/process/capabilities/permitted'),
    ])).toEqual([{
      mode: 'enforce',
      text: `policy baseline: capabilities: capabilities beyond the baseline set are not allowed (bounding, effective, permitted sets have ${extra} at /process/capabilities; ambient set has CAP_NET_RAW (beyond the PSS baseline set) at /process/capabilities)`,
    }]);
  });

  it.each([
    ['ctnr:policy-baseline', 'baseline'],
    ['ctnr:policy-restricted', 'restricted'],
    ['acme:policy', 'acme:policy'],
  ])('policyName(%s) = %s', (validator, name) => {
    expect(policyName(validator)).toBe(name);
  });
});
