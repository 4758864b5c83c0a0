/*
 * A large compose file split by its lines into its top-level entries and its services' entries, so a command that
 * names its services has yaml parse only theirs (split-parse.ts): parsing all of a 5,000-service file costs a
 * second, one service's entry a millisecond.
 *
 * YAML lets a line at a mapping's indentation belong to nothing but that mapping: a quoted or plain scalar, a flow
 * collection or a block scalar that went on at that indentation would be an error (yaml says BAD_INDENT or
 * MISSING_CHAR), so in a file yaml accepts, a line `  NAME:` at the indentation of the services' entries starts
 * the next service, and the lines up to the next such line are all of it. Anything this scanner does not know
 * for sure (directives, several documents, tabs in indentation, a key that is not a plain name, a line between
 * two indentations, a service named twice) makes it answer `undefined`, and the whole file is parsed as always.
 *
 * In a file yaml refuses, an entry's quote or flow collection left open could swallow the next entries when the
 * file is parsed whole, while the next entry parsed alone would look fine. So each entry is also scanned for
 * quotes and brackets (OpenConstructs below), and a file where one is left open at the end of an entry is parsed
 * whole, which gives yaml's own error. That scan is only a guard: yaml stays the parser of every entry that is
 * used.
 */

/** Characters `[from, to)` of the text: whole lines, the first of them line `line` (0-based). */
export interface TextRange {
  from: number;
  to: number;
  line: number;
}

export interface ServiceEntry extends TextRange {
  name: string;
  /** The entry has a `&` somewhere: it may define an anchor that other entries use, so it is parsed with them. */
  anchors: boolean;
  /** The entry has `!reset` somewhere: it may be `NAME: !reset`, a service the file does not have. */
  resets: boolean;
}

export interface ComposeSplit {
  text: string;
  /** What every part needs: the top-level entries other than `services`, and the `services:` line. */
  common: readonly TextRange[];
  /** The services' entries, in file order. */
  services: readonly ServiceEntry[];
}

