import { CtnrError } from '../engine/errors.js';

/**
 * A streaming tar reader for image layers: POSIX ustar, PAX extended headers (path, linkpath, size, uid, gid,
 * mtime, atime, uname, gname, `SCHILY.xattr.*` and `LIBARCHIVE.xattr.*`), GNU long names (`L`/`K`) and GNU
 * base-256 numbers. It holds one header and one chunk of content at a time, never a whole layer.
 *
 * Names and link targets are bytes on disk and in the archive; they are carried as "byte strings" (latin1:
 * one char per byte) so a name that is not UTF-8 still round-trips exactly. Convert with `Buffer.from(s,
 * 'latin1')` at the file system, and with `displayName` in messages. Xattr values stay Buffers: a
 * `security.capability` is binary.
 *
 * Global PAX headers (`g`) are read and ignored, as containerd does; sparse files are refused (no image tool
 * writes them, and extracting their map as content would produce a wrong file).
 */

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarHeader {
  /** Byte string (latin1). */
  name: string;
  /** Byte string (latin1): a symlink's target or a hard link's source. */
  linkname: string;
  /** `undefined` for a typeflag this reader does not extract (a volume label, an unknown type): see `typeflag`. */
  type: TarEntryType | undefined;
  typeflag: string;
  /** Permission bits including setuid, setgid and sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** Seconds since the epoch; PAX gives fractions and negative times. */
  mtime: number;
  atime: number | undefined;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's content, `header.size` bytes in chunks. Reading it is optional: the next entry skips what is left. */
  body: AsyncIterable<Buffer>;
}

const BLOCK = 512;
/** PAX and GNU long-name records are held in memory: Go's archive/tar caps them at 1 MiB too. */
const MAX_META = 1 << 20;

export function displayName(byteString: string): string {
  return Buffer.from(byteString, 'latin1').toString('utf8');
}

function unpackError(message: string): CtnrError {
  return new CtnrError('IMAGE_UNPACK', `layer archive: ${message}`);
}

/** Pulls exact byte counts out of a stream of chunks of any size. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes consumed so far: for messages. */
  offset = 0;

  private readonly source: AsyncIterator<Buffer>;

  constructor(source: AsyncIterator<Buffer>) {
    this.source = source;
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Up to `max` bytes (at least one unless the input ended), without copying when a chunk holds them. */
  async some(max: number): Promise<Buffer | undefined> {
    while (this.buffered === 0) if (!(await this.fill())) return undefined;
    const first = this.chunks[0]!;
    const take = Math.min(max, first.length);
    const out = take === first.length ? (this.chunks.shift() as Buffer) : first.subarray(0, take);
    if (take !== first.length) this.chunks[0] = first.subarray(take);
    this.buffered -= take;
    this.offset += take;
    return out;
  }

  /** Exactly `n` bytes, or fewer only when the input ended. */
  async exactly(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const part = await this.some(n - got);
      if (!part) break;
      parts.push(part);
      got += part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, got);
  }

  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const part = await this.some(left);
      if (!part) break;
      left -= part.length;
    }
    return n - left;
  }

  async drain(): Promise<void> {
    this.offset += this.buffered;
    this.chunks = [];
    this.buffered = 0;
    while (await this.fill()) {
      this.offset += this.buffered;
      this.chunks = [];
      this.buffered = 0;
    }
  }
}

/** A NUL-terminated string field as a byte string. */
function field(block: Buffer, offset: number, width: number): string {
  const slice = block.subarray(offset, offset + width);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? width : nul).toString('latin1');
}

