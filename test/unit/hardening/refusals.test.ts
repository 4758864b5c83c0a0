import { describe, expect, it } from 'vitest';
import { loadComposeFile } from '../../../src/compose/load.js';
import { selectService } from '../../../src/compose/select.js';
import { composeDir, failure } from './compose-helpers.js';

/**
 * Values docker refuses are refused here too, with a located error (issue 16 "Accepted when it should be
 * refused"). Each case is a service fragment (YAML, indented under the service) and the error it gives.
 */
const tmp = composeDir('refusals');
const top = 'networks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24}]\n';

function check(fragment: string) {
  const dir = tmp.write(`services:\n  web:\n    image: x\n    command: ["true"]\n${fragment.replace(/^/gm, '    ')}\n${top}`);
  const project = loadComposeFile(undefined, { cwd: dir, environment: {} });
  return () => selectService(project, 'web');
}

describe('refused, located', () => {
  it.each([
    ['stop_signal: SIGBOGUS', 'services.web.stop_signal', '"SIGBOGUS" is not a signal'],
    ['stop_signal: "65"', 'services.web.stop_signal', '"65" is not a signal'],
    ['stop_signal: "0"', 'services.web.stop_signal', '"0" is not a signal'],
    ['stop_signal: SIGRTMIN+16', 'services.web.stop_signal', '"SIGRTMIN+16" is not a signal'],
    ['user: " "', 'services.web.user', '" " is not a user'],
    ['user: "app :x"', 'services.web.user', 'is not a user'],
    ['user: "1000:"', 'services.web.user', 'is not a user'],
    ['networks:\n  n:\n    ipv4_address: 10.0.0.300', 'services.web.networks.n.ipv4_address', '"10.0.0.300" is not an IPv4 address'],
    ['networks:\n  n:\n    ipv6_address: "fe80::zz"', 'services.web.networks.n.ipv6_address', '"fe80::zz" is not an IPv6 address'],
    ['network_mode: " "', 'services.web.network_mode', '" " is not a network mode'],
    ['network_mode: "service: "', 'services.web.network_mode', 'is not a network mode'],
    ['network_mode: "host\\n"', 'services.web.network_mode', 'is not a network mode'],
    ['volumes: ["data:/"]', 'services.web.volumes[0]', 'a mount cannot replace the container\'s root "/"'],
    ['volumes: ["./x://"]', 'services.web.volumes[0]', 'a mount cannot replace the container\'s root "/"'],
    ['volumes: [{type: bind, source: ./x, target: /}]', 'services.web.volumes[0]', 'a mount cannot replace the container\'s root "/"'],
    ['volumes: [{type: volume, target: /tmp/..}]', 'services.web.volumes[0]', 'a mount cannot replace the container\'s root "/"'],
    ['tmpfs: ["/"]', 'services.web.tmpfs[0]', 'a mount cannot replace the container\'s root "/"'],
    ['volumes: ["/tmp:/proc"]', 'services.web.volumes[0]', 'a mount over /proc'],
    ['volumes: ["/tmp:/proc/"]', 'services.web.volumes[0]', 'a mount over /proc'],
    ['volumes: ["/tmp:/proc/sys"]', 'services.web.volumes[0]', 'a mount over /proc/sys'],
    ['volumes: [{type: bind, source: /tmp, target: /proc/self}]', 'services.web.volumes[0]', 'a mount over /proc/self'],
    ['tmpfs: ["/proc"]', 'services.web.tmpfs[0]', 'a mount over /proc'],
    ['labels: {"": x}', 'services.web.labels[""]', 'a key must not be empty'],
    ['labels: {" ": x}', 'services.web.labels[" "]', 'a key must not be empty'],
    ['annotations: {"": x}', 'services.web.annotations[""]', 'a key must not be empty'],
    ['labels: ["=x"]', 'services.web.labels[0]', 'is not KEY=VALUE'],
  ])('%s', (fragment, path, message) => {
    const e = failure(check(fragment));
    expect(e.code).toBe('SERVICE_INVALID');
    expect(e.text).toMatch(/^compose\.yaml:\d+:\d+ /);
    expect(e.text).toContain(` ${path}: `);
    expect(e.text).toContain(message);
  });
});

describe('still accepted', () => {
  it.each([
    'stop_signal: SIGTERM',
    'stop_signal: TERM',
    'stop_signal: sigusr1',
    'stop_signal: "9"',
    'stop_signal: 64',
    'stop_signal: SIGRTMIN+3',
    'stop_signal: SIGRTMAX-2',
    'user: "1000:1000"',
    'user: app',
    'user: app:staff',
    'user: ""',
    'networks:\n  n:\n    ipv4_address: 10.0.0.30',
    'network_mode: none',
    'network_mode: host',
    'network_mode: bridge',
    'volumes: ["./x:/data", "/tmp:/procfs", "/tmp:/proc.d"]',
    'volumes: ["/tmp/cpuinfo:/proc/cpuinfo:ro", "/tmp/uptime:/proc/uptime:ro"]',
    'tmpfs: ["/run"]',
    'labels: {a: b}',
  ])('%s', (fragment) => {
    expect(check(fragment)).not.toThrow();
  });
});
