import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { TosClient, TosServerCode } from '@volcengine/tos-sdk';
import { crc64 } from '../../provider/api/crc64';
import { startTosHarness, tosFailure, type TosHarness } from './emulator-tos-harness';

/** The official @volcengine/tos-sdk against ark-local's TOS service (memory mode). */

const MiB = 1024 * 1024;
// jest ignores `testTimeout` inside a project entry; multi-MiB multipart tests need more than the 5 s default.
jest.setTimeout(30_000);

function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return buf;
}

let harness: TosHarness;
let tos: TosClient;

beforeAll(async () => {
  harness = await startTosHarness();
  tos = harness.client();
});
afterAll(() => harness.close());

describe('buckets', () => {
  it('creates, heads, lists and deletes a bucket', async () => {
    await tos.createBucket({ bucket: 'bkt-life' });
    const head = await tos.headBucket('bkt-life');
    expect(head.statusCode).toBe(200);
    expect(head.data['x-tos-bucket-region']).toBe('cn-beijing');
    expect((await tos.listBuckets()).data.Buckets.map((b) => b.Name)).toContain('bkt-life');
    await tos.deleteBucket('bkt-life');
    expect(await tos.doesBucketExist({ bucket: 'bkt-life' })).toBe(false);
  });

  it('refuses a second create with 409 BucketAlreadyOwnedByYou', async () => {
    await tos.createBucket({ bucket: 'bkt-twice' });
    expect(await tosFailure(tos.createBucket({ bucket: 'bkt-twice' }))).toMatchObject({ statusCode: 409, code: 'BucketAlreadyOwnedByYou' });
  });

  it('refuses to delete a non-empty bucket with 409 BucketNotEmpty', async () => {
    await tos.createBucket({ bucket: 'bkt-full' });
    await tos.putObject({ bucket: 'bkt-full', key: 'x', body: Buffer.from('x') });
    expect(await tosFailure(tos.deleteBucket('bkt-full'))).toMatchObject({ statusCode: 409, code: 'BucketNotEmpty' });
  });

  it('answers a missing bucket with 404 and EC 0006-00000001 (headBucket has no body, putObject does)', async () => {
    expect(await tosFailure(tos.headBucket('no-such-bucket'))).toMatchObject({ statusCode: 404, ec: '0006-00000001' });
    expect(await tosFailure(tos.putObject({ bucket: 'no-such-bucket', key: 'k', body: Buffer.from('x') }))).toMatchObject({
      statusCode: 404,
      code: 'NoSuchBucket',
      ec: '0006-00000001',
    });
  });
});