/** Octal (space/NUL padded) or GNU base-256 (high bit of the first byte set; 0xff = negative). */
export function parseNumeric(block: Buffer, offset: number, width: number, what: string): number {
  const slice = block.subarray(offset, offset + width);
  if (slice[0]! & 0x80) {
    const negative = slice[0] === 0xff;
    let n = BigInt(slice[0]! & 0x7f);
    for (let i = 1; i < slice.length; i++) n = (n << 8n) | BigInt(slice[i]!);
    if (negative) n -= 1n << BigInt(width * 8 - 1);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw unpackError(`${what} field is out of range`);
    return Number(n);
  }
  const text = slice.toString('latin1').replace(/^[ \0]+/, '').replace(/[ \0].*$/s, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw unpackError(`${what} field ${JSON.stringify(text)} is not an octal number`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = parseNumeric(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // Some old tars summed signed chars; GNU tar and Go accept both.
  return stored === unsigned || stored === signed;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo',
};

/** PAX records "LEN key=value\n"; keys are UTF-8, values stay bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // padding some writers leave after the last record
    const space = data.indexOf(0x20, pos);
    const len = space === -1 ? NaN : Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isSafeInteger(len) || len <= space - pos || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw unpackError(`malformed PAX record at byte ${pos} of an extended header`);
    }
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw unpackError(`malformed PAX record at byte ${pos} of an extended header`);
    out.set(record.subarray(0, eq).toString('utf8'), record.subarray(eq + 1));
    pos += len;
  }
  return out;
}

function paxNumber(value: Buffer, key: string, fraction: boolean): number {
  const text = value.toString('latin1');
  const ok = fraction ? /^-?\d+(\.\d+)?$/.test(text) : /^\d+$/.test(text);
  const n = Number(text);
  if (!ok || !Number.isFinite(n) || (!fraction && !Number.isSafeInteger(n))) throw unpackError(`PAX ${key}=${JSON.stringify(text.slice(0, 40))} is not a valid number`);
  return n;
}

/** What PAX records and GNU long names say about the next real entry. */
interface Pending {
  pax: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

function applyPax(h: TarHeader, pax: Map<string, Buffer>): void {
  for (const [key, value] of pax) {
    if (key === 'path') h.name = value.toString('latin1');
    else if (key === 'linkpath') h.linkname = value.toString('latin1');
    else if (key === 'size') h.size = paxNumber(value, key, false);
    else if (key === 'uid') h.uid = paxNumber(value, key, false);
    else if (key === 'gid') h.gid = paxNumber(value, key, false);
    else if (key === 'mtime') h.mtime = paxNumber(value, key, true);
    else if (key === 'atime') h.atime = paxNumber(value, key, true);
    else if (key === 'uname') h.uname = value.toString('utf8');
    else if (key === 'gname') h.gname = value.toString('utf8');
    else if (key.startsWith('SCHILY.xattr.')) h.xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    else if (key.startsWith('LIBARCHIVE.xattr.')) {
      // bsdtar: the name is URL-encoded, the value base64.
      h.xattrs.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value.toString('latin1'), 'base64'));
    } else if (key.startsWith('GNU.sparse.')) throw unpackError(`${displayName(h.name)}: sparse files are not supported`);
  }
}

function parseHeader(block: Buffer, pending: Pending): TarHeader {
  const typeflag = String.fromCharCode(block[156]!);
  const magic = block.subarray(257, 263).toString('latin1');
  let name = field(block, 0, 100);
  // POSIX ustar splits long names into prefix + name; GNU's magic ("ustar  ") keeps other fields there.
  if (magic === 'ustar\0') {
    const prefix = field(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const h: TarHeader = {
    name,
    linkname: field(block, 157, 100),
    type: TYPES[typeflag],
    typeflag,
    mode: parseNumeric(block, 100, 8, 'mode') & 0o7777,
    uid: parseNumeric(block, 108, 8, 'uid'),
    gid: parseNumeric(block, 116, 8, 'gid'),
    size: parseNumeric(block, 124, 12, 'size'),
    mtime: parseNumeric(block, 136, 12, 'mtime'),
    atime: undefined,
    uname: field(block, 265, 32),
    gname: field(block, 297, 32),
    devmajor: parseNumeric(block, 329, 8, 'devmajor'),
    devminor: parseNumeric(block, 337, 8, 'devminor'),
    xattrs: new Map(),
  };
  if (pending.longName !== undefined) h.name = pending.longName;
  if (pending.longLink !== undefined) h.linkname = pending.longLink;
  applyPax(h, pending.pax);
  // Old archives mark directories only by a trailing slash on a regular-file entry.
  if (h.type === 'file' && typeflag !== '7' && h.name.endsWith('/')) h.type = 'directory';
  if (typeflag === 'S') throw unpackError(`${displayName(h.name)}: GNU sparse files are not supported`);
  if (h.size < 0) throw unpackError(`${displayName(h.name)}: negative size`);
  return h;
}

const cString = (data: Buffer) => {
  const nul = data.indexOf(0);
  return data.subarray(0, nul === -1 ? data.length : nul).toString('latin1');
};

/**
 * The entries of an uncompressed tar stream, in order. After the end-of-archive blocks the rest of the input
 * is read and dropped, so whoever hashes the stream (diffIDs cover the padding too) sees every byte.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    yield* entries(new ByteReader(iterator));
    finished = true;
  } finally {
    // Stopped early (a consumer's error): close the input (a stream's iterator destroys it) so no file stays open.
    if (!finished) await iterator.return?.();
  }
}

async function* entries(reader: ByteReader): AsyncGenerator<TarEntry> {
  let pending: Pending = { pax: new Map() };
  /** Content bytes of the previous entry its consumer did not read, plus padding. */
  let unread = 0;
  for (;;) {
    if (unread > 0 && (await reader.skip(unread)) < unread) throw unpackError(`truncated at byte ${reader.offset}`);
    unread = 0;
    const at = reader.offset;
    const block = await reader.exactly(BLOCK);
    if (block.length === 0) break; // no end-of-archive blocks: Go and GNU tar accept that too
    if (block.length < BLOCK) throw unpackError(`truncated header at byte ${at}`);
    if (block.every((b) => b === 0)) break;
    if (!checksumOk(block)) throw unpackError(`bad header checksum at byte ${at} (not a tar archive, or a corrupted one)`);

    const typeflag = String.fromCharCode(block[156]!);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      const size = parseNumeric(block, 124, 12, 'size');
      if (size > MAX_META) throw unpackError(`extended header at byte ${at} is ${size} bytes (limit ${MAX_META})`);
      const data = await reader.exactly(size);
      if (data.length < size) throw unpackError(`truncated extended header at byte ${at}`);
      unread = padding(size);
      if (typeflag === 'x') for (const [k, v] of parsePax(data)) pending.pax.set(k, v);
      else if (typeflag === 'L') pending.longName = cString(data);
      else if (typeflag === 'K') pending.longLink = cString(data);
      else parsePax(data); // global: checked for shape, then ignored
      continue;
    }

    const header = parseHeader(block, pending);
    pending = { pax: new Map() };
    // Links, directories and devices carry no content, whatever their size field says (GNU tar: hard links).
    const size = header.type === 'file' || header.type === undefined ? header.size : 0;
    const bodyState = { left: size };
    unread = size + padding(size);
    const body = {
      async *[Symbol.asyncIterator]() {
        while (bodyState.left > 0) {
          const part = await reader.some(bodyState.left);
          if (!part) throw unpackError(`${displayName(header.name)}: truncated content at byte ${reader.offset}`);
          bodyState.left -= part.length;
          unread -= part.length;
          yield part;
        }
      },
    };
    yield { header, body };
  }
  await reader.drain();
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
