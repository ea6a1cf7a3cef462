import { createHash } from 'node:crypto';
import { credentialMap } from '../options';
import { canonicalRequest, decodeQuery, splitTarget, verifyTosSignature, type TosSignedRequest } from './tos-signature';

// Test vectors from tos-protocol.md §B.1: SDK runs with the clock frozen at 2024-01-02T03:04:05Z.
const AK = 'AKLTexample';
const SK = 'c2VjcmV0LWV4YW1wbGU=';
const NOW = new Date('2024-01-02T03:04:05Z');
const credentials = credentialMap([{ accessKeyId: AK, secretAccessKey: SK }]);
const baseHeaders = {
  host: '127.0.0.1:9000',
  'x-tos-content-sha256': 'UNSIGNED-PAYLOAD',
  'x-tos-date': '20240102T030405Z',
};

const putVector: TosSignedRequest = {
  method: 'PUT',
  rawUrl: '/my-bucket/dir%2Fhello%20world.txt',
  headers: {
    ...baseHeaders,
    'x-tos-meta-owner': 'me',
    'transfer-encoding': 'chunked',
    authorization:
      'TOS4-HMAC-SHA256 Credential=AKLTexample/20240102/cn-beijing/tos/request, SignedHeaders=host;x-tos-content-sha256;x-tos-date;x-tos-meta-owner, Signature=d9210d35290cb80d92b3494763d3478094bad3bf7bb58f286217d49664691a90',
  },
};

const listVector: TosSignedRequest = {
  method: 'GET',
  rawUrl: '/my-bucket/?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=10',
  headers: {
    ...baseHeaders,
    authorization:
      'TOS4-HMAC-SHA256 Credential=AKLTexample/20240102/cn-beijing/tos/request, SignedHeaders=host;x-tos-content-sha256;x-tos-date, Signature=586105727cbb54fc240999652dc0918c26dac822efafe6e14b74af12599ff18c',
  },
};

function withAuth(req: TosSignedRequest, auth: string): TosSignedRequest {
  return { ...req, headers: { ...req.headers, authorization: auth } };
}