describe('objects', () => {
  const bucket = 'objects';
  beforeAll(() => tos.createBucket({ bucket }));

  it('stores a chunked putObject with metadata and returns it on head and get with CRC64', async () => {
    const body = pattern(300_000, 7);
    const key = "dir/a b+c(1)!*'~é.bin";
    const put = await tos.putObject({ bucket, key, body, meta: { owner: 'me', stage: 'sft' }, contentType: 'application/x-weights' });
    expect(put.data['x-tos-hash-crc64ecma']).toBe(crc64(body));
    expect(put.headers.etag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);

    const head = await tos.headObject({ bucket, key });
    expect(head.data).toMatchObject({
      'content-length': String(body.length),
      'content-type': 'application/x-weights',
      'x-tos-meta-owner': 'me',
      'x-tos-meta-stage': 'sft',
      'x-tos-hash-crc64ecma': crc64(body),
      etag: put.headers.etag,
    });

    const got = await tos.getObjectV2({ bucket, key, dataType: 'buffer' });
    expect(got.statusCode).toBe(200);
    expect(got.data.hashCrc64ecma).toBe(crc64(body));
    expect(Buffer.compare(got.data.content, body)).toBe(0);
  });

  it('round-trips a non-ASCII metadata value', async () => {
    await tos.putObject({ bucket, key: 'meta-utf8', body: Buffer.from('x'), meta: { note: 'qwen 微调 v3' } });
    expect((await tos.headObject({ bucket, key: 'meta-utf8' })).data['x-tos-meta-note']).toBe('qwen 微调 v3');
  });

  it('serves byte ranges with 206 and content-range', async () => {
    const body = pattern(10_000, 3);
    await tos.putObject({ bucket, key: 'ranged', body });
    const mid = await tos.getObjectV2({ bucket, key: 'ranged', dataType: 'buffer', rangeStart: 100, rangeEnd: 1099 });
    expect(mid.statusCode).toBe(206);
    expect(mid.headers['content-range']).toBe('bytes 100-1099/10000');
    expect(Buffer.compare(mid.data.content, body.subarray(100, 1100))).toBe(0);
    const tail = await tos.getObjectV2({ bucket, key: 'ranged', dataType: 'buffer', range: 'bytes=9990-' });
    expect(Buffer.compare(tail.data.content, body.subarray(9990))).toBe(0);
    expect(await tosFailure(tos.getObjectV2({ bucket, key: 'ranged', range: 'bytes=20000-' }))).toMatchObject({ statusCode: 416 });
    // The SDK does not parse GET error bodies; a presigned GET shows the code its TosServerCode enum names, spaces included.
    // `http://<bucket>.127.0.0.1:<port>/<key>?…`, which WHATWG URL refuses to parse (a dotted name ending in an IP).
    const [, hostHeader, port, pathAndQuery] = /^http:\/\/([^/]+:(\d+))(\/.*)$/.exec(tos.getPreSignedUrl({ bucket, key: 'ranged' }))!;
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // Virtual-hosted URL on an IP: connect to the IP, send the signed Host header as is.
      const headers = { host: hostHeader, range: 'bytes=20000-' };
      http.get({ host: '127.0.0.1', port, path: pathAndQuery, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    expect(raw.status).toBe(416);
    expect((JSON.parse(raw.body) as { Code: string }).Code).toBe(TosServerCode.RequestedRangeNotSatisfiable);
  });

  it('stores an empty object with CRC 0', async () => {
    const put = await tos.putObject({ bucket, key: 'empty' });
    expect(put.data['x-tos-hash-crc64ecma']).toBe('0');
    expect((await tos.headObject({ bucket, key: 'empty' })).data['content-length']).toBe('0');
  });

  it('deletes single objects (204, also for a missing key) and many at once', async () => {
    await tos.putObject({ bucket, key: 'gone', body: Buffer.from('x') });
    expect((await tos.deleteObject({ bucket, key: 'gone' })).statusCode).toBe(204);
    expect(await tosFailure(tos.headObject({ bucket, key: 'gone' }))).toMatchObject({ statusCode: 404 });
    expect((await tos.deleteObject({ bucket, key: 'never-was' })).statusCode).toBe(204);

    for (const k of ['m/1', 'm/2', 'm/3']) await tos.putObject({ bucket, key: k, body: Buffer.from(k) });
    const multi = await tos.deleteMultiObjects({ bucket, objects: [{ key: 'm/1' }, { key: 'm/3' }, { key: 'm/none' }] });
    expect(multi.data.Deleted.map((d) => d.Key).sort()).toEqual(['m/1', 'm/3', 'm/none']);
    expect(multi.data.Error).toEqual([]);
    const left = await tos.listObjectsType2({ bucket, prefix: 'm/' });
    expect(left.data.Contents.map((c) => c.Key)).toEqual(['m/2']);
  });

  it('reports missing keys as 404 on head, get and NoSuchKey where a body is parsed', async () => {
    expect(await tosFailure(tos.headObject({ bucket, key: 'missing' }))).toMatchObject({ statusCode: 404 });
    expect(await tosFailure(tos.getObjectV2({ bucket, key: 'missing', dataType: 'buffer' }))).toMatchObject({ statusCode: 404 });
    expect(await tosFailure(tos.listParts({ bucket, key: 'missing', uploadId: '0'.repeat(32) }))).toMatchObject({
      statusCode: 404,
      code: 'NoSuchUpload',
    });
  });

  it('rejects a body whose declared CRC64 or Content-MD5 does not match with 400 BadDigest and stores nothing', async () => {
    const body = Buffer.from('payload');
    const wrongCrc = await tosFailure(tos.putObject({ bucket, key: 'bad-crc', body, headers: { 'x-tos-hash-crc64ecma': '12345' } }));
    expect(wrongCrc).toMatchObject({ statusCode: 400, code: 'BadDigest' });
    expect(wrongCrc.message).toContain(crc64(body));
    const wrongMd5 = await tosFailure(
      tos.putObject({ bucket, key: 'bad-crc', body, headers: { 'content-md5': createHash('md5').update('other').digest('base64') } }),
    );
    expect(wrongMd5).toMatchObject({ statusCode: 400, code: 'BadDigest' });
    expect(await tosFailure(tos.headObject({ bucket, key: 'bad-crc' }))).toMatchObject({ statusCode: 404 });

    const ok = await tos.putObject({
      bucket,
      key: 'good-digests',
      body,
      headers: { 'x-tos-hash-crc64ecma': crc64(body), 'content-md5': createHash('md5').update(body).digest('base64') },
    });
    expect(ok.statusCode).toBe(200);
  });
});

describe('listObjectsType2', () => {
  const bucket = 'listing';
  const keys = [
    ...Array.from({ length: 23 }, (_, i) => `model/shard-${String(i).padStart(2, '0')}.safetensors`),
    'model/config.json',
    'model/sub/a.txt',
    'model/sub/b.txt',
    'model/zz/c.txt',
    'other/x',
    'top.txt',
  ];
  beforeAll(async () => {
    await tos.createBucket({ bucket });
    for (const key of keys) await tos.putObject({ bucket, key, body: Buffer.from(key) });
  });

  it('pages with max-keys and continuation tokens, numeric KeyCount, until the listing is complete', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await tos.listObjectsType2({ bucket, prefix: 'model/', maxKeys: 10, listOnlyOnce: true, ...(token ? { continuationToken: token } : {}) });
      pages += 1;
      expect(typeof page.data.KeyCount).toBe('number');
      expect(page.data.KeyCount).toBe(page.data.Contents.length);
      seen.push(...page.data.Contents.map((c) => c.Key));
      token = page.data.IsTruncated ? page.data.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys.filter((k) => k.startsWith('model/')).sort());
  });

  it('rolls keys up into common prefixes with a delimiter, counting each once across pages', async () => {
    const first = await tos.listObjectsType2({ bucket, prefix: 'model/', delimiter: '/', maxKeys: 24, listOnlyOnce: true });
    expect(first.data.Contents).toHaveLength(24);
    expect(first.data.IsTruncated).toBe(true);
    const second = await tos.listObjectsType2({
      bucket,
      prefix: 'model/',
      delimiter: '/',
      maxKeys: 24,
      listOnlyOnce: true,
      continuationToken: first.data.NextContinuationToken!,
    });
    expect(second.data.CommonPrefixes.map((p) => p.Prefix)).toEqual(['model/sub/', 'model/zz/']);
    expect(second.data.Contents).toEqual([]);
    expect(second.data.IsTruncated).toBe(false);

    const top = await tos.listObjectsType2({ bucket, delimiter: '/' });
    expect(top.data.CommonPrefixes.map((p) => p.Prefix)).toEqual(['model/', 'other/']);
    expect(top.data.Contents.map((c) => c.Key)).toEqual(['top.txt']);
  });

  it('lets the SDK auto-paginate and honours start-after', async () => {
    const all = await tos.listObjectsType2({ bucket });
    expect(all.data.Contents.map((c) => c.Key)).toEqual([...keys].sort());
    const after = await tos.listObjectsType2({ bucket, prefix: 'model/', startAfter: 'model/sub/a.txt' });
    expect(after.data.Contents.map((c) => c.Key)).toEqual(['model/sub/b.txt', 'model/zz/c.txt']);
    expect(after.data.Contents[0]!.HashCrc64ecma).toBe(crc64(Buffer.from('model/sub/b.txt')));
  });
});

