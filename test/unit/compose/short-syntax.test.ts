import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { formatError, type CtnrError } from '../../../src/engine/errors.js';
import type { Service } from '../../../src/compose/service.js';

/**
 * Short syntax → long form, with the compose-spec reference semantics. Each row goes through the real loader
 * (YAML → interpolation → key policy → schema → path resolution), project in /proj, HOME=/home/u.
 */
const TOP = { volumes: { data: {}, db: {} }, networks: { front: {}, back: {} }, secrets: { token: { file: './token.txt' } }, configs: { app: { file: './app.conf' } } };

function load(service: Record<string, unknown>): Service {
  const project = parseCompose(JSON.stringify({ services: { s: service }, ...TOP }), '/proj/compose.yaml', 'compose.yaml', { environment: { HOME: '/home/u' } });
  return selectService(project, 's').input.service;
}

function loadError(service: Record<string, unknown>): CtnrError {
  try {
    load(service);
  } catch (e) {
    return e as CtnrError;
  }
  throw new Error('expected an error');
}

describe('ports', () => {
  it.each([
    { port: 80, expected: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] },
    { port: '80', expected: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] },
    { port: '8080:80', expected: [{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }] },
    { port: '8080:80/udp', expected: [{ target: 80, published: 8080, protocol: 'udp', mode: 'ingress' }] },
    { port: '127.0.0.1:8080:80', expected: [{ target: 80, published: 8080, protocol: 'tcp', host_ip: '127.0.0.1', mode: 'ingress' }] },
    { port: '127.0.0.1::80', expected: [{ target: 80, protocol: 'tcp', host_ip: '127.0.0.1', mode: 'ingress' }] },
    { port: '[::1]:8080:80', expected: [{ target: 80, published: 8080, protocol: 'tcp', host_ip: '::1', mode: 'ingress' }] },
    { port: '::1:8080:80', expected: [{ target: 80, published: 8080, protocol: 'tcp', host_ip: '::1', mode: 'ingress' }] },
    { port: '3000-3001', expected: [{ target: 3000, protocol: 'tcp', mode: 'ingress' }, { target: 3001, protocol: 'tcp', mode: 'ingress' }] },
    {
      port: '9090-9091:8080-8081/sctp',
      expected: [
        { target: 8080, published: 9090, protocol: 'sctp', mode: 'ingress' },
        { target: 8081, published: 9091, protocol: 'sctp', mode: 'ingress' },
      ],
    },
    { port: { target: 80, published: '8080', protocol: 'udp', host_ip: '0.0.0.0', mode: 'host' }, expected: [{ target: 80, published: 8080, protocol: 'udp', host_ip: '0.0.0.0', mode: 'host' }] },
    { port: { target: '443' }, expected: [{ target: 443, protocol: 'tcp', mode: 'ingress' }] },
  ])('$port', ({ port, expected }) => {
    expect(load({ ports: [port] }).ports).toEqual(expected);
  });

  it.each([
    { port: '80:x', message: '"80:x" is not a port mapping (expected [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO])' },
    { port: '70000:80', message: 'port 70000 in "70000:80" is out of range (1-65535)' },
    { port: '8080:80/icmp', message: '"8080:80/icmp": unknown protocol "icmp" (expected tcp, udp or sctp)' },
    { port: '9000-9002:80-81', message: '"9000-9002:80-81": host range 9000-9002 and container range 80-81 have different lengths' },
    { port: '8000-8010:80', message: '"8000-8010:80": a host port range for one container port (docker picks a free port) is not supported; publish one port' },
    { port: 'nothost:80:80', message: '"nothost" in "nothost:80:80" is not an IP address' },
    { port: { target: 80, protocol: 'icmp' }, message: '"icmp": unknown protocol "icmp" (expected tcp, udp or sctp)' },
    { port: { target: 80, publish: 8080 }, message: 'unknown key "publish" (did you mean "published"?) (expected one of: name, mode, host_ip, target, published, protocol, app_protocol)' },
  ])('$port is refused', ({ port, message }) => {
    const err = loadError({ ports: ['1:1', port] });
    expect(err.code).toBe('SERVICE_INVALID');
    expect(err.message).toBe(message);
    expect(err.path).toMatch(/^services\.s\.ports\[1\]/);
  });
});

