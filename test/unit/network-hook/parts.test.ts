import { mkdtempSync, rmSync, writeFileSync, symlinkSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pluginConfig, resultAddresses } from '../../../src/network/cni.js';
import { allocateSubnet, allocateSubnetFrom, bridgeName, formatCidr, overlaps, parseCidr } from '../../../src/network/default-conf.js';
import { confFromDir, parseOciState } from '../../../src/network/hook.js';
import { editInPlace, renderBlock, replaceBlock } from '../../../src/network/hosts.js';
import { withLock } from '../../../src/network/lock.js';
import { addHostForwards, findSlirp } from '../../../src/network/slirp.js';

let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});
const tmpDir = () => (tmp = mkdtempSync(path.join(os.tmpdir(), 'ctnr-netparts-')));

describe('CNI plugin configs (libcni rules)', () => {
  const list = {
    cniVersion: '1.0.0',
    name: 'n',
    plugins: [
      { type: 'bridge', capabilities: { ips: true, mac: false } },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'tuning', runtimeConfig: { stale: 1 } },
    ],
  };
  const rc = { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }], ips: ['10.0.0.9/24'], mac: 'aa:bb' };
  it.each([
    { index: 0, prev: undefined, want: { type: 'bridge', capabilities: { ips: true, mac: false }, name: 'n', cniVersion: '1.0.0', runtimeConfig: { ips: ['10.0.0.9/24'] } } },
    { index: 1, prev: { ips: [] }, want: { type: 'portmap', capabilities: { portMappings: true }, name: 'n', cniVersion: '1.0.0', prevResult: { ips: [] }, runtimeConfig: { portMappings: rc.portMappings } } },
    // No capability: no runtimeConfig at all, not even one written into the list.
    { index: 2, prev: undefined, want: { type: 'tuning', name: 'n', cniVersion: '1.0.0' } },
  ])('plugin $index', ({ index, prev, want }) => {
    expect(pluginConfig(list, index, prev, rc)).toEqual(want);
  });

  it('result addresses drop the prefix length and IPv6', () => {
    expect(resultAddresses({ ips: [{ address: '10.1.2.3/24' }, { address: 'fd00::2/64' }] })).toEqual(['10.1.2.3']);
    expect(resultAddresses(undefined)).toEqual([]);
  });
});

describe('subnets', () => {
  it.each([
    ['10.88.7.9/24', '10.88.7.0/24'],
    ['10.88.0.0/16', '10.88.0.0/16'],
    ['192.168.1.1', undefined],
    ['300.1.1.1/24', undefined],
  ])('parse %s', (s, want) => {
    const c = parseCidr(s);
    expect(c ? formatCidr(c) : undefined).toBe(want);
  });

  it('overlap', () => {
    expect(overlaps(parseCidr('10.88.0.0/16')!, parseCidr('10.88.5.0/24')!)).toBe(true);
    expect(overlaps(parseCidr('10.88.4.0/24')!, parseCidr('10.88.5.0/24')!)).toBe(false);
  });

  it('allocation is stable per name and skips taken ranges', () => {
    const a = allocateSubnet('proj_default', '10.88.0.0/16', []);
    expect(allocateSubnet('proj_default', '10.88.0.0/16', [])).toBe(a);
    expect(a).toMatch(/^10\.88\.\d+\.0\/24$/);
    const b = allocateSubnet('proj_default', '10.88.0.0/16', [parseCidr(a)!]);
    expect(b).not.toBe(a);
    // A host route covering the whole pool leaves nothing.
    expect(() => allocateSubnet('x', '10.88.0.0/16', [parseCidr('10.0.0.0/8')!])).toThrow(/no free \/24/);
    // Beside podman (its default network takes all of 10.88.0.0/16), the default pool goes on to 10.89.0.0/16 and up,
    // around podman's other networks there; a pool the user chose has no fallback.
    expect(allocateSubnetFrom('x', '10.88.0.0/16', [parseCidr('10.88.0.1/16')!])).toMatch(/^10\.89\.\d+\.0\/24$/);
    const besidePodman = [parseCidr('10.88.0.1/16')!, ...Array.from({ length: 256 }, (_, i) => parseCidr(`10.89.${i}.1/24`)!)];
    expect(allocateSubnetFrom('x', '10.88.0.0/16', besidePodman)).toMatch(/^10\.90\.\d+\.0\/24$/);
    expect(() => allocateSubnetFrom('x', '10.66.0.0/16', [parseCidr('10.66.0.1/16')!])).toThrow(/no free \/24 left in the subnet pool 10\.66\.0\.0\/16/);
    // podman's default network takes all of 10.88.0.0/16: the error says so, and what to do
    expect(() => allocateSubnet('x', '10.88.0.0/16', [parseCidr('10.88.0.1/16')!])).toThrow(
      'no free /24 left in the subnet pool 10.88.0.0/16 for network x: 10.88.0.0/16 on this host covers it; give the network hook another pool (ctnr:network-hook option subnetPool)',
    );
    expect(() => allocateSubnet('x', '10.88.0.0/25', [])).toThrow(/\/24 or larger/);
  });

  it('bridge names fit IFNAMSIZ', () => {
    expect(bridgeName('a-very-long-project-name_with-a-long-network')).toMatch(/^ctnr-[0-9a-f]{8}$/);
  });
});

