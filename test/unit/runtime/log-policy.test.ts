import { describe, expect, it } from 'vitest';
import type { Logging } from '../../../src/engine/service-types.js';
import { logPolicyOf, logRecordFields } from '../../../src/runtime/log-policy.js';

const MiB = 1024 * 1024;

describe('logging: → the log policy of a detached container (docker driver semantics)', () => {
  it.each<{ logging: Logging | undefined; policy: unknown }>([
    { logging: undefined, policy: { driver: 'file', maxFiles: 1 } },
    { logging: { driver: 'json-file' }, policy: { driver: 'file', maxFiles: 1 } },
    { logging: { options: { 'max-size': '10m' } }, policy: { driver: 'file', maxBytes: 10 * MiB, maxFiles: 1 } },
    { logging: { driver: 'json-file', options: { 'max-size': '1k', 'max-file': '3' } }, policy: { driver: 'file', maxBytes: 1024, maxFiles: 3 } },
    // YAML numbers, as `max-file: 3` is written
    { logging: { options: { 'max-size': 2048, 'max-file': 2 } }, policy: { driver: 'file', maxBytes: 2048, maxFiles: 2 } },
    { logging: { driver: 'k8s-file', options: { 'max-size': '1.5k' } }, policy: { driver: 'file', maxBytes: 1536, maxFiles: 1 } },
    // docker's local driver: 20m × 5 unless told otherwise
    { logging: { driver: 'local' }, policy: { driver: 'file', maxBytes: 20 * MiB, maxFiles: 5 } },
    { logging: { driver: 'local', options: { 'max-file': '2' } }, policy: { driver: 'file', maxBytes: 20 * MiB, maxFiles: 2 } },
    { logging: { driver: 'local', options: { 'max-size': '-1', 'max-file': '1' } }, policy: { driver: 'file', maxFiles: 1 } },
    { logging: { driver: 'none' }, policy: { driver: 'none' } },
  ])('$logging → $policy', ({ logging, policy }) => {
    expect(logPolicyOf(logging === undefined ? {} : { logging })).toEqual({ policy, warnings: [] });
  });

  it.each<{ options: Logging['options']; key: string; problem: string }>([
    { options: { 'max-size': '10x' }, key: 'max-size', problem: '"10x" is not a byte size' },
    { options: { 'max-size': '0' }, key: 'max-size', problem: 'max-size must be a positive size (or -1 for no limit)' },
    { options: { 'max-size': null }, key: 'max-size', problem: 'is not a byte size' },
    { options: { 'max-size': '1m', 'max-file': '0' }, key: 'max-file', problem: '"0" is not a number of files (1 or more)' },
    { options: { 'max-size': '1m', 'max-file': 'three' }, key: 'max-file', problem: '"three" is not a number of files' },
    { options: { 'max-file': '3' }, key: 'max-file', problem: 'max-file needs max-size: files are rotated when the log reaches max-size' },
  ])('refused, at logging.options.$key: $options', ({ options, key, problem }) => {
    const r = logPolicyOf({ logging: { driver: 'json-file', options } });
    expect(r).toMatchObject({ path: ['logging', 'options', key] });
    expect((r as { problem: string }).problem).toContain(problem);
  });

  it('warns about a driver ctnr has no sink for (the log is kept as a file) and about options it does not use', () => {
    expect(logPolicyOf({ logging: { driver: 'syslog', options: { 'syslog-address': 'udp://1.2.3.4:1111' } } })).toEqual({
      policy: { driver: 'file', maxFiles: 1 },
      warnings: ['logging driver "syslog" is not supported by ctnr: the output goes to ctnr.log in the bundle (ctnr logs prints it)'],
    });
    const r = logPolicyOf({ logging: { options: { 'max-size': '1m', compress: 'true', tag: '{{.Name}}' } } });
    expect(r).toEqual({
      policy: { driver: 'file', maxBytes: MiB, maxFiles: 1 },
      warnings: ['logging options compress, tag are not used by ctnr (the log is ctnr.log in the bundle, plain text, rotated by max-size and max-file)'],
    });
    expect(logPolicyOf({ logging: { driver: 'none', options: { 'max-size': '1m' } } })).toEqual({
      policy: { driver: 'none' },
      warnings: ['logging option max-size is of no use with driver none'],
    });
  });

  it('what a container record keeps of it', () => {
    expect(logRecordFields({ driver: 'file', maxFiles: 1 })).toEqual({});
    expect(logRecordFields({ driver: 'file', maxBytes: 1024, maxFiles: 3 })).toEqual({ logRotation: { maxBytes: 1024, maxFiles: 3 } });
    expect(logRecordFields({ driver: 'none' })).toEqual({ logDriver: 'none' });
  });
});
