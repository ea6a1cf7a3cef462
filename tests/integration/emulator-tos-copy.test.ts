import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TosClient } from '@volcengine/tos-sdk';
import { crc64 } from '../../provider/api/crc64';
import { startTosHarness, tosFailure, type TosHarness } from './emulator-tos-harness';

/** Server-side copies (CopyObject, UploadPartCopy), foreign and far buckets, seeded objects: the official SDK against ark-local. */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
jest.setTimeout(60_000);

function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  return buf;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function read(tos: TosClient, bucket: string, key: string, range?: [number, number]): Promise<Buffer> {
  const res = await tos.getObjectV2({ bucket, key, dataType: 'buffer', ...(range ? { rangeStart: range[0], rangeEnd: range[1] } : {}) });
  return res.data.content as Buffer;
}

/** Copies `source` into `target` with UploadPartCopy in parts of `partSize`, then completes. */
async function partCopy(tos: TosClient, source: { bucket: string; key: string }, target: { bucket: string; key: string }, size: number, partSize: number) {
  const { UploadId } = (await tos.createMultipartUpload({ ...target })).data;
  const parts: { partNumber: number; eTag: string }[] = [];
  for (let start = 0, n = 1; start < size; start += partSize, n++) {
    const end = Math.min(size, start + partSize) - 1;
    const res = await tos.uploadPartCopy({ ...target, uploadId: UploadId, partNumber: n, srcBucket: source.bucket, srcKey: source.key, copySourceRangeStart: start, copySourceRangeEnd: end });
    parts.push({ partNumber: n, eTag: res.data.ETag });
  }
  return { uploadId: UploadId, parts, complete: () => tos.completeMultipartUpload({ ...target, uploadId: UploadId, parts }) };
}

let harness: TosHarness;
let tos: TosClient;
const src = 'copy-src';
const dst = 'copy-dst';

beforeAll(async () => {
  harness = await startTosHarness();
  tos = harness.client();
  await tos.createBucket({ bucket: src });
  await tos.createBucket({ bucket: dst });
});
afterAll(() => harness.close());

