import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_POLICY, SERVICE_KEYS } from '../../../src/compose/keys.js';
import { serviceSchemas } from '../../../src/compose/service.js';
import { SHARED, sharedAvailable } from '../../helpers/shared.js';

describe('key policy', () => {
  it('has one row per key', () => {
    const keys = KEY_POLICY.map((p) => p.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every top-level key of the policy has a schema, and every schema key a policy', () => {
    expect([...SERVICE_KEYS].sort()).toEqual(Object.keys(serviceSchemas().serviceShape).sort());
  });

  it('dotted rows name real sub-keys below deploy', () => {
    for (const p of KEY_POLICY.filter((k) => k.key.includes('.'))) expect(p.key).toMatch(/^deploy\.(resources\.(limits|reservations)(\.\w+)?|restart_policy|labels|mode|replicas|endpoint_mode|placement|update_config|rollback_config)$/);
  });

  it.skipIf(!sharedAvailable('compose-spec schema'))('classifies every service key of the compose-spec schema', () => {
    const schema = JSON.parse(readFileSync(path.join(SHARED, 'reference/compose-spec/compose-spec.json'), 'utf8'));
    const specKeys = Object.keys(schema.definitions.service.properties);
    expect(specKeys.filter((k) => !SERVICE_KEYS.includes(k))).toEqual([]);
    // Keys ctnr knows beyond that schema version, on purpose.
    expect(SERVICE_KEYS.filter((k) => !specKeys.includes(k))).toEqual(['pre_start']);
  });

  it.each([
    // Keys other stages implement count as mapped (issue 3).
    ['volumes', 'mapped'], ['tmpfs', 'mapped'], ['shm_size', 'mapped'], ['read_only', 'mapped'], ['privileged', 'mapped'],
    ['mem_limit', 'mapped'], ['mem_reservation', 'mapped'], ['memswap_limit', 'mapped'], ['cpus', 'mapped'], ['cpu_shares', 'mapped'],
    ['cpuset', 'mapped'], ['pids_limit', 'mapped'], ['blkio_config', 'mapped'], ['devices', 'mapped'], ['device_cgroup_rules', 'mapped'],
    ['cgroup_parent', 'mapped'], ['cgroup', 'mapped'], ['labels', 'mapped'], ['annotations', 'mapped'], ['expose', 'mapped'],
    ['stop_signal', 'mapped'], ['stop_grace_period', 'mapped'], ['healthcheck', 'mapped'], ['security_opt', 'mapped'],
    ['network_mode', 'mapped'], ['networks', 'mapped'], ['ipc', 'mapped'], ['pid', 'mapped'], ['uts', 'mapped'], ['userns_mode', 'mapped'],
    ['hostname', 'mapped'], ['domainname', 'mapped'], ['sysctls', 'mapped'], ['extra_hosts', 'mapped'], ['dns', 'mapped'],
    ['dns_search', 'mapped'], ['dns_opt', 'mapped'], ['ports', 'mapped'], ['init', 'mapped'], ['secrets', 'mapped'], ['configs', 'mapped'],
    ['deploy.resources.limits', 'mapped'],
    ['restart', 'mapped'], ['deploy.restart_policy', 'mapped'], ['depends_on', 'carried'],
    ['build', 'mapped'], ['develop', 'ignored'], ['pull_policy', 'mapped'], ['pull_refresh_after', 'mapped'], ['platform', 'mapped'],
    ['container_name', 'mapped'],
    ['volumes_from', 'mapped'], ['gpus', 'mapped'], ['links', 'mapped'], ['external_links', 'mapped'], ['mac_address', 'mapped'],
    ['scale', 'mapped'], ['deploy.replicas', 'mapped'], ['storage_opt', 'refused'],
  ])('%s is %s', (key, cls) => {
    expect(KEY_POLICY.find((p) => p.key === key)?.class).toBe(cls);
  });
});

describe('the README says which keys are still refused', () => {
  it('its "Still refused:" list is the table\'s refused rows', () => {
    const readme = readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    const line = /Still refused: (.*?`)\./.exec(readme.replace(/\n\s*/g, ' '))?.[1];
    expect(line).toBeDefined();
    const listed = [...line!.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(KEY_POLICY.filter((p) => p.class === 'refused').map((p) => p.key).sort());
  });
});
