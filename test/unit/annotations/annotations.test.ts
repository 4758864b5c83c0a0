import { describe, expect, it } from 'vitest';
import { runServiceYaml, testPluginYaml } from '../../helpers/engine.js';
import { baseSpec } from '../../helpers/plugin-table.js';
import type { ImageConfig } from '../../../src/image/config.js';
import type { Plugin } from '../../../src/engine/types.js';
import { annotationsPlugin } from '../../../plugins/annotations/annotations.js';
import { exposedPortsPlugin } from '../../../plugins/annotations/exposed-ports.js';
import { healthcheckPlugin } from '../../../plugins/annotations/healthcheck.js';
import { stopGracePeriodPlugin } from '../../../plugins/annotations/stop-grace-period.js';

/** The annotations one plugin leaves, run alone on the fragment (failing the test if the plugin fails). */
const annotations = async (plugin: Plugin, service: Record<string, unknown>, image?: ImageConfig) => {
  const r = await testPluginYaml(plugin, service, image ? { image } : {});
  expect(r.errors).toEqual([]);
  return r.spec!.annotations;
};

describe('ctnr:annotations (labels, compose annotations, image labels)', () => {
  it.each([
    [{}, undefined, undefined],
    [{ labels: { a: '1' } }, undefined, { a: '1' }],
    [{ labels: ['a=1', 'b'] }, undefined, { a: '1', b: '' }],
    [{ annotations: { 'com.example/x': 'y' } }, undefined, { 'com.example/x': 'y' }],
    // precedence: image label < compose label < compose annotation
    [{ labels: { a: 'label', b: 'label' }, annotations: { b: 'annotation' } }, { Labels: { a: 'image', c: 'image' } }, { a: 'label', b: 'annotation', c: 'image' }],
    [{}, { Labels: { 'org.opencontainers.image.source': 'https://example.com/repo' } }, { 'org.opencontainers.image.source': 'https://example.com/repo' }],
  ])('%j with image %j → %j', async (service, image, expected) => {
    const r = await testPluginYaml(annotationsPlugin(), service, image ? { image: image as ImageConfig } : {});
    expect(r.errors).toEqual([]);
    // The base spec has no annotations: one op creates them all.
    expect(r.ops).toEqual(expected ? [{ op: 'add', path: '/annotations', value: expected }] : []);
    expect(r.spec!.annotations).toEqual(expected);
  });

  it('next to annotations set before: one op per key (`/` escaped), replacing a value set before', async () => {
    const spec = baseSpec((s) => { s.annotations = { keep: 'x', a: 'old' }; });
    const r = await testPluginYaml(annotationsPlugin(), { labels: { a: '1' }, annotations: { 'com.example/x': 'y' } }, { spec });
    expect(r.ops).toEqual([
      { op: 'replace', path: '/annotations/a', value: '1' },
      { op: 'add', path: '/annotations/com.example~1x', value: 'y' },
    ]);
    expect(r.spec!.annotations).toEqual({ keep: 'x', a: '1', 'com.example/x': 'y' });
  });

  it.each([
    [{ labels: { 'io.ctnr.healthcheck': '{}' } }, 'services.svc.labels["io.ctnr.healthcheck"]', /label "io\.ctnr\.healthcheck" cannot be set: it is in ctnr's own namespace/],
    [{ annotations: { 'io.ctnr.anything': 'x' } }, 'services.svc.annotations["io.ctnr.anything"]', /annotation "io\.ctnr\.anything" cannot be set/],
    [{ labels: { 'org.opencontainers.image.stopSignal': 'SIGINT' } }, 'services.svc.labels["org.opencontainers.image.stopSignal"]', /use stop_signal/],
    [{ annotations: { 'org.opencontainers.image.exposedPorts': '80/tcp' } }, 'services.svc.annotations["org.opencontainers.image.exposedPorts"]', /use expose/],
  ])('%j is refused, naming the key', async (service, path, message) => {
    const { errors } = await testPluginYaml(annotationsPlugin(), service);
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:annotations', path, location: { file: 'compose.yaml' } }]);
    expect(errors[0]!.message).toMatch(message);
  });

  it('an image label in the io.ctnr. namespace is refused, naming the image as the source', async () => {
    const { errors } = await testPluginYaml(annotationsPlugin(), {}, { image: { Labels: { 'io.ctnr.stop-grace-period': '1' } } });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:annotations', path: undefined }]);
    expect(errors[0]!.message).toMatch(/^image label "io\.ctnr\.stop-grace-period" is in ctnr's own annotation namespace/);
  });

  it('an image label with the stop signal key ctnr derives is ignored, with a warning', async () => {
    const r = await testPluginYaml(annotationsPlugin(), {}, { image: { StopSignal: 'SIGQUIT', Labels: { 'org.opencontainers.image.stopSignal': 'SIGKILL' } } });
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(r.spec!.annotations).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.level, d.plugin])).toEqual([['warning', 'ctnr:annotations']]);
  });
});