describe('volumes', () => {
  it.each([
    { volume: '/var/lib/data', expected: { type: 'volume', target: '/var/lib/data' } },
    { volume: 'data:/data', expected: { type: 'volume', source: 'data', target: '/data' } },
    { volume: 'db:/var/db:ro,nocopy', expected: { type: 'volume', source: 'db', target: '/var/db', read_only: true, volume: { nocopy: true } } },
    { volume: './src:/app', expected: { type: 'bind', source: '/proj/src', target: '/app', bind: { create_host_path: true } } },
    { volume: '../up:/up:rw', expected: { type: 'bind', source: '/up', target: '/up', read_only: false, bind: { create_host_path: true } } },
    { volume: '/etc/hosts:/etc/hosts:ro', expected: { type: 'bind', source: '/etc/hosts', target: '/etc/hosts', read_only: true, bind: { create_host_path: true } } },
    { volume: '~/conf:/conf:Z', expected: { type: 'bind', source: '/home/u/conf', target: '/conf', selinux: 'Z', bind: { create_host_path: true, selinux: 'Z' } } },
    { volume: '~:/home', expected: { type: 'bind', source: '/home/u', target: '/home', bind: { create_host_path: true } } },
    { volume: '/a:/b:ro,rshared', expected: { type: 'bind', source: '/a', target: '/b', read_only: true, bind: { create_host_path: true, propagation: 'rshared' } } },
    { volume: '/a:/b:z,cached', expected: { type: 'bind', source: '/a', target: '/b', selinux: 'z', consistency: 'cached', bind: { create_host_path: true, selinux: 'z' } } },
    {
      volume: { type: 'bind', source: './cfg', target: '/cfg', read_only: 'true', bind: { propagation: 'slave', create_host_path: false } },
      expected: { type: 'bind', source: '/proj/cfg', target: '/cfg', read_only: true, bind: { propagation: 'slave', create_host_path: false } },
    },
    { volume: { type: 'tmpfs', target: '/cache', tmpfs: { size: '64m', mode: '1777' } }, expected: { type: 'tmpfs', target: '/cache', tmpfs: { size: 67108864, mode: 0o1777 } } },
    { volume: { type: 'volume', source: 'data', target: '/d', volume: { subpath: 'x' } }, expected: { type: 'volume', source: 'data', target: '/d', volume: { subpath: 'x' } } },
  ])('$volume', ({ volume, expected }) => {
    expect(load({ volumes: [volume] }).volumes).toEqual([expected]);
  });

  it.each([
    { volume: 'data:relative', message: '"data:relative": the container path "relative" must be absolute' },
    { volume: 'src/x:/x', message: '"src/x" is neither a volume name nor a host path (write ./src/x for a path relative to the compose file)' },
    { volume: '/a:/b:rx', message: '"/a:/b:rx": unknown volume option "rx" (expected ro, rw, z, Z, nocopy or a propagation mode)' },
    { volume: 'data:/d:shared', message: '"data:/d:shared": propagation "shared" applies to bind mounts only' },
    { volume: { type: 'bind', target: '/x' }, message: 'a bind mount needs a "source"' },
    { volume: { type: 'tmpfs', source: 'x', target: '/x' }, message: 'a tmpfs mount takes no "source"' },
    { volume: 'nope:/x', message: 'volume "nope" is not declared in the top-level "volumes:" table' },
    { volume: 'dta:/x', message: 'volume "dta" is not declared in the top-level "volumes:" table (did you mean "data"?)' },
  ])('$volume is refused', ({ volume, message }) => {
    expect(loadError({ volumes: [volume] }).message).toBe(message);
  });
});

describe('environment', () => {
  it.each([
    { environment: { A: 1, B: true, C: null, D: '' }, host: { C: 'from-host' }, expected: [['A', '1'], ['B', 'true'], ['C', 'from-host'], ['D', '']] },
    { environment: ['A=1', 'B', 'C=x=y', 'A=2'], host: { B: 'b' }, expected: [['B', 'b'], ['C', 'x=y'], ['A', '2']] },
    { environment: ['UNSET'], host: {}, expected: [] },
  ])('$environment', ({ environment, host, expected }) => {
    const project = parseCompose(JSON.stringify({ services: { s: { environment } } }), '/proj/compose.yaml', 'compose.yaml', { environment: host });
    expect(selectService(project, 's').input.service.environment).toEqual(expected);
  });

  it('an entry with a space in the key is refused', () => {
    expect(loadError({ environment: ['BAD KEY=1'] }).message).toBe('"BAD KEY=1" is not KEY=VALUE');
  });
});

