import { createHash } from 'node:crypto';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { crc64 } from '../../provider/api/crc64';
import { TosStorage } from '../../provider/clients/tos/client';
import { TosCallError } from '../../provider/clients/tos/errors';

/** TosStorage's copy and ranged-read calls (issue 20) against ark-local, through the official SDK. */

const MiB = 1024 * 1024;
jest.setTimeout(60_000);

function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 131 + seed * 7 + (i >> 9)) & 0xff;
  return buf;
}

let ark: ArkLocal;
let storage: TosStorage;
const body = pattern(11 * MiB + 5, 1);

beforeAll(async () => {
  ark = await startArkLocal({ quiet: true });
  storage = new TosStorage(ark.providerSettings(), { retry: { maxAttempts: 3, maxThrottleAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
  await storage.createBucket('weights');
  await storage.createBucket('serving');
  await storage.sdk.putObject({ bucket: 'weights', key: 'm/model.bin', body, meta: { stage: 'sft' } });
});
afterAll(() => ark.close());

describe('TosStorage.copyObject', () => {
  it('copies server-side with the source CRC64, replacing the metadata', async () => {
    const head = await storage.head('weights', 'm/model.bin');
    const result = await storage.copyObject({ bucket: 'weights', key: 'm/model.bin', ifMatch: head!.etag }, { bucket: 'serving', key: 'v1/model.bin' }, { fingerprint: 'abc' });
    expect(result.crc64).toBe(crc64(body));
    expect(result.etag).toBe(head!.etag);
    expect(await storage.head('serving', 'v1/model.bin')).toMatchObject({ size: body.length, crc64: crc64(body), meta: { fingerprint: 'abc' } });
  });

  it('fails at once with code PreconditionFailed when the source no longer matches ifMatch', async () => {
    const attempts: number[] = [];
    const watched = new TosStorage(ark.providerSettings(), { retry: { maxAttempts: 3, maxThrottleAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, onRetry: (i) => attempts.push(i.attempt) });
    const error = await watched.copyObject({ bucket: 'weights', key: 'm/model.bin', ifMatch: '"0123456789abcdef0123456789abcdef"' }, { bucket: 'serving', key: 'stale' }, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TosCallError);
    expect(error).toMatchObject({ code: 'PreconditionFailed', statusCode: 412 });
    expect(attempts).toEqual([]);
  });

  it("fails at once with AccessDenied on another account's bucket", async () => {
    await ark.admin.createBucket({ name: 'foreign-weights', region: ark.region, account: '2100000007' });
    await ark.admin.seedObject({ bucket: 'foreign-weights', key: 'w.bin', size: 10, head: Buffer.from('x') });
    const attempts: number[] = [];
    const watched = new TosStorage(ark.providerSettings(), { retry: { maxAttempts: 3, maxThrottleAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, onRetry: (i) => attempts.push(i.attempt) });
    await expect(watched.copyObject({ bucket: 'foreign-weights', key: 'w.bin' }, { bucket: 'serving', key: 'stolen' }, {})).rejects.toMatchObject({
      code: 'AccessDenied',
      statusCode: 403,
    });
    expect(attempts).toEqual([]);
  });
});

describe('TosStorage.uploadPartCopy', () => {
  it('copies inclusive ranges into parts that complete into an object with the source CRC64', async () => {
    const uploadId = await storage.createMultipartUpload('serving', 'v2/model.bin', { fingerprint: 'def' });
    const ranges = [{ start: 0, end: 6 * MiB - 1 }, { start: 6 * MiB, end: body.length - 1 }];
    const parts = [];
    for (const [i, range] of ranges.entries()) {
      const part = await storage.uploadPartCopy({ bucket: 'weights', key: 'm/model.bin' }, { bucket: 'serving', key: 'v2/model.bin', uploadId, partNumber: i + 1 }, range);
      const bytes = body.subarray(range.start, range.end + 1);
      expect(part).toEqual({ etag: `"${createHash('md5').update(bytes).digest('hex')}"`, crc64: crc64(bytes) });
      parts.push({ partNumber: i + 1, etag: part.etag });
    }
    expect((await storage.listParts('serving', 'v2/model.bin', uploadId)).map((p) => p.size)).toEqual([6 * MiB, body.length - 6 * MiB]);
    expect((await storage.completeMultipartUpload('serving', 'v2/model.bin', uploadId, parts)).crc64).toBe(crc64(body));
  });

  it('fails with PreconditionFailed when the source no longer matches ifMatch', async () => {
    const uploadId = await storage.createMultipartUpload('serving', 'v3/model.bin', {});
    await expect(
      storage.uploadPartCopy({ bucket: 'weights', key: 'm/model.bin', ifMatch: '"stale"' }, { bucket: 'serving', key: 'v3/model.bin', uploadId, partNumber: 1 }, { start: 0, end: 9 }),
    ).rejects.toMatchObject({ code: 'PreconditionFailed', statusCode: 412 });
  });
});

describe('TosStorage.getRange', () => {
  it('reads a range, fewer bytes where the object ends, none past its end', async () => {
    expect((await storage.getRange('weights', 'm/model.bin', 1000, 64)).equals(body.subarray(1000, 1064))).toBe(true);
    expect((await storage.getRange('weights', 'm/model.bin', body.length - 10, 64)).equals(body.subarray(body.length - 10))).toBe(true);
    expect(await storage.getRange('weights', 'm/model.bin', body.length, 64)).toHaveLength(0);
    expect(await storage.getRange('weights', 'm/model.bin', 0, 0)).toHaveLength(0);
  });

  it('reads the header of a seeded 16 GiB file without the zeros behind it', async () => {
    const head = Buffer.from('{"__metadata__":{}}');
    await ark.admin.seedObject({ bucket: 'weights', key: 'big.safetensors', size: 16 * 1024 * MiB, head });
    expect((await storage.getRange('weights', 'big.safetensors', 0, head.length)).equals(head)).toBe(true);
    expect((await storage.getRange('weights', 'big.safetensors', 8 * 1024 * MiB, 16)).equals(Buffer.alloc(16))).toBe(true);
  });
});