describe('CopyObject', () => {
  const body = pattern(300_000, 3);
  const key = 'weights/a b+(1).bin';
  beforeAll(() => tos.putObject({ bucket: src, key, body, meta: { stage: 'sft' }, contentType: 'application/x-weights' }));

  it('copies with the source ETag, CRC64 and (COPY directive) metadata, answering {ETag, LastModified}', async () => {
    const res = await tos.copyObject({ bucket: dst, key: 'serving/w.bin', srcBucket: src, srcKey: key });
    expect(res.statusCode).toBe(200);
    expect(res.data.ETag).toBe(`"${md5(body)}"`);
    expect(typeof (res.data as unknown as { LastModified: string }).LastModified).toBe('string');
    expect(res.headers['x-tos-hash-crc64ecma']).toBe(crc64(body));
    expect((await read(tos, dst, 'serving/w.bin')).equals(body)).toBe(true);
    const head = await tos.headObject({ bucket: dst, key: 'serving/w.bin' });
    expect(head.data).toMatchObject({ 'content-type': 'application/x-weights', 'x-tos-meta-stage': 'sft', 'x-tos-hash-crc64ecma': crc64(body) });
  });

  it('replaces the metadata with REPLACE, and refuses a copy onto itself without it (400 InvalidRequest)', async () => {
    await tos.copyObject({ bucket: dst, key: 'replaced', srcBucket: src, srcKey: key, metadataDirective: 'REPLACE', meta: { owner: 'pulumi-ark' } });
    const head = (await tos.headObject({ bucket: dst, key: 'replaced' })).data as unknown as Record<string, string>;
    expect(head['x-tos-meta-owner']).toBe('pulumi-ark');
    expect(head['x-tos-meta-stage']).toBeUndefined();
    expect(await tosFailure(tos.copyObject({ bucket: src, key, srcBucket: src, srcKey: key }))).toMatchObject({ statusCode: 400, code: 'InvalidRequest' });
    await tos.copyObject({ bucket: src, key, srcBucket: src, srcKey: key, metadataDirective: 'REPLACE', meta: { stage: 'sft' }, contentType: 'application/x-weights' });
    expect((await read(tos, src, key)).equals(body)).toBe(true);
  });

  it('checks x-tos-copy-source-if-* conditions; each failure is 412 PreconditionFailed and copies nothing', async () => {
    const etag = `"${md5(body)}"`;
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    const attempt = (key2: string, conditions: Record<string, unknown>) => tos.copyObject({ bucket: dst, key: key2, srcBucket: src, srcKey: key, ...conditions });
    for (const conditions of [
      { copySourceIfMatch: '"0123456789abcdef0123456789abcdef"' },
      { copySourceIfNoneMatch: etag },
      { copySourceIfModifiedSince: future },
      { copySourceIfUnmodifiedSince: past.toUTCString() },
    ]) {
      expect(await tosFailure(attempt('cond-fail', conditions))).toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
    }
    expect(await tos.doesObjectExist({ bucket: dst, key: 'cond-fail' })).toBe(false);
    await attempt('cond-ok', { copySourceIfMatch: etag, copySourceIfModifiedSince: past, copySourceIfNoneMatch: '"other"' });
    await attempt('cond-ok-bare', { copySourceIfMatch: md5(body) });
    expect(await tos.doesObjectExist({ bucket: dst, key: 'cond-ok' })).toBe(true);
  });

  it('answers a missing source key with 404 NoSuchKey naming the source, and a missing source bucket with 404 NoSuchBucket', async () => {
    const missing = await tosFailure(tos.copyObject({ bucket: dst, key: 'x', srcBucket: src, srcKey: 'no/such.bin' }));
    expect(missing).toMatchObject({ statusCode: 404, code: 'NoSuchKey' });
    expect(missing.message).toContain('no/such.bin');
    expect(await tosFailure(tos.copyObject({ bucket: dst, key: 'x', srcBucket: 'no-such-src', srcKey: key }))).toMatchObject({ statusCode: 404, code: 'NoSuchBucket' });
  });

  it('keeps the copy readable after the source is deleted (the copy shares its blobs)', async () => {
    await tos.putObject({ bucket: src, key: 'short-lived', body: pattern(70_000, 9) });
    await tos.copyObject({ bucket: dst, key: 'survivor', srcBucket: src, srcKey: 'short-lived' });
    await tos.deleteObject({ bucket: src, key: 'short-lived' });
    await tos.putObject({ bucket: dst, key: 'other', body: Buffer.from('x') });
    expect((await read(tos, dst, 'survivor')).equals(pattern(70_000, 9))).toBe(true);
    await tos.copyObject({ bucket: dst, key: 'survivor-2', srcBucket: dst, srcKey: 'survivor' });
    await tos.deleteObject({ bucket: dst, key: 'survivor' });
    expect((await read(tos, dst, 'survivor-2')).equals(pattern(70_000, 9))).toBe(true);
  });

  it('is a fault-injection operation of its own (CopyObject), throttled and retried by the SDK', async () => {
    const rule = await harness.addFault({ service: 'tos', operation: 'CopyObject', kind: 'throttle', count: 2 });
    await tos.copyObject({ bucket: dst, key: 'after-throttle', srcBucket: src, srcKey: key });
    expect(await harness.fired(rule)).toBe(2);
    await harness.clearFaults();
    await harness.addFault({ service: 'tos', operation: 'UploadPartCopy', kind: 'server-error' });
    const { UploadId } = (await tos.createMultipartUpload({ bucket: dst, key: 'faulted' })).data;
    expect(
      await tosFailure(tos.uploadPartCopy({ bucket: dst, key: 'faulted', uploadId: UploadId, partNumber: 1, srcBucket: src, srcKey: key })),
    ).toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
    await harness.clearFaults();
  });
});

describe('UploadPartCopy', () => {
  const size = 12 * MiB + 123;
  const body = pattern(size, 11);
  beforeAll(() => tos.putObject({ bucket: src, key: 'big.bin', body }));

  it('copies ranges into parts with their MD5 ETag and CRC64; the completed object has the source CRC64', async () => {
    const copy = await partCopy(tos, { bucket: src, key: 'big.bin' }, { bucket: dst, key: 'big-copy.bin' }, size, 5 * MiB);
    expect(copy.parts.map((p) => p.eTag)).toEqual([
      `"${md5(body.subarray(0, 5 * MiB))}"`,
      `"${md5(body.subarray(5 * MiB, 10 * MiB))}"`,
      `"${md5(body.subarray(10 * MiB))}"`,
    ]);
    const listed = (await tos.listParts({ bucket: dst, key: 'big-copy.bin', uploadId: copy.uploadId })).data.Parts;
    expect(listed.map((p) => [p.PartNumber, p.Size, (p as unknown as { HashCrc64ecma: string }).HashCrc64ecma])).toEqual([
      [1, 5 * MiB, crc64(body.subarray(0, 5 * MiB))],
      [2, 5 * MiB, crc64(body.subarray(5 * MiB, 10 * MiB))],
      [3, size - 10 * MiB, crc64(body.subarray(10 * MiB))],
    ]);
    const done = await copy.complete();
    expect(done.data.HashCrc64ecma).toBe(crc64(body));
    await tos.deleteObject({ bucket: src, key: 'big.bin' });
    expect((await read(tos, dst, 'big-copy.bin')).equals(body)).toBe(true);
    await tos.putObject({ bucket: src, key: 'big.bin', body });
  });

  it('refuses a copy range outside the source (400 InvalidArgument) and a failed if-match (412)', async () => {
    const { UploadId } = (await tos.createMultipartUpload({ bucket: dst, key: 'bad-range' })).data;
    const part = (input: Record<string, unknown>) =>
      tos.uploadPartCopy({ bucket: dst, key: 'bad-range', uploadId: UploadId, partNumber: 1, srcBucket: src, srcKey: 'big.bin', ...input });
    expect(await tosFailure(part({ copySourceRangeStart: 0, copySourceRangeEnd: size }))).toMatchObject({ statusCode: 400, code: 'InvalidArgument' });
    expect(await tosFailure(part({ headers: { 'x-tos-copy-source-if-match': '"nope"' } }))).toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
  });

  it("works under the SDK's resumableCopyObject, whose CRC64 check (enableCRC) passes", async () => {
    const res = await tos.resumableCopyObject({ bucket: dst, key: 'resumable.bin', srcBucket: src, srcKey: 'big.bin', partSize: 5 * MiB, taskNum: 2 });
    expect(res.data.HashCrc64ecma).toBe(crc64(body));
    expect((await read(tos, dst, 'resumable.bin')).equals(body)).toBe(true);
  });
});

