import type { IncomingMessage } from 'node:http';
import { TosError } from './errors';
import { operationOf, resolveTarget } from './routing';

function request(url: string, host: string): IncomingMessage {
  return { url, headers: { host } } as unknown as IncomingMessage;
}
const existing = async (name: string): Promise<boolean> => name === 'known';

describe('resolveTarget', () => {
  it.each([
    ['/', '127.0.0.1:9000', undefined, undefined],
    ['/b/', '127.0.0.1:9000', 'b', undefined],
    ['/b', 'localhost:9000', 'b', undefined],
    ['/b/dir%2Fa%20b+c', '127.0.0.1:9000', 'b', 'dir/a b+c'],
    ['/b/dir/a', 'tos-cn-beijing.volces.com', 'b', 'dir/a'],
    ['/dir%2Fk', 'vb.tos-cn-beijing.volces.com', 'vb', 'dir/k'],
    ['/k', 'vb.127.0.0.1:9000', 'vb', 'k'],
    ['/', 'vb.localhost:9000', 'vb', undefined],
    ['/k', 'known.example.test', 'known', 'k'],
    ['/b/k', 'unknown.example.test', 'b', 'k'],
    ['http://vb.tos-cn-beijing.volces.com/k?x=1', 'vb.tos-cn-beijing.volces.com', 'vb', 'k'],
  ])('%s with Host %s is bucket %s key %s', async (url, host, bucket, key) => {
    const target = await resolveTarget(request(url, host), existing);
    expect([target.bucket, target.key]).toEqual([bucket, key]);
  });

  it('carries x-tos-copy-source, which makes a PUT a copy', async () => {
    const req = { url: '/b/k', headers: { host: '127.0.0.1', 'x-tos-copy-source': '/s/a%2Fb' } } as unknown as IncomingMessage;
    expect((await resolveTarget(req, existing)).copySource).toBe('/s/a%2Fb');
    expect((await resolveTarget(request('/b/k', '127.0.0.1'), existing)).copySource).toBeUndefined();
  });

  it('decodes + as a space in the query only', async () => {
    const target = await resolveTarget(request('/b/a+b?prefix=a+b&uploads', '127.0.0.1'), existing);
    expect(target.key).toBe('a+b');
    expect([...target.query]).toEqual([['prefix', 'a b'], ['uploads', '']]);
  });
});

describe('operationOf', () => {
  const q = (s: string): Map<string, string> => new Map(new URLSearchParams(s));
  it.each([
    ['GET', {}, '', 'ListBuckets'],
    ['PUT', { bucket: 'b' }, '', 'CreateBucket'],
    ['GET', { bucket: 'b' }, 'list-type=2', 'ListObjectsType2'],
    ['GET', { bucket: 'b' }, 'uploads=', 'ListMultipartUploads'],
    ['POST', { bucket: 'b' }, 'delete=', 'DeleteMultiObjects'],
    ['PUT', { bucket: 'b', key: 'k' }, '', 'PutObject'],
    ['PUT', { bucket: 'b', key: 'k' }, 'partNumber=1&uploadId=u', 'UploadPart'],
    ['POST', { bucket: 'b', key: 'k' }, 'uploads=', 'CreateMultipartUpload'],
    ['POST', { bucket: 'b', key: 'k' }, 'uploadId=u', 'CompleteMultipartUpload'],
    ['DELETE', { bucket: 'b', key: 'k' }, 'uploadId=u', 'AbortMultipartUpload'],
    ['GET', { bucket: 'b', key: 'k' }, 'uploadId=u', 'ListParts'],
    ['DELETE', { bucket: 'b', key: 'k' }, '', 'DeleteObject'],
    ['PUT', { bucket: 'b', key: 'k', copySource: '/s/k' }, '', 'CopyObject'],
    ['PUT', { bucket: 'b', key: 'k', copySource: '/s/k' }, 'partNumber=1&uploadId=u', 'UploadPartCopy'],
  ])('%s %j ?%s is %s', (method, where, query, op) => {
    expect(operationOf(method, { ...where, query: q(query) })).toBe(op);
  });

  it.each([
    ['GET', { bucket: 'b', key: 'k' }, 'acl', 'UnImplemented'],
    ['GET', { bucket: 'b' }, '', 'UnImplemented'],
    ['POST', { bucket: 'b', key: 'k' }, '', 'MethodNotAllowed'],
    ['PUT', {}, '', 'MethodNotAllowed'],
  ])('%s %j ?%s is refused with %s', (method, where, query, code) => {
    expect(() => operationOf(method, { ...where, query: q(query) })).toThrow(expect.objectContaining({ code }) as unknown as TosError);
  });
});