describe('multipart uploads', () => {
  const bucket = 'multipart';
  beforeAll(() => tos.createBucket({ bucket }));

  it('completes from parts uploaded and listed out of order, with the combined CRC64 of the whole', async () => {
    const parts = [pattern(5 * MiB, 1), pattern(5 * MiB, 2), pattern(1234, 3)];
    const whole = Buffer.concat(parts);
    const { data: created } = await tos.createMultipartUpload({ bucket, key: 'mp/weights.bin', meta: { run: '42' } });
    const uploaded = [];
    for (const n of [3, 1, 2]) {
      const res = await tos.uploadPart({ bucket, key: 'mp/weights.bin', uploadId: created.UploadId, partNumber: n, body: parts[n - 1]! });
      expect(res.data.ETag).toMatch(/^".+"$/);
      expect(res.data.hashCrc64ecma).toBe(crc64(parts[n - 1]!));
      uploaded.push({ partNumber: n, eTag: res.data.ETag });
    }
    const listed = await tos.listParts({ bucket, key: 'mp/weights.bin', uploadId: created.UploadId });
    expect(listed.data.Parts.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 5 * MiB], [2, 5 * MiB], [3, 1234]]);

    const done = await tos.completeMultipartUpload({ bucket, key: 'mp/weights.bin', uploadId: created.UploadId, parts: uploaded });
    expect(done.data.HashCrc64ecma).toBe(crc64(whole));
    expect(done.data.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);

    const head = await tos.headObject({ bucket, key: 'mp/weights.bin' });
    expect(head.data).toMatchObject({ 'content-length': String(whole.length), 'x-tos-hash-crc64ecma': crc64(whole), 'x-tos-meta-run': '42' });
    const across = await tos.getObjectV2({ bucket, key: 'mp/weights.bin', dataType: 'buffer', rangeStart: 5 * MiB - 10, rangeEnd: 10 * MiB + 9 });
    expect(Buffer.compare(across.data.content, whole.subarray(5 * MiB - 10, 10 * MiB + 10))).toBe(0);
    expect(await tosFailure(tos.listParts({ bucket, key: 'mp/weights.bin', uploadId: created.UploadId }))).toMatchObject({
      statusCode: 404,
      code: 'NoSuchUpload',
    });
  });

  it('refuses a wrong ETag (InvalidPart) and a small non-last part (EntityTooSmall), keeping the upload', async () => {
    const key = 'mp/refused';
    const { data: created } = await tos.createMultipartUpload({ bucket, key });
    const p1 = await tos.uploadPart({ bucket, key, uploadId: created.UploadId, partNumber: 1, body: Buffer.from('tiny') });
    const p2 = await tos.uploadPart({ bucket, key, uploadId: created.UploadId, partNumber: 2, body: Buffer.from('tail') });
    expect(
      await tosFailure(tos.completeMultipartUpload({ bucket, key, uploadId: created.UploadId, parts: [{ partNumber: 1, eTag: '"0000"' }] })),
    ).toMatchObject({ statusCode: 400, code: 'InvalidPart' });
    expect(
      await tosFailure(
        tos.completeMultipartUpload({
          bucket,
          key,
          uploadId: created.UploadId,
          parts: [
            { partNumber: 2, eTag: p2.data.ETag },
            { partNumber: 1, eTag: p1.data.ETag },
          ],
        }),
      ),
    ).toMatchObject({ statusCode: 400, code: 'EntityTooSmall' });
    // A single small part is fine: it is the last one.
    const single = await tos.completeMultipartUpload({ bucket, key, uploadId: created.UploadId, parts: [{ partNumber: 2, eTag: p2.data.ETag }] });
    expect(single.data.HashCrc64ecma).toBe(crc64(Buffer.from('tail')));
  });

  it('aborts an upload, after which it is NoSuchUpload everywhere', async () => {
    const key = 'mp/aborted';
    const { data: created } = await tos.createMultipartUpload({ bucket, key });
    await tos.uploadPart({ bucket, key, uploadId: created.UploadId, partNumber: 1, body: Buffer.from('x') });
    const uploads = await tos.listMultipartUploads({ bucket, prefix: 'mp/aborted' });
    expect(uploads.data.Uploads.map((u) => u.UploadId)).toEqual([created.UploadId]);
    expect((await tos.abortMultipartUpload({ bucket, key, uploadId: created.UploadId })).statusCode).toBe(204);
    for (const call of [
      tos.abortMultipartUpload({ bucket, key, uploadId: created.UploadId }),
      tos.uploadPart({ bucket, key, uploadId: created.UploadId, partNumber: 2, body: Buffer.from('y') }),
      tos.completeMultipartUpload({ bucket, key, uploadId: created.UploadId, parts: [{ partNumber: 1, eTag: '"x"' }] }),
    ]) {
      expect(await tosFailure(call)).toMatchObject({ statusCode: 404, code: 'NoSuchUpload' });
    }
    expect((await tos.listMultipartUploads({ bucket, prefix: 'mp/aborted' })).data.Uploads).toEqual([]);
  });
});