describe('buckets of another region or account', () => {
  it('refuses a copy from a bucket in another region with 400 InvalidRequest', async () => {
    await harness.ark.admin.createBucket({ name: 'far-away', region: 'cn-shanghai' });
    expect((await tos.headBucket('far-away')).data['x-tos-bucket-region']).toBe('cn-shanghai');
    await harness.ark.admin.seedObject({ bucket: 'far-away', key: 'w.bin', size: 10, head: Buffer.from('far') });
    expect(await tosFailure(tos.copyObject({ bucket: dst, key: 'from-far', srcBucket: 'far-away', srcKey: 'w.bin' }))).toMatchObject({
      statusCode: 400,
      code: 'InvalidRequest',
    });
  });

  it("answers every request with ark-local's keys on another account's bucket with 403 AccessDenied", async () => {
    const made = await harness.ark.admin.createBucket({ name: 'their-models', region: harness.ark.region, account: '2100000042' });
    expect(made).toEqual({ Name: 'their-models', Region: harness.ark.region, Account: '2100000042' });
    await harness.ark.admin.seedObject({ bucket: 'their-models', key: 'w.bin', size: 100, head: Buffer.from('secret') });
    expect(await tosFailure(tos.headBucket('their-models'))).toMatchObject({ statusCode: 403 });
    expect(await tosFailure(tos.listObjectsType2({ bucket: 'their-models' }))).toMatchObject({ statusCode: 403, code: 'AccessDenied' });
    expect(await tosFailure(tos.headObject({ bucket: 'their-models', key: 'w.bin' }))).toMatchObject({ statusCode: 403 });
    expect(await tosFailure(tos.getObjectV2({ bucket: 'their-models', key: 'w.bin' }))).toMatchObject({ statusCode: 403 });
    expect(await tosFailure(tos.copyObject({ bucket: dst, key: 'stolen', srcBucket: 'their-models', srcKey: 'w.bin' }))).toMatchObject({
      statusCode: 403,
      code: 'AccessDenied',
    });
    expect(await tosFailure(tos.createBucket({ bucket: 'their-models' }))).toMatchObject({ statusCode: 409, code: 'BucketAlreadyExists' });
    expect((await tos.listBuckets()).data.Buckets.map((b) => b.Name)).not.toContain('their-models');
  });
});

