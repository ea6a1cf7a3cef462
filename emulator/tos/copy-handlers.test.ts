import { checkCopyConditions, copyRange } from './copy-handlers';
import type { ObjectRecord } from './records';

const source: ObjectRecord = {
  bucket: 'b',
  key: 'k',
  size: 100,
  etag: '"0123456789abcdef0123456789abcdef"',
  crc64: '0',
  lastModified: '2026-01-02T03:04:05.678Z',
  httpHeaders: {},
  meta: {},
  segments: [],
};

describe('copyRange', () => {
  it('reads an inclusive bytes=first-last inside the source as [start, end), and the whole source when absent', () => {
    expect(copyRange('bytes=0-99', 100, '/b/k')).toEqual([0, 100]);
    expect(copyRange('bytes=10-10', 100, '/b/k')).toEqual([10, 11]);
    expect(copyRange(undefined, 100, '/b/k')).toEqual([0, 100]);
  });

  it.each(['bytes=0-100', 'bytes=5-4', 'bytes=-10', 'bytes=10-', 'items=0-1', 'bytes=0-1,3-4'])('refuses %s with InvalidArgument', (header) => {
    expect(() => copyRange(header, 100, '/b/k')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }) as unknown as Error);
  });
});

describe('checkCopyConditions', () => {
  const ok = (headers: Record<string, string>) => () => checkCopyConditions(headers, source);
  const failed = expect.objectContaining({ code: 'PreconditionFailed', status: 412 }) as unknown as Error;
  const before = 'Fri, 02 Jan 2026 03:04:04 GMT';
  const same = 'Fri, 02 Jan 2026 03:04:05 GMT';

  it('passes matching conditions; ETags compare with or without quotes', () => {
    expect(ok({ 'x-tos-copy-source-if-match': source.etag })).not.toThrow();
    expect(ok({ 'x-tos-copy-source-if-match': '0123456789abcdef0123456789abcdef' })).not.toThrow();
    expect(ok({ 'x-tos-copy-source-if-none-match': '"other"', 'x-tos-copy-source-if-modified-since': before })).not.toThrow();
    expect(ok({ 'x-tos-copy-source-if-unmodified-since': same })).not.toThrow();
  });

  it('fails each unmet condition with 412 PreconditionFailed', () => {
    expect(ok({ 'x-tos-copy-source-if-match': '"other"' })).toThrow(failed);
    expect(ok({ 'x-tos-copy-source-if-none-match': '*' })).toThrow(failed);
    expect(ok({ 'x-tos-copy-source-if-modified-since': same })).toThrow(failed);
    expect(ok({ 'x-tos-copy-source-if-unmodified-since': before })).toThrow(failed);
  });

  it('lets If-Match decide over If-Unmodified-Since, and If-None-Match over If-Modified-Since (S3 pairing)', () => {
    expect(ok({ 'x-tos-copy-source-if-match': source.etag, 'x-tos-copy-source-if-unmodified-since': before })).not.toThrow();
    expect(ok({ 'x-tos-copy-source-if-none-match': '"other"', 'x-tos-copy-source-if-modified-since': same })).not.toThrow();
  });
});