describe('authentication', () => {
  beforeAll(() => tos.createBucket({ bucket: 'auth' }));

  it('rejects a wrong secret with 403 SignatureDoesNotMatch', async () => {
    const wrong = harness.client({ accessKeySecret: 'definitely-not-the-secret' });
    expect(await tosFailure(wrong.listObjectsType2({ bucket: 'auth' }))).toMatchObject({ statusCode: 403, code: 'SignatureDoesNotMatch' });
    expect(await tosFailure(wrong.headBucket('auth'))).toMatchObject({ statusCode: 403 });
  });

  it('rejects an unknown access key with 403 InvalidAccessKeyId', async () => {
    const stranger = harness.client({ accessKeyId: 'AKLTstranger' });
    expect(await tosFailure(stranger.putObject({ bucket: 'auth', key: 'k', body: Buffer.from('x') }))).toMatchObject({
      statusCode: 403,
      code: 'InvalidAccessKeyId',
    });
  });

  it('verifies requests that arrive virtual-hosted through a proxy', async () => {
    const viaProxy = new TosClient({
      accessKeyId: harness.ark.credential.accessKeyId,
      accessKeySecret: harness.ark.credential.secretAccessKey,
      region: harness.ark.region,
      secure: false,
      proxy: `http://${harness.ark.tosEndpoint}`,
    });
    await viaProxy.putObject({ bucket: 'auth', key: 'via/proxy.txt', body: Buffer.from('proxied') });
    const got = await tos.getObjectV2({ bucket: 'auth', key: 'via/proxy.txt', dataType: 'buffer' });
    expect(got.data.content.toString()).toBe('proxied');
  });
});

describe('fault injection', () => {
  beforeAll(() => tos.createBucket({ bucket: 'faults' }));
  afterEach(() => harness.clearFaults());

  it('throttles with 429 TooManyRequests, which the SDK retries to success', async () => {
    const rule = await harness.addFault({ service: 'tos', operation: 'PutObject', kind: 'throttle', count: 2 });
    await tos.putObject({ bucket: 'faults', key: 'retried', body: Buffer.from('x') });
    expect(await harness.fired(rule)).toBe(2);
    expect((await tos.headObject({ bucket: 'faults', key: 'retried' })).statusCode).toBe(200);
  });

  it('answers server-error faults with 503 ServiceUnavailable once retries are exhausted', async () => {
    await harness.addFault({ service: 'tos', operation: 'ListObjectsType2', kind: 'server-error' });
    expect(await tosFailure(tos.listObjectsType2({ bucket: 'faults' }))).toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
  });
});