describe('seeded objects', () => {
  it('have the CRC64 and bytes of head + zeros (checked against the bytes for a small one)', async () => {
    const head = pattern(1000, 5);
    const size = 3 * MiB + 17;
    const seeded = await harness.ark.admin.seedObject({ bucket: src, key: 'small-seed.bin', size, head, meta: { kind: 'seeded' } });
    const bytes = Buffer.concat([head, Buffer.alloc(size - head.length)]);
    expect(seeded).toMatchObject({ Size: size, HashCrc64ecma: crc64(bytes) });
    expect(seeded.ETag).toMatch(/^"[0-9a-f]{32}-1"$/);
    expect((await read(tos, src, 'small-seed.bin')).equals(bytes)).toBe(true);
    expect((await tos.headObject({ bucket: src, key: 'small-seed.bin' })).data).toMatchObject({ 'x-tos-meta-kind': 'seeded', etag: seeded.ETag });
  });

  it('make a 16 GiB model file in milliseconds that HEAD, ranged GET, listing and part copies serve like any object', async () => {
    const header = Buffer.from(JSON.stringify({ 'w.weight': { dtype: 'BF16', shape: [65536, 65536], data_offsets: [0, 8 * GiB] } }));
    const head = Buffer.concat([Buffer.alloc(8), header]);
    head.writeBigUInt64LE(BigInt(header.length));
    const size = 16 * GiB;
    const started = Date.now();
    const seeded = await harness.ark.admin.seedObject({ bucket: src, key: 'huge/model.safetensors', size, head });
    expect(Date.now() - started).toBeLessThan(5_000);

    expect((await tos.headObject({ bucket: src, key: 'huge/model.safetensors' })).data).toMatchObject({
      'content-length': String(size),
      'x-tos-hash-crc64ecma': seeded.HashCrc64ecma,
    });
    expect((await read(tos, src, 'huge/model.safetensors', [0, head.length - 1])).equals(head)).toBe(true);
    expect((await read(tos, src, 'huge/model.safetensors', [10 * GiB, 10 * GiB + 4095])).equals(Buffer.alloc(4096))).toBe(true);
    const around = await read(tos, src, 'huge/model.safetensors', [head.length - 4, head.length + 3]);
    expect(around.equals(Buffer.concat([head.subarray(-4), Buffer.alloc(4)]))).toBe(true);
    const listed = (await tos.listObjectsType2({ bucket: src, prefix: 'huge/' })).data.Contents;
    expect(listed.map((o) => [o.Key, Number(o.Size)])).toEqual([['huge/model.safetensors', size]]);

    // One CopyObject takes at most 5 GiB: bigger sources are copied part by part.
    expect(await tosFailure(tos.copyObject({ bucket: dst, key: 'huge.safetensors', srcBucket: src, srcKey: 'huge/model.safetensors' }))).toMatchObject({
      statusCode: 400,
      code: 'InvalidRequest',
    });
    const { UploadId } = (await tos.createMultipartUpload({ bucket: dst, key: 'huge-head.bin' })).data;
    const part = await tos.uploadPartCopy({
      bucket: dst, key: 'huge-head.bin', uploadId: UploadId, partNumber: 1, srcBucket: src, srcKey: 'huge/model.safetensors', copySourceRangeStart: 0, copySourceRangeEnd: MiB - 1,
    });
    const firstMiB = Buffer.concat([head, Buffer.alloc(MiB - head.length)]);
    expect(part.data.ETag).toBe(`"${md5(firstMiB)}"`);
    expect(part.headers['x-tos-hash-crc64ecma']).toBe(crc64(firstMiB));
  });
});

describe('with a data directory', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ark-copy-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps copies readable after the source is deleted and ark-local restarts, and frees blobs once nothing uses them', async () => {
    const first = await startTosHarness({ dataDir });
    const client = first.client();
    const body = pattern(11 * MiB, 21);
    const head = Buffer.from('seeded head');
    try {
      await client.createBucket({ bucket: 'kept' });
      await client.putObject({ bucket: 'kept', key: 'src.bin', body });
      await first.ark.admin.seedObject({ bucket: 'kept', key: 'seed.bin', size: 2 * MiB, head });
      await client.copyObject({ bucket: 'kept', key: 'whole.bin', srcBucket: 'kept', srcKey: 'src.bin' });
      await client.copyObject({ bucket: 'kept', key: 'seed-copy.bin', srcBucket: 'kept', srcKey: 'seed.bin' });
      await (await partCopy(client, { bucket: 'kept', key: 'src.bin' }, { bucket: 'kept', key: 'parts.bin' }, body.length, 5 * MiB)).complete();
      await client.deleteMultiObjects({ bucket: 'kept', objects: [{ key: 'src.bin' }, { key: 'seed.bin' }] });
    } finally {
      await first.close();
    }

    const second = await startTosHarness({ dataDir });
    try {
      const again = second.client();
      expect((await read(again, 'kept', 'whole.bin')).equals(body)).toBe(true);
      expect((await read(again, 'kept', 'parts.bin')).equals(body)).toBe(true);
      expect((await read(again, 'kept', 'seed-copy.bin')).equals(Buffer.concat([head, Buffer.alloc(2 * MiB - head.length)]))).toBe(true);
      const blobDir = join(dataDir, 'tos', 'blobs');
      // src.bin's blob (shared by both copies) and the seed's head blob.
      expect(readdirSync(blobDir)).toHaveLength(2);
      await again.deleteMultiObjects({ bucket: 'kept', objects: [{ key: 'whole.bin' }, { key: 'parts.bin' }, { key: 'seed-copy.bin' }] });
      expect(readdirSync(blobDir)).toHaveLength(0);
    } finally {
      await second.close();
    }
  });
});
