/**
 * `import(specifier)` that works in the CLI's code-cached body: there it is the entry's `import()`, passed in as
 * `__ctnrImport` (src/cli/code-cache.ts says why); everywhere else (tsc's build, ctnr-runtime) node's own.
 */
declare const __ctnrImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importDynamic(specifier: string): Promise<unknown> {
  return typeof __ctnrImport === 'function' ? __ctnrImport(specifier) : import(specifier);
}
