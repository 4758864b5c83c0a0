import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * The container's /etc/hosts is a bundle file bind-mounted read-only into the container. Each network the
 * container is on owns one marked block in it, listing every container on that network. The file is
 * rewritten IN PLACE (truncate + write on the same inode): a bind mount keeps the inode it was given, so a
 * renamed replacement would never be seen inside the running container (NETWORKING.md §2).
 */

export interface HostsEntry {
  address: string;
  names: readonly string[];
}

const begin = (network: string) => `# ctnr network ${network}: begin`;
const end = (network: string) => `# ctnr network ${network}: end`;

/**
 * The block of a container's own `links`/`external_links`: each alias on the linked container's address. It is
 * per container (another container on the same network does not get it), so it is not a network's block; its
 * marker cannot collide with one (a network name has no spaces).
 */
const LINKS_BEGIN = '# ctnr links: begin';
const LINKS_END = '# ctnr links: end';

/** The links block: one line per address, in the order given (names deduplicated); undefined when empty. */
export function renderLinksBlock(entries: readonly HostsEntry[]): string | undefined {
  const lines = entries.filter((e) => e.names.length > 0).map((e) => `${e.address}\t${[...new Set(e.names)].join(' ')}`);
  return lines.length === 0 ? undefined : [LINKS_BEGIN, ...lines, LINKS_END].join('\n') + '\n';
}

/** `content` with its links block replaced by `block` (appended when absent; removed when undefined). */
export function replaceLinksBlock(content: string, block: string | undefined): string {
  return replaceMarked(content, LINKS_BEGIN, LINKS_END, block);
}

/** The block for `network`: one line per address, sorted, names in the order given (deduplicated). */
export function renderBlock(network: string, entries: readonly HostsEntry[]): string {
  const lines = [...entries]
    .filter((e) => e.names.length > 0)
    .sort((a, b) => compareAddresses(a.address, b.address))
    .map((e) => `${e.address}\t${[...new Set(e.names)].join(' ')}`);
  return [begin(network), ...lines, end(network)].join('\n') + '\n';
}

function compareAddresses(a: string, b: string): number {
  const na = a.split('.').map(Number);
  const nb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (na[i] !== nb[i]) return (na[i] ?? 0) - (nb[i] ?? 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `content` with the block of `network` replaced by `block` (appended when absent; removed when undefined). */
export function replaceBlock(content: string, network: string, block: string | undefined): string {
  return replaceMarked(content, begin(network), end(network), block);
}

function replaceMarked(content: string, first: string, last: string, block: string | undefined): string {
  const lines = content.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (line === first) {
      skipping = true;
      continue;
    }
    if (skipping) {
      if (line === last) skipping = false;
      continue;
    }
    out.push(line);
  }
  let text = out.join('\n');
  if (block === undefined) return text;
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  return text + block;
}

/**
 * Rewrite `file` through `edit`, in place. Refuses anything but a regular file and never follows a symlink
 * (the path comes from a bundle; its target must not be redirected elsewhere on the host).
 */
export function editInPlace(file: string, edit: (content: string) => string): void {
  const fd = openSync(file, constants.O_RDWR | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
    const before = readFileSync(fd, 'utf8');
    const after = edit(before);
    if (after === before) return;
    const buf = Buffer.from(after, 'utf8');
    // Same inode: write from offset 0, then cut what is left of a longer old content.
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
    ftruncateSync(fd, buf.length);
  } finally {
    closeSync(fd);
  }
}

