import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { REPO } from '../../helpers/shared.js';

const FIX = path.join(REPO, 'test/fixtures/presets');

/** Run the CLI in this process (no build needed), capturing stdout, stderr and the exit code. */
async function ctnr(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

const ROOT = ['--no-rootless'];

describe('ctnr check', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('prints a table per service and control and exits 1 under enforce', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'check-project/compose.yaml'), ...ROOT);
    expect(r.status).toBe(1);
    const rows = r.stdout.split('\n').filter((l) => /^(api|legacy|debug) /.test(l)).map((l) => l.split(/\s{2,}/).slice(0, 3).join(' '));
    expect(rows).toEqual(expect.arrayContaining(['api - ok', 'legacy hostPorts exempt', 'debug privileged enforce', 'debug capabilities enforce', 'debug procMount enforce', 'debug seccomp enforce']));
    expect(r.stdout).toContain('legacy hostPorts: public entry point until the ingress lands (OPS-42) (from ctnr.config.json)');
    expect(r.stdout).toMatch(/3 service\(s\), \d+ violation\(s\): \d+ enforce, 0 warn, 0 audit, 1 exempt/);
  });

  it('checks only the named services; exit 0 when they pass', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'check-project/compose.yaml'), 'api', 'legacy', ...ROOT);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('debug');
  });

  it('--preset restricted adds the restricted controls on top of the config', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'check-project/compose.yaml'), 'api', 'legacy', '--preset', 'restricted', '--json', ...ROOT);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    const controls = (s: string) => report.services.find((x: { service: string }) => x.service === s).violations.map((v: { control: string }) => v.control);
    expect(controls('api')).toEqual([]);
    expect(controls('legacy')).toEqual(expect.arrayContaining(['hostPorts', 'allowPrivilegeEscalation', 'runAsNonRoot', 'capabilitiesRestricted']));
    expect(report.exemptions).toEqual([expect.objectContaining({ service: 'legacy', control: 'hostPorts', used: true })]);
  });

  it('the images preset from ctnr.config.ts: each service by its image, the modes and the image exemption in the report', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'images-policy-project/compose.yaml'), '--json', ...ROOT);
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    const of = (s: string) => report.services.find((x: { service: string }) => x.service === s).violations.map((v: { control: string; mode: string; exemption?: unknown }) => `${v.control} ${v.exemption ? 'exempt' : v.mode}`);
    expect(of('pinned')).toEqual([]);
    expect(of('floating')).toEqual(['imageTag enforce', 'imageDigest warn']);
    expect(of('vendor')).toEqual(['imageRegistries exempt', 'imageDigest warn']);
    expect(report.exemptions).toEqual([expect.objectContaining({ image: 'ghcr.io/acme/*', control: 'imageRegistries', used: true })]);
  });

  it('--preset images on a project without it: latest is refused', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'image-project/compose.yaml'), '--preset', 'images', ...ROOT);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/web +imageTag +enforce .*image acme\/web names no tag \(so latest\): name a version, or pin a digest/);
  });

  it('an unknown service is an error with a hint', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'check-project/compose.yaml'), 'legacyy', ...ROOT);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('did you mean "legacy"');
  });

  it('per-control modes from ctnr.config.ts land in the report; exit 1 for the enforced control', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'warn-project/compose.yaml'), 'api', 'legacy', '--json', ...ROOT);
    const report = JSON.parse(r.stdout);
    const legacy = report.services.find((s: { service: string }) => s.service === 'legacy').violations;
    const mode = (c: string) => legacy.find((v: { control: string }) => v.control === c)?.mode;
    expect([mode('allowPrivilegeEscalation'), mode('runAsNonRoot'), mode('capabilitiesRestricted')]).toEqual(['enforce', 'audit', 'warn']);
    expect(r.status).toBe(1);
  });
});

describe('ctnr spec and the policy', () => {
  it('--report writes the report; warn violations go to stderr and the spec is printed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-report-'));
    try {
      const file = path.join(dir, 'report.json');
      const r = await ctnr('spec', 'api', '-f', path.join(FIX, 'warn-project/compose.yaml'), '--report', file, ...ROOT);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).process.user.uid).toBe(1000);
      const report = JSON.parse(readFileSync(file, 'utf8'));
      expect(report.services.map((s: { service: string }) => s.service)).toEqual(['api']);
      expect(report.summary.enforce).toBe(0);
      // stderr has exactly one line per warn violation of the report.
      const warned = report.services[0].violations.filter((v: { mode: string }) => v.mode === 'warn');
      expect(r.stderr.split('\n').filter((l) => l.startsWith('warning: [ctnr:policy-')).length).toBe(warned.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warn and enforce together: the enforced control fails the service, warn ones are on stderr', async () => {
    const r = await ctnr('spec', 'legacy', '-f', path.join(FIX, 'warn-project/compose.yaml'), '--preset', 'baseline', ...ROOT);
    // allowPrivilegeEscalation is enforced in that config: legacy fails, with every enforced violation listed.
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('allowPrivilegeEscalation');
    expect(r.stderr).toMatch(/warning: \[ctnr:policy-restricted\] services\.legacy: capabilitiesRestricted: /);
  });

  it('enforce: no spec, exit 1, the report is still written (the audit trail)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-report-'));
    try {
      const file = path.join(dir, 'report.json');
      const r = await ctnr('spec', 'debug', '-f', path.join(FIX, 'check-project/compose.yaml'), '--report', file, ...ROOT);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/services\.debug: service "debug" violates \d+ enforced controls \(privileged, capabilities, .*\)/);
      const report = JSON.parse(readFileSync(file, 'utf8'));
      expect(report.summary.enforce).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('audit: spec produced, nothing on stderr, violations only in the report', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctnr-report-'));
    try {
      const file = path.join(dir, 'report.json');
      const r = await ctnr('spec', 'legacy', '-f', path.join(FIX, 'audit-project/compose.yaml'), '--report', file, ...ROOT);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const report = JSON.parse(readFileSync(file, 'utf8'));
      expect(report.summary.audit).toBeGreaterThan(0);
      expect(report.services[0].violations.every((v: { mode: string }) => v.mode === 'audit')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ctnr check and images', () => {
  it('reads the image config from the config\'s images mapping (Cmd, User)', async () => {
    const r = await ctnr('check', '-f', path.join(FIX, 'image-project/compose.yaml'), '--json', ...ROOT);
    const report = JSON.parse(r.stdout);
    expect(report.services[0].error).toBeUndefined();
    const controls = report.services[0].violations.map((v: { control: string }) => v.control);
    expect(controls).not.toContain('runAsNonRoot');
    expect(controls).toContain('capabilitiesRestricted');
  });
});
