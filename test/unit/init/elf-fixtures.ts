import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface FakeElf {
  bits?: 32 | 64;
  littleEndian?: boolean;
  /** e_machine; default 62 (x86-64). */
  machine?: number;
  /** e_type; default 2 (ET_EXEC). */
  type?: number;
  /** A PT_INTERP program header with this path makes the binary "dynamic". */
  interpreter?: string;
}

/**
 * A minimal ELF image: the header, a PT_LOAD program header (so PT_INTERP is not simply the first entry),
 * an optional PT_INTERP, and the interpreter string. Only what an ELF reader needs; it would not run.
 * Layout from the System V ABI (Elf32_Ehdr 52 bytes / Elf64_Ehdr 64; Elf32_Phdr 32 / Elf64_Phdr 56).
 */
export function fakeElf(o: FakeElf = {}): Buffer {
  const bits = o.bits ?? 64;
  const le = o.littleEndian ?? true;
  const ehsize = bits === 64 ? 64 : 52;
  const phentsize = bits === 64 ? 56 : 32;
  const phnum = o.interpreter === undefined ? 1 : 2;
  const interpOffset = ehsize + phentsize * phnum;
  const interp = o.interpreter === undefined ? Buffer.alloc(0) : Buffer.from(o.interpreter + '\0', 'utf8');
  const buf = Buffer.alloc(interpOffset + interp.length);
  const u16 = (off: number, v: number) => (le ? buf.writeUInt16LE(v, off) : buf.writeUInt16BE(v, off));
  const u32 = (off: number, v: number) => (le ? buf.writeUInt32LE(v, off) : buf.writeUInt32BE(v, off));
  const word = (off: number, v: number) => (bits === 64 ? (le ? buf.writeBigUInt64LE(BigInt(v), off) : buf.writeBigUInt64BE(BigInt(v), off)) : u32(off, v));
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = bits === 64 ? 2 : 1;
  buf[5] = le ? 1 : 2;
  buf[6] = 1;
  u16(16, o.type ?? 2);
  u16(18, o.machine ?? 62);
  u32(20, 1);
  word(bits === 64 ? 32 : 28, ehsize); // e_phoff
  u16(bits === 64 ? 52 : 40, ehsize);
  u16(bits === 64 ? 54 : 42, phentsize);
  u16(bits === 64 ? 56 : 44, phnum);
  const ph = (i: number, type: number, offset: number, size: number) => {
    const base = ehsize + i * phentsize;
    u32(base, type);
    word(base + (bits === 64 ? 8 : 4), offset); // p_offset
    word(base + (bits === 64 ? 32 : 16), size); // p_filesz
  };
  ph(0, 1, 0, buf.length); // PT_LOAD
  if (o.interpreter !== undefined) {
    ph(1, 3, interpOffset, interp.length); // PT_INTERP
    interp.copy(buf, interpOffset);
  }
  return buf;
}

/** Write `content` at dir/name with `mode` (default executable). */
export function put(dir: string, name: string, content: Buffer | string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
}

export const STATIC = () => fakeElf();
export const DYNAMIC = () => fakeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2' });
