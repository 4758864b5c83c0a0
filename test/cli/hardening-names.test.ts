import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctnr, project, requireBuild, SIMPLE, tempRoot } from './hardening-cli.js';

/** Hostile names through the built CLI (issue 16 items 3, 6): clean errors, nothing written outside the data dir. */
const root = tempRoot('names');
beforeAll(requireBuild);
afterAll(() => root.cleanup());

const dir = project(root.dir, 'p', SIMPLE);
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('service names on the command line', () => {
  it.each([
    ['spec', 'toString'],
    ['spec', 'constructor'],
    ['spec', 'valueOf'],
    ['spec', 'hasOwnProperty'],
    ['explain', 'toString'],
    ['explain', 'constructor'],
  ])('ctnr %s %s: SERVICE_NOT_FOUND, exit 1 (was exit 70)', (command, name) => {
    const r = ctnr(dir, [command, name]);
    expect(r.stderr).toBe(`error: no service "${name}" in compose.yaml (services: web)\n`);
    expect(r.status).toBe(1);
  });

  it.each(['x/../..', '__proto__', '\x1b[2Jgotcha'])('ctnr spec %j: NAME_INVALID, exit 1, printed escaped', (name) => {
    const r = ctnr(dir, ['spec', name]);
    expect(r.stderr).toMatch(/^error: service name ".*" is not valid: use letters, digits/);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.status).toBe(1);
  });
});

describe('the command line itself', () => {
  it.each([[['\x1b[31mx']], [['spec', 'web', '--bogus-\x1b[2J']]])('commander\'s error for %j is printed escaped', (args) => {
    const r = ctnr(dir, args);
    expect(r.stderr).toMatch(/^error: unknown (command|option) '.*\\x1b\[/);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.status).toBe(2);
  });
});

describe('names in the compose file cannot reach outside the data dir', () => {
  it('a service named x/../../../victim with --force: refused, the victim untouched', () => {
    const victim = path.join(root.dir, 'victim');
    mkdirSync(victim);
    writeFileSync(path.join(victim, 'keep'), 'keep');
    const evil = project(root.dir, 'evil', 'services:\n  "x/../../../victim":\n    image: x\n    command: ["true"]\n');
    const data = path.join(evil, 'data');
    const rootfs = path.join(evil, 'rootfs');
    mkdirSync(rootfs);
    const r = ctnr(evil, ['bundle', 'create', 'x/../../../victim', '--force', '--rootfs', rootfs, '--data-dir', data]);
    expect(r.stderr).toBe('error: compose.yaml:2:3 services["x/../../../victim"]: service name "x/../../../victim" is not valid: use letters, digits, "_", "." and "-", starting with a letter or digit (docker compose\'s rule)\n');
    expect(r.status).toBe(1);
    expect(readdirSync(victim)).toEqual(['keep']);
    expect(readFileSync(path.join(victim, 'keep'), 'utf8')).toBe('keep');
  });

  it('a project named ../../victim2: refused at load, nothing written', () => {
    const evil = project(root.dir, 'evil2', `name: ../../victim2\n${SIMPLE}`);
    const rootfs = path.join(evil, 'rootfs');
    mkdirSync(rootfs);
    const r = ctnr(evil, ['bundle', 'create', 'web', '--rootfs', rootfs, '--data-dir', path.join(evil, 'data', 'deep')]);
    expect(r.stderr).toBe('error: compose.yaml:1:1 name: project name "../../victim2" is not valid: use lower-case letters, digits, "_" and "-", starting with a letter or digit (docker compose\'s rule)\n');
    expect(existsSync(path.join(evil, 'victim2-web'))).toBe(false);
    expect(existsSync(path.join(evil, 'data'))).toBe(false);
  });
});

describe('control characters in a compose file never reach the terminal raw', () => {
  it.each([
    ['a service name', 'services:\n  "web\\e]0;owned\\a\\e[2J":\n    image: x\n'],
    ['a user value quoted in an error', 'services:\n  web:\n    image: x\n    command: ["true"]\n    user: "\\e[31mroot\\u009b2J"\n'],
  ])('check: %s', (_, compose) => {
    const p = project(root.dir, `ctl-${Math.random().toString(36).slice(2)}`, compose);
    for (const args of [['check'], ['spec', 'web']]) {
      const r = ctnr(p, args);
      expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.status).toBe(1);
    }
  });
});
