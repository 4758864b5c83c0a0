import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServiceYaml, type RunOptions } from '../helpers/engine.js';
import { buildBusyboxRootfs } from '../helpers/rootfs.js';
import { e2eAvailable, parseFacts, runBundle } from '../helpers/runc.js';

/**
 * Network stage under runc: the probe runs inside the container and prints what it sees.
 */
describe.skipIf(!e2eAvailable('runc'))('network stage under runc', () => {
  let rootfs: string;
  let cleanup: () => void;
  beforeAll(() => ({ rootfs, cleanup } = buildBusyboxRootfs()));
  afterAll(() => cleanup?.());

  // runServiceYaml hands the result's bundle files (generated /etc files) to runBundle, which writes them into
  // the bundle dir next to config.json, as the bundle writer does.
  const run = async (service: Record<string, unknown>, script: string[], options: RunOptions = {}) => {
    const result = await runServiceYaml({ entrypoint: ['/bin/sh', '-c', script.join('\n')], ...service }, { ...options, env: { rootfs, ...options.env } });
    const r = runBundle(result.spec, rootfs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return { facts: parseFacts(r.stdout), stdout: r.stdout, result };
  };
  /** Print a file as one `key=line1|line2|…` fact. */
  const cat = (key: string, file: string) => `echo "${key}=$(tr '\\n' '|' < ${file})"`;

  it('hostname, domainname, /etc/hostname, /etc/hosts and /etc/resolv.conf come from the service', async () => {
    const { facts } = await run(
      {
        hostname: 'web1',
        domainname: 'example.test',
        extra_hosts: ['db:10.1.2.3', 'cache=fd00::5'],
        dns: ['192.0.2.53', '192.0.2.54'],
        dns_search: ['a.example', 'b.example'],
        dns_opt: ['ndots:2', 'timeout:1'],
      },
      [
        'echo hostname=$(hostname)',
        'echo domainname=$(cat /proc/sys/kernel/domainname)',
        cat('etc_hostname', '/etc/hostname'),
        cat('hosts', '/etc/hosts'),
        cat('resolv', '/etc/resolv.conf'),
        // resolved through /etc/hosts by busybox's static libc (files NSS)
        'echo db=$(ping -c1 -W1 db 2>&1 | head -1)',
        'touch /etc/hosts 2>/dev/null && echo hosts_rw=yes || echo hosts_rw=no',
      ],
    );
    expect(facts.hostname).toBe('web1');
    expect(facts.domainname).toBe('example.test');
    expect(facts.etc_hostname).toBe('web1|');
    const hosts = facts.hosts!.split('|');
    expect(hosts).toContain('127.0.0.1\tlocalhost');
    expect(hosts).toContain('10.1.2.3\tdb');
    expect(hosts).toContain('fd00::5\tcache');
    expect(facts.resolv).toBe('nameserver 192.0.2.53|nameserver 192.0.2.54|search a.example b.example|options ndots:2 timeout:1|');
    expect(facts.db).toContain('10.1.2.3');
    expect(facts.hosts_rw).toBe('no');
  });

  it('the hostname defaults to the service name', async () => {
    const { facts } = await run({}, ['echo hostname=$(hostname)']);
    expect(facts.hostname).toBe('svc');
  });

  it('sets namespaced sysctls (and docker\'s network defaults) in the container', async () => {
    const { facts } = await run({ sysctls: { 'kernel.msgmax': 65536, 'net.ipv4.tcp_keepalive_time': 600 } }, [
      'echo msgmax=$(cat /proc/sys/kernel/msgmax)',
      'echo keepalive=$(cat /proc/sys/net/ipv4/tcp_keepalive_time)',
      'echo port_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)',
    ]);
    expect(facts.msgmax).toBe('65536');
    expect(facts.keepalive).toBe('600');
    expect(facts.port_start).toBe('0');
    // the host's values are untouched
    expect(readFileSync('/proc/sys/kernel/msgmax', 'utf8').trim()).not.toBe('65536');
  });

  it('ipc: host shares the host\'s IPC namespace; the default is a private one', async () => {
    const hostIpc = readlinkSync('/proc/self/ns/ipc');
    const shared = await run({ ipc: 'host' }, ['echo ipc=$(readlink /proc/self/ns/ipc)']);
    expect(shared.facts.ipc).toBe(hostIpc);
    const own = await run({}, ['echo ipc=$(readlink /proc/self/ns/ipc)']);
    expect(own.facts.ipc).toMatch(/^ipc:\[\d+\]$/);
    expect(own.facts.ipc).not.toBe(hostIpc);
  });

  it('pid: host and uts: host share those namespaces', async () => {
    const { facts } = await run({ pid: 'host', uts: 'host' }, ['echo pid=$(readlink /proc/self/ns/pid)', 'echo uts=$(readlink /proc/self/ns/uts)', 'echo hostname=$(hostname)']);
    expect(facts.pid).toBe(readlinkSync('/proc/self/ns/pid'));
    expect(facts.uts).toBe(readlinkSync('/proc/self/ns/uts'));
    expect(facts.hostname).toBe(os.hostname());
  });

  it('network_mode: none has only loopback; host sees the host\'s interfaces and files', async () => {
    const none = await run({ network_mode: 'none' }, ['echo links=$(ip -o link show | cut -d: -f2 | tr -d " " | tr "\\n" ",")', 'echo net=$(readlink /proc/self/ns/net)']);
    expect(none.facts.links).toBe('lo,');
    expect(none.facts.net).not.toBe(readlinkSync('/proc/self/ns/net'));
    const host = await run({ network_mode: 'host' }, ['echo net=$(readlink /proc/self/ns/net)', cat('resolv', '/etc/resolv.conf')]);
    expect(host.facts.net).toBe(readlinkSync('/proc/self/ns/net'));
    expect(host.facts.resolv).toBe(readFileSync('/etc/resolv.conf', 'utf8').replace(/\n/g, '|'));
  });
});
