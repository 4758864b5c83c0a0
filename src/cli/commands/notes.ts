import { withProjectLock } from '../../runtime/project-lock.js';
import { yellow } from '../output.js';

/** A note for the user on stderr (what ctnr did on its own, or why it waits). */
export function note(message: string): void {
  process.stderr.write(`${yellow('note')}: ${message}\n`);
}

/** The project lock (see withProjectLock), saying so while another ctnr command holds it. */
export function lockProject<T>(project: string, fn: () => Promise<T>): Promise<T> {
  return withProjectLock(project, fn, { onWait: (pid) => note(`waiting for ctnr (pid ${pid}) to finish with project ${project}`) });
}
