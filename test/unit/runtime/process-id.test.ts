import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processAlive, processId, sameProcessAlive } from '../../../src/linux/pid.js';

/**
 * A container's monitor outlives the `ctnr up` that started it, so its parent becomes init, which may collect an
 * ended process late (this VM's does, after seconds): until then the monitor is a zombie, and `ps` said
 * `restarting` for a container whose monitor had ended.
 */
describe('processId and processAlive', () => {
  it('name a running process (by pid and start time); a zombie is not running', async () => {
    const me = processId(process.pid);
    expect(me).toMatchObject({ pid: process.pid });
    expect(sameProcessAlive(me!)).toBe(true);
    // `sleep 0` ends at once, and its parent (`exec sleep 2`) never collects it: a zombie for two seconds.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 2'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    let state = '';
    for (let i = 0; i < 50 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
    }
    expect(state).toBe('Z');
    expect(processId(pid)).toBeUndefined();
    expect(processAlive(pid)).toBe(false);
    expect(processAlive(parent.pid!)).toBe(true);
    parent.kill();
  });

  it('a pid with no process: undefined, not alive', () => {
    expect(processId(2 ** 22 + 1)).toBeUndefined();
    expect(processAlive(2 ** 22 + 1)).toBe(false);
  });
});
