import { closeSync, openSync, readSync } from 'node:fs';

/** What ctnr needs to know about an executable before binding it into a container. */
export interface ElfInfo {
  /** 32 or 64. */
  bits: 32 | 64;
  littleEndian: boolean;
  /** `e_machine` (62 = x86-64, 183 = AArch64, …). */
  machine: number;
  /** The PT_INTERP program header's path (`/lib64/ld-linux-x86-64.so.2`), absent for a static binary. */
  interpreter?: string;
}

const PT_INTERP = 3;
const ET_EXEC = 2;
const ET_DYN = 3;

/** ELF `e_machine` for each Go architecture name ctnr knows (`env.arch`). */
export const ELF_MACHINE: Readonly<Record<string, number>> = {
  '386': 3,
  amd64: 62,
  arm: 40,
  arm64: 183,
  ppc64le: 21,
  ppc64: 21,
  s390x: 22,
  riscv64: 243,
  mips64le: 8,
  mips64: 8,
  loong64: 258,
};

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/**
 * Read the ELF header and program headers of `file` (only those bytes, never the whole binary). Returns a
 * string saying what is wrong when the file is not an ELF executable; throws only for I/O errors (missing
 * file, permission), which the caller reports with the path.
 */
export function readElf(file: string): ElfInfo | string {
  const fd = openSync(file, 'r');
  try {
    const head = readAt(fd, 0, 64);
    if (head.length < 52 || head[0] !== 0x7f || head.toString('latin1', 1, 4) !== 'ELF') return 'not an ELF executable';
    const cls = head[4];
    const data = head[5];
    if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return 'not an ELF executable (unknown class or byte order)';
    const bits = cls === 2 ? 64 : 32;
    const le = data === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    // Offsets beyond 2^53 cannot occur in a real file; Number() keeps the arithmetic simple.
    const word = (b: Buffer, o: number) => (bits === 64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
    if (bits === 64 && head.length < 64) return 'not an ELF executable (truncated header)';
    const type = u16(head, 16);
    if (type !== ET_EXEC && type !== ET_DYN) return `not an ELF executable (e_type ${type})`;
    const machine = u16(head, 18);
    const phoff = word(head, bits === 64 ? 32 : 28);
    const phentsize = u16(head, bits === 64 ? 54 : 42);
    const phnum = u16(head, bits === 64 ? 56 : 44);
    const info: ElfInfo = { bits, littleEndian: le, machine };
    if (phnum === 0) return info;
    const minEntry = bits === 64 ? 56 : 32;
    if (phentsize < minEntry) return `not an ELF executable (program header entry size ${phentsize})`;
    const table = readAt(fd, phoff, phentsize * phnum);
    if (table.length < phentsize * phnum) return 'not an ELF executable (truncated program headers)';
    for (let i = 0; i < phnum; i++) {
      const ph = table.subarray(i * phentsize, (i + 1) * phentsize);
      if (u32(ph, 0) !== PT_INTERP) continue;
      const offset = word(ph, bits === 64 ? 8 : 4);
      const size = word(ph, bits === 64 ? 32 : 16);
      const raw = readAt(fd, offset, Math.min(size, 4096));
      const nul = raw.indexOf(0);
      info.interpreter = raw.toString('utf8', 0, nul === -1 ? raw.length : nul);
      break;
    }
    return info;
  } finally {
    closeSync(fd);
  }
}
