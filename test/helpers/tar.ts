import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

/**
 * Test helper: write tar archives in memory, including the hostile and unusual ones real tools refuse to
 * make (`../` names, absolute names, links out of the tree, whiteouts, device nodes, binary PAX xattrs,
 * base-256 numbers, GNU long names). Names may be Buffers to carry bytes that are not UTF-8.
 */

export type TarType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarSpec {
  name: string | Buffer;
  type?: TarType;
  /** A raw typeflag character; wins over `type` (e.g. 'S' for a GNU sparse file, 'V' for a volume label). */
  typeflag?: string;
  content?: string | Buffer;
  linkname?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch; a fraction or a negative value goes into a PAX `mtime` record. */
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as PAX `SCHILY.xattr.NAME` records (values binary-safe). */
  xattrs?: Record<string, string | Buffer>;
  /** More PAX records, written verbatim. */
  pax?: Record<string, string | Buffer>;
  /** How a name or link name longer than the header's 100 bytes is written (default: PAX). */
  long?: 'pax' | 'gnu' | 'prefix';
  /** Write numeric fields in base-256 (GNU) instead of octal. */
  base256?: boolean;
  /** The size field claims this instead of the content's length (a lying header). */
  claimedSize?: number;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

const bytes = (v: string | Buffer) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

function numeric(block: Buffer, offset: number, width: number, value: number, base256: boolean): void {
  const octal = value >= 0 && Number.isInteger(value) ? value.toString(8) : '';
  if (!base256 && octal !== '' && octal.length <= width - 1) {
    block.write(octal.padStart(width - 1, '0'), offset, 'latin1');
    return;
  }
  // GNU base-256: the first byte's high bit set, then a big-endian two's complement number.
  let n = BigInt(Math.trunc(value));
  if (n < 0n) n += 1n << BigInt(width * 8);
  for (let i = width - 1; i >= 0; i--) {
    block[offset + i] = Number(n & 0xffn);
    n >>= 8n;
  }
  block[offset] = value < 0 ? 0xff : 0x80;
}

function header(fields: {
  name: Buffer; linkname: Buffer; prefix?: Buffer; typeflag: string; size: number; mode: number; uid: number; gid: number;
  mtime: number; uname: string; gname: string; devmajor: number; devminor: number; base256: boolean; gnu?: boolean;
}): Buffer {
  const b = Buffer.alloc(512);
  fields.name.copy(b, 0, 0, 100);
  numeric(b, 100, 8, fields.mode, false);
  numeric(b, 108, 8, fields.uid, fields.base256);
  numeric(b, 116, 8, fields.gid, fields.base256);
  numeric(b, 124, 12, fields.size, fields.base256);
  numeric(b, 136, 12, Math.floor(fields.mtime), fields.base256);
  b.write(fields.typeflag, 156, 'latin1');
  fields.linkname.copy(b, 157, 0, 100);
  b.write(fields.gnu ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  b.write(fields.uname, 265, 31, 'utf8');
  b.write(fields.gname, 297, 31, 'utf8');
  numeric(b, 329, 8, fields.devmajor, false);
  numeric(b, 337, 8, fields.devminor, false);
  if (fields.prefix) fields.prefix.copy(b, 345, 0, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

/** One PAX record: "LEN key=value\n", LEN counting its own digits. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}

function metaEntry(typeflag: string, name: string, body: Buffer): Buffer {
  const h = header({
    name: Buffer.from(name), linkname: Buffer.alloc(0), typeflag, size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: 0,
    uname: '', gname: '', devmajor: 0, devminor: 0, base256: false, gnu: typeflag === 'L' || typeflag === 'K',
  });
  return Buffer.concat([h, pad(body)]);
}

function splitPrefix(name: Buffer): { prefix: Buffer; name: Buffer } | undefined {
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] === 0x2f && i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
  }
  return undefined;
}

/** The bytes of one entry: its PAX / GNU long-name headers, its header and its padded content. */
export function tarEntry(spec: TarSpec): Buffer {
  const typeflag = spec.typeflag ?? TYPEFLAG[spec.type ?? 'file'];
  const content = spec.content === undefined ? Buffer.alloc(0) : bytes(spec.content);
  let name = bytes(spec.name);
  let linkname = spec.linkname === undefined ? Buffer.alloc(0) : bytes(spec.linkname);
  const out: Buffer[] = [];
  const pax: Buffer[] = [];
  let prefix: Buffer | undefined;
  const long = spec.long ?? 'pax';
  if (name.length > 100) {
    const split = long === 'prefix' ? splitPrefix(name) : undefined;
    if (split) ({ prefix, name } = split);
    else if (long === 'gnu') out.push(metaEntry('L', '././@LongLink', Buffer.concat([name, Buffer.from([0])])));
    else pax.push(paxRecord('path', name));
  }
  if (linkname.length > 100) {
    if (long === 'gnu') out.push(metaEntry('K', '././@LongLink', Buffer.concat([linkname, Buffer.from([0])])));
    else pax.push(paxRecord('linkpath', linkname));
  }
  const mtime = spec.mtime ?? 1_700_000_000;
  if (!Number.isInteger(mtime) || (mtime < 0 && !spec.base256)) pax.push(paxRecord('mtime', Buffer.from(String(mtime))));
  for (const [k, v] of Object.entries(spec.xattrs ?? {})) pax.push(paxRecord(`SCHILY.xattr.${k}`, bytes(v)));
  for (const [k, v] of Object.entries(spec.pax ?? {})) pax.push(paxRecord(k, bytes(v)));
  if (pax.length > 0) out.push(metaEntry('x', 'PaxHeaders/entry', Buffer.concat(pax)));
  out.push(header({
    name, linkname: linkname.length > 100 ? linkname.subarray(0, 100) : linkname, ...(prefix ? { prefix } : {}), typeflag,
    size: spec.claimedSize ?? content.length, mode: spec.mode ?? (spec.type === 'dir' ? 0o755 : 0o644), uid: spec.uid ?? 0, gid: spec.gid ?? 0,
    mtime: mtime < 0 && !spec.base256 ? 0 : mtime, uname: spec.uname ?? '', gname: spec.gname ?? '', devmajor: spec.devmajor ?? 0,
    devminor: spec.devminor ?? 0, base256: spec.base256 ?? false, gnu: long === 'gnu' || spec.base256 === true,
  }));
  out.push(pad(content));
  return Buffer.concat(out);
}

/** A whole archive; `end: false` leaves out the two zero blocks that close it. */
export function tarArchive(entries: TarSpec[], opts: { end?: boolean } = {}): Buffer {
  const parts = entries.map(tarEntry);
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const gzip = (data: Buffer): Buffer => gzipSync(data);

/** zstd through the CLI (the test machines have it: scripts/install-system-deps.sh). */
export const zstd = (data: Buffer): Buffer => execFileSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 });