describe('hosts blocks', () => {
  const base = '127.0.0.1\tlocalhost\n';
  it('renders sorted by address, names deduplicated', () => {
    expect(renderBlock('n', [{ address: '10.0.0.10', names: ['b'] }, { address: '10.0.0.9', names: ['a', 'x', 'a'] }, { address: '10.0.0.11', names: [] }])).toBe(
      '# ctnr network n: begin\n10.0.0.9\ta x\n10.0.0.10\tb\n# ctnr network n: end\n',
    );
  });

  it('replaces only its own network block, appends when absent, removes on undefined', () => {
    const one = replaceBlock(base, 'n1', renderBlock('n1', [{ address: '10.0.0.2', names: ['a'] }]));
    const two = replaceBlock(one, 'n2', renderBlock('n2', [{ address: '10.0.1.2', names: ['a'] }]));
    const again = replaceBlock(two, 'n1', renderBlock('n1', [{ address: '10.0.0.3', names: ['c'] }]));
    expect(again).toBe(`${base}# ctnr network n2: begin\n10.0.1.2\ta\n# ctnr network n2: end\n# ctnr network n1: begin\n10.0.0.3\tc\n# ctnr network n1: end\n`);
    expect(replaceBlock(replaceBlock(again, 'n1', undefined), 'n2', undefined)).toBe(base);
    // A file without a final newline still gets its block on a line of its own.
    expect(replaceBlock('x', 'n', '# b\n')).toBe('x\n# b\n');
  });

  it('editInPlace keeps the inode (bind mounts see it), shrinks the file, refuses symlinks', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'hosts');
    writeFileSync(f, 'a long first content\n');
    const ino = statSync(f).ino;
    editInPlace(f, () => 'short\n');
    expect(readFileSync(f, 'utf8')).toBe('short\n');
    expect(statSync(f).ino).toBe(ino);
    symlinkSync(f, path.join(dir, 'link'));
    expect(() => editInPlace(path.join(dir, 'link'), () => 'x')).toThrow(/ELOOP/);
  });
});

describe('OCI state and config dir', () => {
  it.each([
    ['{"id":"p-web","pid":42,"bundle":"/b","status":"creating"}', { id: 'p-web', pid: 42, bundle: '/b' }],
    ['{"id":"p-web","pid":0,"bundle":"/b"}', { id: 'p-web', pid: 0, bundle: '/b' }],
    ['{"id":"p-web","bundle":"/b"}', { id: 'p-web', pid: 0, bundle: '/b' }],
  ])('parses %s', (text, want) => {
    expect(parseOciState(text)).toEqual(want);
  });

  it.each([
    ['not json', /OCI state JSON on stdin/],
    ['{"id":"../x","bundle":"/b"}', /no valid "id"/],
    ['{"id":"x","bundle":"rel"}', /absolute "bundle"/],
  ])('refuses %s', (text, re) => {
    expect(() => parseOciState(text)).toThrow(re);
  });

  it('finds a network by name in *.conflist and single-plugin *.conf files', () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, '10-a.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'bridge' }] }));
    writeFileSync(path.join(dir, '20-b.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'b', type: 'macvlan', master: 'eth9' }));
    writeFileSync(path.join(dir, '30-broken.conf'), '{');
    writeFileSync(path.join(dir, '40-bad.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'bad', plugins: [{ type: '../../bin/sh' }] }));
    expect(confFromDir(dir, 'a')).toEqual({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'bridge' }] });
    expect(confFromDir(dir, 'b')).toEqual({ cniVersion: '0.4.0', name: 'b', plugins: [{ type: 'macvlan', master: 'eth9' }] });
    expect(confFromDir(dir, 'none')).toBeUndefined();
    expect(() => confFromDir(dir, 'bad')).toThrow(/40-bad\.conflist: not a usable CNI config: a CNI plugin type is a file name/);
    expect(confFromDir(path.join(dir, 'missing'), 'a')).toBeUndefined();
  });
});

describe('lock', () => {
  it('takes over a lock whose holder is dead, and releases after use', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'lock');
    writeFileSync(f, `${2 ** 22 + 777}\n`);
    expect(withLock(f, () => readFileSync(f, 'utf8').trim())).toBe(String(process.pid));
    expect(() => statSync(f)).toThrow(/ENOENT/);
  });

  it('times out on a live holder', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'lock');
    writeFileSync(f, `${process.ppid}\n`);
    expect(() => withLock(f, () => 1, 100)).toThrow(/timed out waiting for .*lock \(held by pid/);
  });
});

describe('slirp4netns', () => {
  it('missing slirp4netns is an error that says what to install', () => {
    expect(() => findSlirp(['/nonexistent'])).toThrow(/needs slirp4netns, which is not installed: apt-get install slirp4netns/);
  });

  it('add_hostfwd requests on the API socket, one JSON message each', async () => {
    const dir = tmpDir();
    mkdirSync(dir, { recursive: true });
    const sock = path.join(dir, 'api.sock');
    const got: unknown[] = [];
    const srv = net.createServer((c) => {
      let data = '';
      c.on('data', (d) => (data += d));
      c.on('end', () => {
        got.push(JSON.parse(data));
        c.end(JSON.stringify(got.length === 3 ? { error: { desc: 'bad request' } } : { return: { id: got.length } }));
      });
    });
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      await addHostForwards(sock, [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp' },
      ]);
      expect(got).toEqual([
        { execute: 'add_hostfwd', arguments: { proto: 'tcp', host_addr: '127.0.0.1', host_port: 8080, guest_addr: '10.0.2.100', guest_port: 80 } },
        { execute: 'add_hostfwd', arguments: { proto: 'udp', host_addr: '0.0.0.0', host_port: 5353, guest_addr: '10.0.2.100', guest_port: 53 } },
      ]);
      await expect(addHostForwards(sock, [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }])).rejects.toThrow(/could not forward 0\.0\.0\.0:1 to port 2\/tcp: \{"desc":"bad request"\}/);
      await expect(addHostForwards(sock, [{ hostPort: 1, containerPort: 2, protocol: 'sctp' }])).rejects.toThrow(/cannot forward sctp/);
    } finally {
      srv.close();
    }
  });
});
