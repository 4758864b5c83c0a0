import type { Command, Help } from 'commander';

/**
 * `ctnr --help` without commander: the root command's help as commander lays it out (usage, description wrapped
 * to the width, then each section's items with their terms padded to one column and descriptions wrapped beside
 * them). scripts/bundle-cli.mjs takes the model from commander's own Help at build time (`helpModel`) and fails
 * the build if this layout differs from commander's output at any width from 0 to 300 columns (`checkHelpLayout`).
 */
export interface HelpModel {
  usage: string;
  description: string;
  /** `['Options:', [[term, description], …]]`, in commander's order. */
  sections: Array<[title: string, items: Array<[term: string, description: string]>]>;
}

/** Below this many columns commander does not wrap (Help.minWidthToWrap). */
const MIN_WIDTH_TO_WRAP = 40;

/** Wrap at whitespace to `width`, keeping line breaks (Help.boxWrap). */
function boxWrap(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (chunks === null) {
      out.push('');
      continue;
    }
    let current = [chunks[0]!];
    let used = chunks[0]!.length;
    for (const chunk of chunks.slice(1)) {
      if (used + chunk.length <= width) {
        current.push(chunk);
        used += chunk.length;
        continue;
      }
      out.push(current.join(''));
      const next = chunk.trimStart();
      current = [next];
      used = next.length;
    }
    out.push(current.join(''));
  }
  return out.join('\n');
}

/** One `  term  description` entry (Help.formatItem). */
function formatItem(term: string, termWidth: number, description: string, helpWidth: number): string {
  if (!description) return `  ${term}`;
  const remaining = helpWidth - termWidth - 4;
  let text = description;
  // A description with a line break followed by blanks is preformatted: commander leaves it as written.
  if (remaining >= MIN_WIDTH_TO_WRAP && !/\n[^\S\r\n]/.test(description)) {
    text = boxWrap(description, remaining).replace(/\n/g, '\n' + ' '.repeat(termWidth + 2));
  }
  return `  ${term.padEnd(termWidth)}  ${text.replace(/\n/g, '\n  ')}`;
}

/** The help text for `helpWidth` columns (commander: the terminal's width, 80 when not a terminal). */
export function formatHelp(model: HelpModel, helpWidth: number): string {
  const termWidth = Math.max(0, ...model.sections.flatMap(([, items]) => items.map(([term]) => term.length)));
  const lines = [`Usage: ${model.usage}`, ''];
  if (model.description.length > 0) lines.push(boxWrap(model.description, helpWidth), '');
  for (const [title, items] of model.sections) {
    if (items.length === 0) continue;
    lines.push(title, ...items.map(([term, description]) => formatItem(term, termWidth, description, helpWidth)), '');
  }
  return lines.join('\n');
}

/** The model of `program`'s help, from commander's Help (the sections in the order its formatHelp prints them). */
export function helpModel(program: Command): HelpModel {
  const help: Help = program.createHelp();
  const sections: HelpModel['sections'] = [];
  sections.push(['Arguments:', help.visibleArguments(program).map((a) => [help.argumentTerm(a), help.argumentDescription(a)])]);
  for (const [title, options] of help.groupItems([...program.options], help.visibleOptions(program), (o) => o.helpGroupHeading ?? 'Options:')) {
    sections.push([title, options.map((o) => [help.optionTerm(o), help.optionDescription(o)])]);
  }
  if (help.showGlobalOptions) {
    sections.push(['Global Options:', help.visibleGlobalOptions(program).map((o) => [help.optionTerm(o), help.optionDescription(o)])]);
  }
  for (const [title, commands] of help.groupItems([...program.commands], help.visibleCommands(program), (c) => c.helpGroup() || 'Commands:')) {
    sections.push([title, commands.map((c) => [help.subcommandTerm(c), help.subcommandDescription(c)])]);
  }
  return { usage: help.commandUsage(program), description: help.commandDescription(program), sections };
}

/** Throws unless `formatHelp(helpModel(program), w)` is commander's own help text at every width 0…300. */
export function checkHelpLayout(program: Command): void {
  const model = helpModel(program);
  for (let width = 0; width <= 300; width++) {
    program.configureOutput({ getOutHelpWidth: () => width, getOutHasColors: () => false });
    const expected = program.helpInformation();
    const actual = formatHelp(model, width);
    if (actual !== expected) throw new Error(`ctnr --help at ${width} columns differs from commander's:\n${actual}\n---\n${expected}`);
  }
}
