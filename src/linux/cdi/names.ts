/**
 * CDI device names (container-device-interface `pkg/parser`): a fully-qualified name is
 * `VENDOR/CLASS=NAME`, e.g. `nvidia.com/gpu=0`. The kind is `VENDOR/CLASS`.
 *
 * - vendor and class: a letter first, a letter or digit last, letters, digits, `_`, `-` and `.` between;
 * - name: a letter or digit first and last, letters, digits, `_`, `-`, `.` and `:` between.
 *
 * CDI reserves no name: `all` is an ordinary device a vendor may define (nvidia's generator writes one).
 */

export interface QualifiedName {
  vendor: string;
  class: string;
  name: string;
  /** `vendor/class`. */
  kind: string;
}

const LETTER = /[A-Za-z]/;
const ALNUM = /[A-Za-z0-9]/;

/** Why `name` is not a vendor or class name, or undefined. */
function vendorOrClassProblem(what: 'vendor' | 'class', name: string): string | undefined {
  if (name === '') return `the ${what} is empty`;
  if (!LETTER.test(name[0]!)) return `the ${what} "${name}" must start with a letter`;
  for (const c of name.slice(1, -1)) {
    if (!ALNUM.test(c) && c !== '_' && c !== '-' && c !== '.') return `the ${what} "${name}" has the character "${c}" (letters, digits, "_", "-" and "." only)`;
  }
  if (name.length > 1 && !ALNUM.test(name[name.length - 1]!)) return `the ${what} "${name}" must end with a letter or digit`;
  return undefined;
}

/** Why `name` is not a CDI device name (the part after `=`), or undefined. */
export function deviceNameProblem(name: string): string | undefined {
  if (name === '') return 'the device name is empty';
  if (!ALNUM.test(name[0]!)) return `the device name "${name}" must start with a letter or digit`;
  for (const c of name.slice(1, -1)) {
    if (!ALNUM.test(c) && c !== '_' && c !== '-' && c !== '.' && c !== ':') return `the device name "${name}" has the character "${c}" (letters, digits, "_", "-", "." and ":" only)`;
  }
  if (name.length > 1 && !ALNUM.test(name[name.length - 1]!)) return `the device name "${name}" must end with a letter or digit`;
  return undefined;
}

/** Why `kind` is not `vendor/class`, or undefined. */
export function kindProblem(kind: string): string | undefined {
  const slash = kind.indexOf('/');
  if (slash <= 0 || slash === kind.length - 1) return `"${kind}" is not a CDI kind (expected VENDOR/CLASS, e.g. vendor.com/device)`;
  return vendorOrClassProblem('vendor', kind.slice(0, slash)) ?? vendorOrClassProblem('class', kind.slice(slash + 1));
}

/**
 * Does `text` look like a CDI name rather than a path (CDI's `ParseDevice`: not starting with `/`, a `=`
 * with something on both sides, a `/` before it)? Such text is then held to {@link parseQualifiedName}.
 */
export function looksQualified(text: string): boolean {
  if (text === '' || text.startsWith('/')) return false;
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) return false;
  const slash = text.indexOf('/');
  return slash > 0 && slash < eq - 1;
}

/** `VENDOR/CLASS=NAME` → its parts; a plain `Error` saying what is wrong otherwise. */
export function parseQualifiedName(text: string): QualifiedName {
  const eq = text.indexOf('=');
  if (text.startsWith('/') || eq < 0) throw new Error(`"${text}" is not a CDI device name (expected VENDOR/CLASS=NAME, e.g. vendor.com/device=name)`);
  const kind = text.slice(0, eq);
  const name = text.slice(eq + 1);
  const problem = kindProblem(kind) ?? deviceNameProblem(name);
  if (problem) throw new Error(`"${text}" is not a CDI device name: ${problem}`);
  const slash = kind.indexOf('/');
  return { vendor: kind.slice(0, slash), class: kind.slice(slash + 1), name, kind };
}

export function qualifiedName(kind: string, name: string): string {
  return `${kind}=${name}`;
}