describe('extra_hosts', () => {
  it.each([
    { extra_hosts: ['db:10.0.0.2'], expected: [{ host: 'db', ip: '10.0.0.2' }] },
    { extra_hosts: ['db=10.0.0.2'], expected: [{ host: 'db', ip: '10.0.0.2' }] },
    { extra_hosts: ['v6:::1'], expected: [{ host: 'v6', ip: '::1' }] },
    { extra_hosts: ['v6=[2001:db8::1]'], expected: [{ host: 'v6', ip: '2001:db8::1' }] },
    { extra_hosts: ['gw:host-gateway'], expected: [{ host: 'gw', ip: 'host-gateway' }] },
    { extra_hosts: { db: '10.0.0.2', multi: ['10.0.0.3', '::2'] }, expected: [{ host: 'db', ip: '10.0.0.2' }, { host: 'multi', ip: '10.0.0.3' }, { host: 'multi', ip: '::2' }] },
  ])('$extra_hosts', ({ extra_hosts, expected }) => {
    expect(load({ extra_hosts }).extra_hosts).toEqual(expected);
  });

  it.each([
    { extra_hosts: ['justhost'], message: '"justhost" is not a host mapping (expected HOST:IP or HOST=IP)' },
    { extra_hosts: ['db:notanip'], message: '"db:notanip": "notanip" is not an IP address' },
  ])('$extra_hosts is refused', ({ extra_hosts, message }) => {
    expect(loadError({ extra_hosts }).message).toBe(message);
  });
});

describe('ulimits', () => {
  it.each([
    { ulimits: { nofile: 1024 }, expected: { nofile: { soft: 1024, hard: 1024 } } },
    { ulimits: { nofile: '2048' }, expected: { nofile: { soft: 2048, hard: 2048 } } },
    { ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 64 }, expected: { nofile: { soft: 1024, hard: 4096 }, nproc: { soft: 64, hard: 64 } } },
  ])('$ulimits', ({ ulimits, expected }) => {
    expect(load({ ulimits }).ulimits).toEqual(expected);
  });

  it.each([
    { ulimits: { nofile: { soft: 1 } }, path: 'services.s.ulimits.nofile.hard', message: 'is required' },
    { ulimits: { nofile: 'many' }, path: 'services.s.ulimits.nofile', message: '"many" is not an integer' },
  ])('$ulimits is refused', ({ ulimits, path, message }) => {
    const err = loadError({ ulimits });
    expect([err.path, err.message]).toEqual([path, message]);
  });
});

describe('byte sizes', () => {
  it.each([
    { value: 1024, bytes: 1024 },
    { value: '1024', bytes: 1024 },
    { value: '1k', bytes: 1024 },
    { value: '512m', bytes: 512 * 1024 ** 2 },
    { value: '512M', bytes: 512 * 1024 ** 2 },
    { value: '1.5g', bytes: 1.5 * 1024 ** 3 },
    { value: '1gb', bytes: 1024 ** 3 },
    { value: '2GiB', bytes: 2 * 1024 ** 3 },
    { value: '10b', bytes: 10 },
  ])('mem_limit $value → $bytes', ({ value, bytes }) => {
    expect(load({ mem_limit: value, shm_size: value, mem_reservation: value })).toMatchObject({ mem_limit: bytes, shm_size: bytes, mem_reservation: bytes });
  });

  it.each([
    { memswap_limit: -1, expected: -1 },
    { memswap_limit: '-1', expected: -1 },
    { memswap_limit: '1g', expected: 1024 ** 3 },
  ])('memswap_limit $memswap_limit', ({ memswap_limit, expected }) => {
    expect(load({ memswap_limit }).memswap_limit).toBe(expected);
  });

  it.each(['lots', '1x', '-5m', '1.5.5g'])('%s is refused', (value) => {
    expect(loadError({ mem_limit: value }).path).toBe('services.s.mem_limit');
  });

  it('deploy.resources limits and reservations', () => {
    expect(load({ deploy: { resources: { limits: { cpus: '0.5', memory: '256m', pids: 100 }, reservations: { memory: '128m', cpus: 0.25 } } } }).deploy).toEqual({
      resources: { limits: { cpus: 0.5, memory: 256 * 1024 ** 2, pids: 100 }, reservations: { memory: 128 * 1024 ** 2, cpus: 0.25 } },
    });
  });

  it('tmpfs size option becomes bytes', () => {
    expect(load({ tmpfs: ['/run:size=64m,mode=1777', '/tmp'] }).tmpfs).toEqual([
      { target: '/run', options: ['size=67108864', 'mode=1777'] },
      { target: '/tmp', options: [] },
    ]);
    expect(load({ tmpfs: '/run' }).tmpfs).toEqual([{ target: '/run', options: [] }]);
  });

  it('blkio_config rates', () => {
    expect(load({ blkio_config: { weight: 300, device_read_bps: [{ path: '/dev/sda', rate: '12mb' }], device_write_iops: [{ path: '/dev/sda', rate: 30 }] } }).blkio_config).toEqual({
      weight: 300,
      device_read_bps: [{ path: '/dev/sda', rate: 12 * 1024 ** 2 }],
      device_write_iops: [{ path: '/dev/sda', rate: 30 }],
    });
  });
});

