import { describe, expect, it } from 'vitest';
import { KEY_POLICY } from '../../../src/compose/keys.js';
import { formatError } from '../../../src/engine/errors.js';
import { loadServiceYaml } from '../../helpers/engine.js';
import { loadError } from '../../helpers/plugin-table.js';

/** The CDI keys as the loader hands them to plugins, and the mistakes it refuses where they are written. */
describe('compose: CDI devices, gpus and device reservations', () => {
  it('devices: CDI names (short and long syntax) next to host paths', () => {
    const { service } = loadServiceYaml({ devices: ['/dev/null:/dev/x:r', 'nvidia.com/gpu=0', 'vendor.com/dev=a:b', { source: 'vendor.com/dev=all' }] });
    expect(service.devices).toEqual([
      { source: '/dev/null', target: '/dev/x', permissions: 'r' },
      { cdi: 'nvidia.com/gpu=0' },
      { cdi: 'vendor.com/dev=a:b' },
      { cdi: 'vendor.com/dev=all' },
    ]);
  });

  it('gpus and reservations: long forms, count all/-1/N', () => {
    const { service } = loadServiceYaml({
      gpus: [{ driver: 'nvidia', count: -1, capabilities: ['gpu'] }, { device_ids: ['0', '1'], options: { a: 1 } }, { count: '2' }, { count: 'all' }],
      deploy: { resources: { reservations: { devices: [{ driver: 'cdi', capabilities: ['gpu'], device_ids: ['nvidia.com/gpu=all'] }] } } },
    });
    expect(service.gpus).toEqual([{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }, { device_ids: ['0', '1'], options: { a: '1' } }, { count: 2 }, { count: 'all' }]);
    expect(service.deploy?.resources?.reservations?.devices).toEqual([{ driver: 'cdi', capabilities: ['gpu'], device_ids: ['nvidia.com/gpu=all'] }]);
    expect(loadServiceYaml({ gpus: 'all' }).service.gpus).toBe('all');
  });

  it.each([
    { what: 'a bad CDI name', service: { devices: ['vendor.com/dev=-x'] }, message: /services\.svc\.devices\[0\]: "vendor\.com\/dev=-x" is not a CDI device name: the device name "-x" must start with a letter or digit$/ },
    { what: 'a relative path that is no CDI name', service: { devices: ['dev/null'] }, message: /services\.svc\.devices\[0\]: "dev\/null": device "dev\/null" must be an absolute path or a CDI device name \(VENDOR\/CLASS=NAME\)$/ },
    { what: 'a target for a CDI device', service: { devices: [{ source: 'v.com/c=a', target: '/dev/a' }] }, message: /services\.svc\.devices\[0\]: "v\.com\/c=a" is a CDI device: its spec file says where it goes and with which permissions \(no "target" or "permissions"\)$/ },
    { what: 'count with device_ids', service: { gpus: [{ count: 1, device_ids: ['0'] }] }, message: /services\.svc\.gpus\[0\]\.count: count and device_ids exclude each other/ },
    { what: 'count 0', service: { gpus: [{ count: 0 }] }, message: /services\.svc\.gpus\[0\]\.count: 0 is not a device count \(a positive number, or all\)$/ },
    { what: 'driver cdi without device_ids', service: { deploy: { resources: { reservations: { devices: [{ driver: 'cdi', capabilities: ['gpu'] }] } } } }, message: /services\.svc\.deploy\.resources\.reservations\.devices\[0\]\.driver: driver cdi needs device_ids: the CDI device names \(VENDOR\/CLASS=NAME\)$/ },
    { what: 'driver cdi with a bare id', service: { deploy: { resources: { reservations: { devices: [{ driver: 'cdi', device_ids: ['0'] }] } } } }, message: /services\.svc\.deploy\.resources\.reservations\.devices\[0\]\.device_ids\[0\]: "0" is not a CDI device name \(expected VENDOR\/CLASS=NAME/ },
    { what: 'an unknown request key', service: { gpus: [{ coun: 1 }] }, message: /services\.svc\.gpus\[0\]\.coun: unknown key "coun" \(did you mean "count"\?\)/ },
  ])('refuses $what where it is written', ({ service, message }) => {
    const err = loadError(service);
    expect(err.location).toMatchObject({ file: 'compose.yaml', line: expect.any(Number) });
    expect(formatError(err)).toMatch(message);
  });

  it('the key policy maps devices, gpus and deploy.resources.reservations.devices (ctnr keys prints it)', () => {
    const cls = (key: string) => KEY_POLICY.find((p) => p.key === key)?.class;
    expect([cls('devices'), cls('gpus'), cls('deploy.resources.reservations.devices')]).toEqual(['mapped', 'mapped', 'mapped']);
    expect(cls('deploy.resources.reservations.generic_resources')).toBe('refused');
  });
});