const TOP_KEY = /([A-Za-z0-9_][A-Za-z0-9_.-]*)[ \t]*:(?=[ \t\n]|\r?$|\r\n)/y;
const SERVICES_LINE = /services[ \t]*:[ \t]*(#[^\n]*)?(?=\r?\n|\r?$)/y;
/** compose's service name rule (names.ts), as a key written plainly. */
const SERVICE_KEY = /([a-zA-Z0-9][a-zA-Z0-9_.-]*)[ \t]*:(?=[ \t\n]|\r?$|\r\n)/y;

/** `re` (sticky) matched at `at` in `text`, or null. */
function matchAt(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

/** The file's entries, or undefined when the file is not one this scanner can split for sure. */
export function splitCompose(text: string): ComposeSplit | undefined {
  if (text.charCodeAt(0) === 0xfeff || /\r(?!\n)/.test(text)) return undefined;
  const common: TextRange[] = [];
  const services: ServiceEntry[] = [];
  const names = new Set<string>();
  let inServices = false;
  let servicesSeen = false;
  /** The indentation of the services' entries (set by the first). */
  let entryIndent = -1;
  let open: { range: TextRange; service?: ServiceEntry; scan: OpenConstructs } | undefined;
  const close = (end: number): boolean => {
    if (open === undefined) return true;
    open.range.to = end;
    const ok = open.scan.closed();
    open = undefined;
    return ok;
  };
  let line = -1;
  const ampersandIn = occurrences(text, '&');
  const resetIn = occurrences(text, '!reset');
  for (let start = 0, next = 0; start < text.length; start = next) {
    line++;
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    next = end + 1;
    let k = start;
    while (text.charCodeAt(k) === 32) k++;
    if (k >= end || text.charCodeAt(k) === 13) continue; // blank
    const c = text[k]!;
    const indent = k - start;
    if (c === '\t') return undefined;
    if (indent === 0) {
      if (c === '#') continue;
      if (c === '%' || text.startsWith('---', start) || text.startsWith('...', start)) return undefined;
      const key = matchAt(TOP_KEY, text, start);
      if (key === null || !close(start)) return undefined;
      if (key[1] === 'services') {
        if (servicesSeen || matchAt(SERVICES_LINE, text, start) === null) return undefined;
        servicesSeen = inServices = true;
        common.push({ from: start, to: Math.min(next, text.length), line });
        continue;
      }
      inServices = false;
      const range = { from: start, to: start, line };
      common.push(range);
      open = { range, scan: new OpenConstructs() };
      open.scan.line(text, start + key[0].length, end, 0);
      continue;
    }
    if (inServices && c !== '#') {
      if (entryIndent === -1) entryIndent = indent;
      if (indent < entryIndent) return undefined;
      if (indent === entryIndent) {
        const key = matchAt(SERVICE_KEY, text, k);
        if (key === null || names.has(key[1]!) || !close(start)) return undefined;
        names.add(key[1]!);
        const service: ServiceEntry = { name: key[1]!, from: start, to: start, line, anchors: ampersandIn(start, end), resets: resetIn(start, end) };
        services.push(service);
        open = { range: service, service, scan: new OpenConstructs() };
        open.scan.line(text, k + key[0].length, end, indent);
        continue;
      }
    }
    // A line of the open entry (a comment between entries belongs to the one before: it is blank to yaml).
    if (open === undefined) {
      if (c === '#') continue;
      return undefined;
    }
    if (open.service) {
      if (!open.service.anchors) open.service.anchors = ampersandIn(start, end);
      if (!open.service.resets) open.service.resets = resetIn(start, end);
    }
    open.scan.line(text, k, end, indent);
  }
  if (!close(text.length) || !servicesSeen) return undefined;
  return { text, common, services };
}

/**
 * Whether `needle` starts in `[from, to)` of `text`, for ranges asked in file order: one search over the text, not
 * one per line.
 */
function occurrences(text: string, needle: string): (from: number, to: number) => boolean {
  let at = -1;
  return (from, to) => {
    if (at !== -2 && at < from) at = text.indexOf(needle, from);
    if (at === -1) at = -2; // none left
    return at >= from && at < to;
  };
}

/**
 * The text of `ranges` (in file order), and for each of its lines the file's line (1-based): yaml parses only
 * those entries, and errors and positions are reported at the file's own lines.
 */
export function keepRanges(text: string, ranges: readonly TextRange[]): { text: string; lines: number[] } {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const parts: string[] = [];
  const lines: number[] = [];
  for (const r of sorted) {
    // Ranges are whole lines; only the file's last line may lack its newline, and then it is the last range.
    const piece = text.slice(r.from, r.to);
    parts.push(piece);
    let n = 0;
    for (let i = piece.indexOf('\n'); i !== -1; i = piece.indexOf('\n', i + 1)) lines.push(r.line + 1 + n++);
    if (!piece.endsWith('\n')) lines.push(r.line + 1 + n);
  }
  return { text: parts.join(''), lines };
}

/**
 * Quotes and flow collections left open across an entry's lines, as far as a line-by-line look can tell: a quote
 * or bracket counts where a scalar starts (after indentation, `- `, `? `, `: `, `,`, an anchor or a tag), so
 * the apostrophe of `it's` does not; block scalars' lines are skipped; comments end a line. When it errs, it errs
 * towards "open" (the file is then parsed whole), except in files yaml refuses anyway.
 */
// Character codes the scan compares (a string per character would cost a third more here).
const SPACE = 32, TAB = 9, CR = 13, LF = 10, HASH = 35, DQUOTE = 34, SQUOTE = 39, BACKSLASH = 92;
const LBRACKET = 91, RBRACKET = 93, LBRACE = 123, RBRACE = 125, COMMA = 44, COLON = 58, QUESTION = 63;
const DASH = 45, AMPERSAND = 38, BANG = 33, PIPE = 124, GT = 62;

const isBlank = (c: number) => c === SPACE || c === TAB || c === CR;

class OpenConstructs {
  /** The quote character of a quoted scalar still open, else 0. */
  private quote = 0;
  private depth = 0;
  /** The indentation of the line that started a block scalar: its content is every line indented more. */
  private block = -1;

  closed(): boolean {
    return this.quote === 0 && this.depth === 0;
  }

  /** Feed one line of `text`, from offset `from` to its end `n`; `indent` is the line's indentation. */
  line(text: string, from: number, n: number, indent: number): void {
    if (this.block !== -1) {
      if (indent > this.block) return;
      this.block = -1;
    }
    let i = from;
    let start = true;
    while (i < n) {
      if (this.quote !== 0) {
        i = this.skipQuoted(text, i, n);
        start = false;
        continue;
      }
      const c = text.charCodeAt(i);
      if (isBlank(c)) {
        i++;
        continue;
      }
      if (c === HASH) {
        const before = text.charCodeAt(i - 1);
        if (i === 0 || before === SPACE || before === TAB || before === LF) return;
      }
      if (this.depth > 0) {
        if (c === DQUOTE || c === SQUOTE) {
          if (start) this.quote = c;
        } else if (c === LBRACKET || c === LBRACE) this.depth++;
        else if (c === RBRACKET || c === RBRACE) this.depth--;
        start = c === LBRACKET || c === LBRACE || c === COMMA || c === COLON || c === QUESTION;
        i++;
        continue;
      }
      if (start) {
        const spaced = i + 1 >= n || isBlank(text.charCodeAt(i + 1));
        if ((c === DASH || c === QUESTION || c === COLON) && spaced) {
          i++;
          continue;
        }
        if (c === AMPERSAND || c === BANG) {
          while (i < n && text.charCodeAt(i) !== SPACE && text.charCodeAt(i) !== TAB) i++;
          continue;
        }
        if (c === DQUOTE || c === SQUOTE) {
          this.quote = c;
          i++;
          continue;
        }
        if (c === LBRACKET || c === LBRACE) {
          this.depth++;
          i++;
          continue;
        }
        if (c === PIPE || c === GT) {
          this.block = indent;
          return;
        }
      }
      // Inside a plain scalar (or after a quoted key): only `: ` starts a value.
      start = c === COLON && (i + 1 >= n || isBlank(text.charCodeAt(i + 1)));
      i++;
    }
  }

  /** Past the closing quote on this line (`\"` escapes in double quotes, `''` in single ones), or to its end. */
  private skipQuoted(text: string, i: number, n: number): number {
    const q = this.quote;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (q === DQUOTE && c === BACKSLASH) {
        i += 2;
        continue;
      }
      if (c === q) {
        if (q === SQUOTE && i + 1 < n && text.charCodeAt(i + 1) === SQUOTE) {
          i += 2;
          continue;
        }
        this.quote = 0;
        return i + 1;
      }
      i++;
    }
    return i;
  }
}