describe('durations', () => {
  it.each([
    { value: '10s', ns: 10e9 },
    { value: '1m30s', ns: 90e9 },
    { value: '1.5h', ns: 5400e9 },
    { value: '300ms', ns: 300e6 },
    { value: '10us', ns: 10e3 },
    { value: '1h2m3s4ms', ns: 3723004e6 },
    { value: '0', ns: 0 },
  ])('$value → $ns ns', ({ value, ns }) => {
    const s = load({ stop_grace_period: value, healthcheck: { test: ['CMD', 'true'], interval: value, timeout: value, start_period: value } });
    expect(s.stop_grace_period).toBe(ns);
    expect(s.healthcheck).toMatchObject({ interval: ns, timeout: ns, start_period: ns });
  });

  it.each(['10', '1 m', 'soon', '5d'])('%s is refused', (value) => {
    expect(loadError({ stop_grace_period: value }).path).toBe('services.s.stop_grace_period');
  });

  it('healthcheck test string runs through the shell; NONE disables', () => {
    expect(load({ healthcheck: { test: 'curl -f http://localhost', retries: '3' } }).healthcheck).toEqual({ test: ['CMD-SHELL', 'curl -f http://localhost'], retries: 3 });
    expect(load({ healthcheck: { test: ['NONE'] } }).healthcheck).toEqual({ test: ['NONE'], disable: true });
    expect(loadError({ healthcheck: { test: ['curl'] } }).message).toBe('the test list must start with NONE, CMD or CMD-SHELL (got "curl")');
  });
});

describe('other list/map forms', () => {
  it.each([
    { key: 'sysctls', value: ['net.core.somaxconn=1024', 'kernel.msgmax'], expected: { 'net.core.somaxconn': '1024', 'kernel.msgmax': '' } },
    { key: 'sysctls', value: { 'net.ipv4.ip_forward': 1 }, expected: { 'net.ipv4.ip_forward': '1' } },
    { key: 'labels', value: ['a=b', 'c'], expected: { a: 'b', c: '' } },
    { key: 'annotations', value: { 'x.y': true }, expected: { 'x.y': 'true' } },
    { key: 'dns', value: '8.8.8.8', expected: ['8.8.8.8'] },
    { key: 'dns_search', value: ['a.example', 'b.example'], expected: ['a.example', 'b.example'] },
    { key: 'networks', value: ['front'], expected: { front: null } },
    { key: 'networks', value: { back: { aliases: ['db'], ipv4_address: '172.16.0.2' }, front: null }, expected: { back: { aliases: ['db'], ipv4_address: '172.16.0.2' }, front: null } },
    { key: 'devices', value: ['/dev/fuse'], expected: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }] },
    { key: 'devices', value: ['/dev/sda:r'], expected: [{ source: '/dev/sda', target: '/dev/sda', permissions: 'r' }] },
    { key: 'devices', value: ['/dev/sda:/dev/xvda:rw'], expected: [{ source: '/dev/sda', target: '/dev/xvda', permissions: 'rw' }] },
    { key: 'devices', value: [{ source: '/dev/kvm' }], expected: [{ source: '/dev/kvm', target: '/dev/kvm', permissions: 'rwm' }] },
    { key: 'secrets', value: ['token', { source: 'token', target: 't', mode: '0400', uid: 1000 }], expected: [{ source: 'token' }, { source: 'token', target: 't', mode: 0o400, uid: '1000' }] },
    { key: 'configs', value: ['app'], expected: [{ source: 'app' }] },
    { key: 'expose', value: [3000, '8000-8001/udp'], expected: ['3000', '8000-8001/udp'] },
    { key: 'privileged', value: 'true', expected: true },
    { key: 'read_only', value: 'false', expected: false },
    { key: 'cpus', value: '1.5', expected: 1.5 },
    { key: 'cpu_rt_runtime', value: '950ms', expected: 950000 },
    { key: 'depends_on', value: ['db'], expected: { db: { condition: 'service_started', required: true } } },
  ])('$key: $value', ({ key, value, expected }) => {
    expect(load({ [key]: value })[key as keyof Service]).toEqual(expected);
  });

  it('project secrets/configs files resolve against the compose dir', () => {
    const project = parseCompose(JSON.stringify({ services: { s: {} }, ...TOP }), '/proj/compose.yaml', 'compose.yaml', { environment: {} });
    expect(project.project.secrets).toEqual({ token: { file: '/proj/token.txt' } });
  });

  it('errors name the file, line and key path', () => {
    const yaml = 'services:\n  web:\n    image: x\n    ports:\n      - "80:80"\n      - "80:x"\n';
    try {
      selectService(parseCompose(yaml, '/proj/compose.yaml', 'compose.yaml', { environment: {} }), 'web');
      expect.unreachable();
    } catch (e) {
      expect(formatError(e)).toBe('compose.yaml:6:9 services.web.ports[1]: "80:x" is not a port mapping (expected [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO])');
    }
  });
});
