import { describe, expect, it } from 'vitest';
import { isCtnrError } from '../../../src/engine/errors.js';
import { familiarString, parseReference, referenceString } from '../../../src/image/reference.js';

const D = `sha256:${'a'.repeat(64)}`;
const D512 = `sha512:${'b'.repeat(128)}`;

describe('parseReference: docker normalisation', () => {
  // input → [canonical, familiar]
  const table: Array<[string, string, string]> = [
    ['postgres', 'docker.io/library/postgres:latest', 'postgres:latest'],
    ['postgres:16', 'docker.io/library/postgres:16', 'postgres:16'],
    ['user/app:1', 'docker.io/user/app:1', 'user/app:1'],
    ['library/postgres', 'docker.io/library/postgres:latest', 'postgres:latest'],
    ['docker.io/postgres', 'docker.io/library/postgres:latest', 'postgres:latest'],
    ['docker.io/library/postgres:16', 'docker.io/library/postgres:16', 'postgres:16'],
    ['index.docker.io/user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['registry-1.docker.io/redis', 'docker.io/library/redis:latest', 'redis:latest'],
    ['library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['ghcr.io/o/r:t', 'ghcr.io/o/r:t', 'ghcr.io/o/r:t'],
    ['quay.io/a/b/c/d:v1.2-rc_3', 'quay.io/a/b/c/d:v1.2-rc_3', 'quay.io/a/b/c/d:v1.2-rc_3'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['localhost', 'docker.io/library/localhost:latest', 'localhost:latest'],
    ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000/x:latest'],
    ['127.0.0.1:5000/ns/repo:tag', '127.0.0.1:5000/ns/repo:tag', '127.0.0.1:5000/ns/repo:tag'],
    ['[::1]:5000/x:1', '[::1]:5000/x:1', '[::1]:5000/x:1'],
    ['Registry.Example/x', 'Registry.Example/x:latest', 'Registry.Example/x:latest'],
    [`repo@${D}`, `docker.io/library/repo@${D}`, `repo@${D}`],
    [`repo:tag@${D}`, `docker.io/library/repo:tag@${D}`, `repo:tag@${D}`],
    [`h:5000/r@${D}`, `h:5000/r@${D}`, `h:5000/r@${D}`],
    [`h.io/r@${D512}`, `h.io/r@${D512}`, `h.io/r@${D512}`],
    ['host.io:5000', 'docker.io/library/host.io:5000', 'host.io:5000'],
    ['x/a.b_c__d-e--f:_x', 'docker.io/x/a.b_c__d-e--f:_x', 'x/a.b_c__d-e--f:_x'],
    ['a-b/c', 'docker.io/a-b/c:latest', 'a-b/c:latest'],
    [`x:${'t'.repeat(128)}`, `docker.io/library/x:${'t'.repeat(128)}`, `x:${'t'.repeat(128)}`],
  ];
  it.each(table)('%s → %s', (input, canonical, familiar) => {
    const ref = parseReference(input);
    expect(referenceString(ref)).toBe(canonical);
    expect(familiarString(ref)).toBe(familiar);
    // The canonical form parses back to the same reference.
    expect(parseReference(canonical)).toEqual(ref);
  });

  it('fills the parts', () => {
    expect(parseReference('postgres')).toEqual({ registry: 'docker.io', repository: 'library/postgres', tag: 'latest' });
    expect(parseReference(`repo@${D}`)).toEqual({ registry: 'docker.io', repository: 'library/repo', digest: D });
    expect(parseReference(`127.0.0.1:5000/ns/repo:tag@${D}`)).toEqual({ registry: '127.0.0.1:5000', repository: 'ns/repo', tag: 'tag', digest: D });
  });
});

describe('parseReference: invalid references', () => {
  const table: Array<[string, RegExp]> = [
    ['', /it is empty/],
    ['a'.repeat(64), /image ID/],
    ['Postgres', /must be lowercase/],
    ['User/app', /must be lowercase/],
    ['ghcr.io/O/r', /must be lowercase/],
    ['postgres:', /tag ""/],
    ['postgres:-x', /tag "-x"/],
    ['postgres:.x', /tag ".x"/],
    [`postgres:${'t'.repeat(129)}`, /tag "t+"/],
    ['postgres:a/b', /"postgres:a" is not a registry/],
    ['postgres:a b', /tag/],
    ['repo@sha256:abc', /not a digest/],
    [`repo@sha256:${'A'.repeat(64)}`, /not a digest/],
    [`repo@md5:${'a'.repeat(32)}`, /not a digest/],
    [`repo@${'a'.repeat(64)}`, /not a digest/],
    ['repo@', /not a digest/],
    [':tag', /repository name is missing/],
    ['/x', /"" is not a registry|repository path/],
    ['x/', /repository path/],
    ['a//b', /repository path/],
    ['-a/b', /"-a\/b" is not a repository path/],
    ['a./b', /not a registry/],
    ['x/a./b', /repository path/],
    ['a___b', /repository path/],
    ['a b', /repository path/],
    [' postgres', /repository path/],
    ['host:port/x', /not a registry/],
    ['-host.io/x', /not a registry/],
    [`x/${'a'.repeat(260)}`, /longer than 255/],
  ];
  it.each(table)('%j', (input, why) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(isCtnrError(err)).toBe(true);
    const e = err as { code: string; message: string };
    expect(e.code).toBe('IMAGE_REFERENCE');
    expect(e.message.startsWith(`"${input}" is not a valid image reference: `)).toBe(true);
    expect(e.message).toMatch(why);
  });
});
