import { networkDown, networkUp, parseOciState } from '../../network/hook.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `ctnr hook network up|down`: the OCI state comes on stdin; problems go to stderr (the runtime shows them). */
export async function networkHookCommand(verb: 'up' | 'down'): Promise<void> {
  const state = parseOciState(await readStdin());
  const warn = (m: string) => process.stderr.write(`ctnr hook network ${verb}: ${m}\n`);
  if (verb === 'up') await networkUp(state, { warn });
  else await networkDown(state, { warn });
}