describe('TOS4-HMAC-SHA256 verification', () => {
  it('builds the documented canonical request for the putObject vector', () => {
    const canonical = canonicalRequest(
      'PUT',
      '/my-bucket/dir/hello world.txt',
      [],
      [['host', '127.0.0.1:9000'], ['x-tos-content-sha256', 'UNSIGNED-PAYLOAD'], ['x-tos-date', '20240102T030405Z'], ['x-tos-meta-owner', 'me']],
    );
    expect(canonical).toBe(
      'PUT\n/my-bucket/dir/hello%20world.txt\n\nhost:127.0.0.1:9000\nx-tos-content-sha256:UNSIGNED-PAYLOAD\n' +
        'x-tos-date:20240102T030405Z\nx-tos-meta-owner:me\n\nhost;x-tos-content-sha256;x-tos-date;x-tos-meta-owner\nUNSIGNED-PAYLOAD',
    );
    expect(createHash('sha256').update(canonical).digest('hex')).toBe('59ad1f86f11da17b16f0d99254a97221c4172383d38c7124f6ffadf26c2af75a');
  });

  it('builds the documented canonical query for the listObjectsType2 vector', () => {
    const canonical = canonicalRequest('GET', '/my-bucket/', decodeQuery('list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=10'), [
      ['host', '127.0.0.1:9000'],
    ]);
    expect(canonical.split('\n')[2]).toBe('delimiter=%2F&list-type=2&max-keys=10&prefix=dir%2F');
  });

  it.each([
    ['putObject', putVector],
    ['listObjectsType2', listVector],
  ])('accepts the %s vector and reports the scope region', (_name, req) => {
    expect(verifyTosSignature(req, credentials, NOW)).toEqual({ ok: true, accessKeyId: AK, region: 'cn-beijing' });
  });

  it('accepts the same request in absolute form (forward-proxy mode)', () => {
    expect(verifyTosSignature({ ...putVector, rawUrl: 'http://127.0.0.1:9000' + putVector.rawUrl }, credentials, NOW).ok).toBe(true);
  });

  it('rejects a wrong secret with SignatureDoesNotMatch', () => {
    const other = credentialMap([{ accessKeyId: AK, secretAccessKey: 'not-the-secret' }]);
    expect(verifyTosSignature(putVector, other, NOW)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('rejects a tampered header, path or query with SignatureDoesNotMatch', () => {
    const tampered: TosSignedRequest[] = [
      { ...putVector, headers: { ...putVector.headers, 'x-tos-meta-owner': 'you' } },
      { ...putVector, rawUrl: '/my-bucket/dir%2Fhello%20world.txX' },
      { ...listVector, rawUrl: listVector.rawUrl.replace('max-keys=10', 'max-keys=11') },
      { ...putVector, method: 'POST' },
    ];
    for (const req of tampered) {
      expect(verifyTosSignature(req, credentials, NOW)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    }
  });

  it('rejects a signed header that is missing from the request', () => {
    const { ['x-tos-meta-owner']: _dropped, ...headers } = putVector.headers;
    const result = verifyTosSignature({ ...putVector, headers }, credentials, NOW);
    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(!result.ok && result.message).toContain('x-tos-meta-owner');
  });

  it('rejects an unknown access key with InvalidAccessKeyId', () => {
    const req = withAuth(putVector, putVector.headers.authorization!.replace('AKLTexample', 'AKLTnobody'));
    expect(verifyTosSignature(req, credentials, NOW)).toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
  });

  it('rejects a request signed more than 15 minutes away from the server clock', () => {
    const late = new Date(NOW.getTime() + 15 * 60 * 1000 + 1000);
    expect(verifyTosSignature(putVector, credentials, late)).toMatchObject({ ok: false, code: 'RequestTimeTooSkewed' });
    const early = new Date(NOW.getTime() - 16 * 60 * 1000);
    expect(verifyTosSignature(putVector, credentials, early)).toMatchObject({ ok: false, code: 'RequestTimeTooSkewed' });
    expect(verifyTosSignature(putVector, credentials, new Date(NOW.getTime() + 14 * 60 * 1000)).ok).toBe(true);
  });

  it('rejects anonymous and malformed Authorization headers with AccessDenied', () => {
    const { authorization: _a, ...anonymous } = putVector.headers;
    expect(verifyTosSignature({ ...putVector, headers: anonymous }, credentials, NOW)).toMatchObject({ ok: false, code: 'AccessDenied' });
    expect(verifyTosSignature(withAuth(putVector, 'AWS4-HMAC-SHA256 Credential=x'), credentials, NOW)).toMatchObject({
      ok: false,
      code: 'AccessDenied',
    });
  });

  it('decodes + as a space in the query but never in the path', () => {
    expect(decodeQuery('prefix=a+b%2Bc&start-after=x+y&uploads')).toEqual([
      ['prefix', 'a b+c'],
      ['start-after', 'x y'],
      ['uploads', ''],
    ]);
    const canonical = canonicalRequest('GET', decodeURIComponent('/b/a+b%20c'), decodeQuery('prefix=a+b'), []);
    expect(canonical.split('\n').slice(1, 3)).toEqual(['/b/a%2Bb%20c', 'prefix=a%20b']);
  });

  it('splits origin-form and absolute-form targets', () => {
    expect(splitTarget('/b/k?x=1')).toEqual({ rawPath: '/b/k', rawQuery: 'x=1' });
    expect(splitTarget('http://bucket.tos-cn-beijing.volces.com/k%2Fz?uploads=')).toEqual({ rawPath: '/k%2Fz', rawQuery: 'uploads=' });
    expect(splitTarget('http://host:9000')).toEqual({ rawPath: '/', rawQuery: '' });
  });
});
