import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readElf } from '../../../src/linux/init/elf.js';
import { checkInitBinary } from '../../../src/linux/init/find.js';
import { IN_CI } from '../../helpers/shared.js';
import { fakeElf, put } from './elf-fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-elf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (content: Buffer | string, mode = 0o755) => put(tmp, `f${++n}`, content, mode);

describe('readElf (header and PT_INTERP)', () => {
  it.each([
    { what: '64-bit LE static', elf: { bits: 64, littleEndian: true }, expect: { bits: 64, littleEndian: true, machine: 62 } },
    { what: '64-bit LE dynamic', elf: { interpreter: '/lib64/ld-linux-x86-64.so.2' }, expect: { bits: 64, machine: 62, interpreter: '/lib64/ld-linux-x86-64.so.2' } },
    { what: '32-bit LE dynamic (i386)', elf: { bits: 32, machine: 3, interpreter: '/lib/ld-linux.so.2' }, expect: { bits: 32, littleEndian: true, machine: 3, interpreter: '/lib/ld-linux.so.2' } },
    { what: '64-bit BE dynamic (s390x)', elf: { littleEndian: false, machine: 22, interpreter: '/lib/ld64.so.1' }, expect: { bits: 64, littleEndian: false, machine: 22, interpreter: '/lib/ld64.so.1' } },
    { what: '32-bit BE static', elf: { bits: 32, littleEndian: false, machine: 8 }, expect: { bits: 32, littleEndian: false, machine: 8 } },
    { what: 'static PIE (ET_DYN without PT_INTERP)', elf: { type: 3 }, expect: { machine: 62 } },
  ] as const)('$what', ({ elf, expect: want }) => {
    const info = readElf(file(fakeElf(elf)));
    expect(info).toMatchObject(want);
    if (typeof info !== 'string' && !('interpreter' in want)) expect(info.interpreter).toBeUndefined();
  });

  it.each([
    { what: 'a shell script', content: '#!/bin/sh\nexec sleep 1\n', problem: /not an ELF executable/ },
    { what: 'an empty file', content: '', problem: /not an ELF executable/ },
    { what: 'a relocatable object (ET_REL)', content: fakeElf({ type: 1 }), problem: /e_type 1/ },
    { what: 'a truncated header', content: fakeElf().subarray(0, 40), problem: /not an ELF executable/ },
  ])('refuses $what', ({ content, problem }) => {
    expect(readElf(file(content))).toMatch(problem);
  });

  it('reads the real binaries of this host: /bin/ls is dynamic', () => {
    const info = readElf('/bin/ls');
    expect(typeof info).toBe('object');
    expect((info as { interpreter?: string }).interpreter).toMatch(/^\/lib.*ld.*\.so/);
  });

  // Debian's tini package ships both builds; .ci/run installs it.
  const hasTini = existsSync('/usr/bin/tini') && existsSync('/usr/bin/tini-static');
  if (!hasTini && IN_CI) throw new Error('CI=true but /usr/bin/tini{,-static} are missing: .ci/run installs the tini package');
  it.runIf(hasTini)("Debian's /usr/bin/tini is dynamic, /usr/bin/tini-static is static", () => {
    expect((readElf('/usr/bin/tini') as { interpreter?: string }).interpreter).toBeTruthy();
    expect(readElf('/usr/bin/tini-static')).not.toHaveProperty('interpreter');
  });
});

describe('checkInitBinary', () => {
  it.each([
    { what: 'static, right arch', content: fakeElf(), mode: 0o755, arch: 'amd64', kind: undefined },
    { what: 'static arm64 binary for arm64', content: fakeElf({ machine: 183 }), mode: 0o755, arch: 'arm64', kind: undefined },
    { what: 'unknown target arch skips the machine check', content: fakeElf({ machine: 183 }), mode: 0o755, arch: 'sparc64', kind: undefined },
    { what: 'dynamic', content: fakeElf({ interpreter: '/lib/ld-musl-x86_64.so.1' }), mode: 0o755, arch: 'amd64', kind: 'dynamic' },
    { what: 'arm64 binary for amd64', content: fakeElf({ machine: 183 }), mode: 0o755, arch: 'amd64', kind: 'wrong-arch' },
    { what: 'not executable', content: fakeElf(), mode: 0o644, arch: 'amd64', kind: 'not-executable' },
    { what: 'a script', content: '#!/bin/sh\n', mode: 0o755, arch: 'amd64', kind: 'not-elf' },
  ])('$what → $kind', ({ content, mode, arch, kind }) => {
    expect(checkInitBinary(file(content, mode), arch)?.kind).toBe(kind);
  });

  it('a missing file and a directory', () => {
    expect(checkInitBinary(path.join(tmp, 'nope'), 'amd64')?.kind).toBe('missing');
    expect(checkInitBinary(tmp, 'amd64')?.kind).toBe('not-file');
  });

  it('names the interpreter of a dynamic binary', () => {
    expect(checkInitBinary(file(fakeElf({ interpreter: '/lib/ld-musl-x86_64.so.1' })), 'amd64')?.message).toBe(
      'is dynamically linked (interpreter /lib/ld-musl-x86_64.so.1)',
    );
  });
});