describe('ctnr:exposed-ports', () => {
  it.each([
    [[], {}, undefined],
    [['3000', 8000], { '80/tcp': {}, '443/tcp': {} }, '80/tcp,443/tcp,3000/tcp,8000/tcp'],
    [['53/udp', '53', '53/tcp'], {}, '53/tcp,53/udp'],
    [['80'], { '80/tcp': {} }, '80/tcp'],
    [['8000-8002/udp'], {}, '8000/udp,8001/udp,8002/udp'],
    [['9/sctp', '10'], {}, '9/sctp,10/tcp'],
  ])('expose %j + image %j → %s', async (expose, exposed, expected) => {
    const a = await annotations(exposedPortsPlugin(), expose.length ? { expose } : {}, { ExposedPorts: exposed });
    expect(a?.['org.opencontainers.image.exposedPorts']).toBe(expected);
  });

  it('a bad image ExposedPorts key is an error naming the image', async () => {
    const { errors } = await testPluginYaml(exposedPortsPlugin(), {}, { image: { ExposedPorts: { '80/icmp': {} } } });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:exposed-ports' }]);
    expect(errors[0]!.message).toMatch(/image ExposedPorts entry "80\/icmp" is not a port/);
  });

  it('a huge range is refused at its path', async () => {
    const { errors } = await testPluginYaml(exposedPortsPlugin(), { expose: ['1-60000'] });
    expect(errors).toMatchObject([{ code: 'SERVICE_INVALID', plugin: 'ctnr:exposed-ports', path: 'services.svc.expose[0]' }]);
  });
});

describe('ctnr:healthcheck and ctnr:stop-grace-period', () => {
  const hc = async (service: Record<string, unknown>, image?: Record<string, unknown>) => {
    const a = await annotations(healthcheckPlugin(), service, image as ImageConfig | undefined);
    const v = a?.['io.ctnr.healthcheck'];
    return v === undefined ? undefined : JSON.parse(v);
  };

  it.each([
    [{}, undefined, undefined],
    [{ healthcheck: { test: 'curl -f localhost' } }, undefined, { test: ['CMD-SHELL', 'curl -f localhost'], interval: 30e9, timeout: 30e9, start_period: 0, start_interval: 5e9, retries: 3 }],
    [{ healthcheck: { test: ['CMD', 'true'], interval: '10s', timeout: '2s', retries: 5, start_period: '1m', start_interval: '1s' } }, undefined, { test: ['CMD', 'true'], interval: 10e9, timeout: 2e9, start_period: 60e9, start_interval: 1e9, retries: 5 }],
    // the service overrides only the fields it gives; the rest come from the image
    [{ healthcheck: { interval: '5s' } }, { Healthcheck: { Test: ['CMD', 'probe'], Interval: 60e9, Retries: 7 } }, { test: ['CMD', 'probe'], interval: 5e9, timeout: 30e9, start_period: 0, start_interval: 5e9, retries: 7 }],
    [{}, { Healthcheck: { Test: ['CMD', 'probe'] } }, { test: ['CMD', 'probe'], interval: 30e9, timeout: 30e9, start_period: 0, start_interval: 5e9, retries: 3 }],
    [{ healthcheck: { disable: true } }, { Healthcheck: { Test: ['CMD', 'probe'] } }, undefined],
    [{ healthcheck: { test: ['NONE'] } }, { Healthcheck: { Test: ['CMD', 'probe'] } }, undefined],
    [{}, { Healthcheck: { Test: ['NONE'] } }, undefined],
  ])('%j with image %j → %j', async (service, image, expected) => {
    expect(await hc(service, image)).toEqual(expected);
  });

  it.each([
    [{}, undefined],
    [{ stop_grace_period: '1m30s' }, '90000000000'],
    [{ stop_grace_period: '0' }, '0'],
  ])('%j → io.ctnr.stop-grace-period %s', async (service, expected) => {
    const r = await testPluginYaml(stopGracePeriodPlugin(), service);
    expect(r.errors).toEqual([]);
    expect(r.ops).toEqual(expected === undefined ? [] : [{ op: 'add', path: '/annotations', value: { 'io.ctnr.stop-grace-period': expected } }]);
    expect(r.spec!.annotations?.['io.ctnr.stop-grace-period']).toBe(expected);
  });
});

describe('pipeline: the annotations stage as a whole', () => {
  it('an image label cannot overwrite the stop signal ctnr:stop-signal derives (ignored with a warning)', async () => {
    const r = await runServiceYaml({}, { image: { StopSignal: 'SIGQUIT', Labels: { 'org.opencontainers.image.stopSignal': 'SIGKILL' } } });
    expect(r.spec.annotations).toEqual({ 'org.opencontainers.image.stopSignal': 'SIGQUIT' });
    expect(r.diagnostics.map((d) => [d.level, d.plugin])).toEqual([['warning', 'ctnr:annotations']]);
  });

  it('several derived keys coexist with labels', async () => {
    expect((await runServiceYaml({ labels: { a: 'b' }, stop_signal: 'SIGINT', expose: [80], stop_grace_period: '2s' })).spec.annotations).toEqual({
      a: 'b',
      'org.opencontainers.image.stopSignal': 'SIGINT',
      'org.opencontainers.image.exposedPorts': '80/tcp',
      'io.ctnr.stop-grace-period': '2000000000',
    });
  });
});
