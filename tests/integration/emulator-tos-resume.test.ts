import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelToken, type TosClient } from '@volcengine/tos-sdk';
import { crc64 } from '../../provider/api/crc64';
import { startTosHarness, type TosHarness } from './emulator-tos-harness';

/**
 * uploadFile (parallel multipart, checkpoint resume) and persistence across an ark-local restart, with the
 * official SDK. Requests per operation are counted with latency-0 fault rules, which match without changing
 * anything.
 */

const MiB = 1024 * 1024;
const PART = 5 * MiB;
// jest ignores `testTimeout` inside a project entry; these upload tens of MiB through the SDK.
jest.setTimeout(60_000);

let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tos-resume-'));
});
afterAll(() => fs.rm(workDir, { recursive: true, force: true }));

async function writeFileOfSize(name: string, size: number, seed: number): Promise<{ file: string; data: Buffer }> {
  // Distinct content per part (so a misplaced part changes the CRC), without a per-byte JS loop.
  const data = Buffer.alloc(size);
  const block = createHash('sha512').update(`seed-${seed}`).digest();
  for (let offset = 0; offset < size; offset += 4096) {
    data.fill(Buffer.concat([block, Buffer.from(String(offset))]), offset, Math.min(size, offset + 4096));
  }
  const file = path.join(workDir, name);
  await fs.writeFile(file, data);
  return { file, data };
}

async function readAll(tos: TosClient, bucket: string, key: string): Promise<Buffer> {
  return (await tos.getObjectV2({ bucket, key, dataType: 'buffer' })).data.content;
}

describe('uploadFile against the emulator', () => {
  let harness: TosHarness;
  let tos: TosClient;
  const bucket = 'upload-file';

  beforeAll(async () => {
    harness = await startTosHarness();
    tos = harness.client();
    await tos.createBucket({ bucket });
  });
  afterAll(() => harness.close());
  afterEach(() => harness.clearFaults());

  // (enableContentMD5 is left off: the SDK's own MD5 takes seconds per 10 MiB; Content-MD5 is covered by putObject.)
  it('uploads a file in parallel parts with a whole-file CRC the SDK checks', async () => {
    const { file, data } = await writeFileOfSize('parallel.bin', 2 * PART + 123, 1);
    const parts = await harness.counter('UploadPart');
    const res = await tos.uploadFile({ bucket, key: 'parallel.bin', file, partSize: PART, taskNum: 3 });
    expect(res.data.HashCrc64ecma).toBe(crc64(data));
    expect(await parts()).toBe(3);
    expect(Buffer.compare(await readAll(tos, bucket, 'parallel.bin'), data)).toBe(0);
  });

  it('uploads an empty file as one zero-byte part', async () => {
    const { file } = await writeFileOfSize('empty.bin', 0, 0);
    const res = await tos.uploadFile({ bucket, key: 'empty.bin', file, taskNum: 2 });
    expect(res.data.HashCrc64ecma).toBe('0');
    expect((await tos.headObject({ bucket, key: 'empty.bin' })).data['content-length']).toBe('0');
  });

  it('resumes from a checkpoint with the same uploadId, sending only the parts that were missing', async () => {
    const { file, data } = await writeFileOfSize('resume.bin', 3 * PART + 777, 2);
    const checkpointDir = path.join(workDir, 'checkpoints') + path.sep;
    await fs.mkdir(checkpointDir, { recursive: true });

    // First attempt: cancelled as soon as one part has been acknowledged.
    const source = CancelToken.source();
    const firstParts = await harness.counter('UploadPart');
    await expect(
      tos.uploadFile({
        bucket, key: 'resume.bin', file, partSize: PART, taskNum: 2, checkpoint: checkpointDir, cancelToken: source.token,
        uploadEventChange: (event) => {
          if (event.type === 3) source.cancel('interrupted by the test');
        },
      }),
    ).rejects.toBeDefined();
    const firstAttemptParts = await firstParts();
    await harness.clearFaults();

    const [checkpointName] = await fs.readdir(checkpointDir);
    const checkpointFile = path.join(checkpointDir, checkpointName!);
    const checkpoint = JSON.parse(await fs.readFile(checkpointFile, 'utf8')) as {
      upload_id: string;
      parts_info: { part_number: number; is_completed: boolean }[];
    };
    // parts_info lists only the parts the first attempt started; parts never started are missing too.
    const totalParts = Math.ceil(data.length / PART);
    const done = checkpoint.parts_info.filter((p) => p.is_completed).map((p) => p.part_number);
    const missing = totalParts - done.length;
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(missing).toBeGreaterThanOrEqual(1);
    expect(firstAttemptParts).toBeGreaterThanOrEqual(done.length);
    // The server kept the acknowledged parts under the same upload.
    const listed = await tos.listParts({ bucket, key: 'resume.bin', uploadId: checkpoint.upload_id });
    expect(listed.data.Parts.map((p) => p.PartNumber)).toEqual(expect.arrayContaining(done));

    // Second attempt from the checkpoint file.
    const resumedParts = await harness.counter('UploadPart');
    const creates = await harness.counter('CreateMultipartUpload');
    const res = await tos.uploadFile({ bucket, key: 'resume.bin', file, partSize: PART, taskNum: 2, checkpoint: checkpointFile });
    expect(await creates()).toBe(0);
    expect(await resumedParts()).toBe(missing);
    expect(res.data.HashCrc64ecma).toBe(crc64(data));
    expect(Buffer.compare(await readAll(tos, bucket, 'resume.bin'), data)).toBe(0);
    await expect(fs.access(checkpointFile)).rejects.toThrow();
  });

  it('retries parts hit by injected throttling and dropped connections and still completes', async () => {
    const { file, data } = await writeFileOfSize('flaky.bin', 2 * PART + 5, 3);
    await harness.addFault({ service: 'tos', operation: 'UploadPart', kind: 'throttle', count: 2 });
    await harness.addFault({ service: 'tos', operation: 'UploadPart', kind: 'drop-connection', count: 1 });
    const res = await tos.uploadFile({ bucket, key: 'flaky.bin', file, partSize: PART, taskNum: 3 });
    expect(res.data.HashCrc64ecma).toBe(crc64(data));
    expect(Buffer.compare(await readAll(tos, bucket, 'flaky.bin'), data)).toBe(0);
  });
});

describe('persistence in dataDir mode', () => {
  it('keeps buckets, objects, metadata and in-progress uploads across a store restart', async () => {
    const dataDir = path.join(workDir, 'data');
    const bucket = 'persisted';
    const body = Buffer.from('survives a restart');
    const part1 = Buffer.alloc(PART, 0x5a);
    const part2 = Buffer.from('last part');

    let harness = await startTosHarness({ dataDir });
    let tos = harness.client();
    await tos.createBucket({ bucket });
    await tos.putObject({ bucket, key: 'dir/kept.txt', body, meta: { origin: 'first-run' } });
    await tos.putObject({ bucket, key: 'dir/deleted.txt', body });
    await tos.deleteObject({ bucket, key: 'dir/deleted.txt' });
    const { data: upload } = await tos.createMultipartUpload({ bucket, key: 'big.bin', meta: { kind: 'weights' } });
    const p1 = await tos.uploadPart({ bucket, key: 'big.bin', uploadId: upload.UploadId, partNumber: 1, body: part1 });
    await harness.close();

    harness = await startTosHarness({ dataDir });
    tos = harness.client();
    try {
      expect(await tos.doesBucketExist({ bucket })).toBe(true);
      const head = await tos.headObject({ bucket, key: 'dir/kept.txt' });
      expect(head.data).toMatchObject({ 'x-tos-meta-origin': 'first-run', 'x-tos-hash-crc64ecma': crc64(body) });
      expect((await readAll(tos, bucket, 'dir/kept.txt')).toString()).toBe(body.toString());
      expect((await tos.listObjectsType2({ bucket })).data.Contents.map((c) => c.Key)).toEqual(['dir/kept.txt']);

      const uploads = await tos.listMultipartUploads({ bucket });
      expect(uploads.data.Uploads.map((u) => u.UploadId)).toEqual([upload.UploadId]);
      const parts = await tos.listParts({ bucket, key: 'big.bin', uploadId: upload.UploadId });
      expect(parts.data.Parts.map((p) => [p.PartNumber, p.ETag])).toEqual([[1, p1.data.ETag]]);

      const p2 = await tos.uploadPart({ bucket, key: 'big.bin', uploadId: upload.UploadId, partNumber: 2, body: part2 });
      const done = await tos.completeMultipartUpload({
        bucket, key: 'big.bin', uploadId: upload.UploadId,
        parts: [{ partNumber: 2, eTag: p2.data.ETag }, { partNumber: 1, eTag: p1.data.ETag }],
      });
      const whole = Buffer.concat([part1, part2]);
      expect(done.data.HashCrc64ecma).toBe(crc64(whole));
      expect((await tos.headObject({ bucket, key: 'big.bin' })).data['x-tos-meta-kind']).toBe('weights');
    } finally {
      await harness.close();
    }

    // After completion the object is made of the part files; a third start still reads across them.
    harness = await startTosHarness({ dataDir });
    tos = harness.client();
    try {
      const across = await tos.getObjectV2({ bucket, key: 'big.bin', dataType: 'buffer', rangeStart: PART - 4, rangeEnd: PART + 99 });
      expect(across.data.content.toString('latin1')).toBe('ZZZZlast part');
      expect((await harness.ark.admin.state()).tos.buckets).toEqual([{ name: bucket, objects: 2, bytes: body.length + PART + part2.length }]);
      await harness.ark.admin.reset();
      expect((await harness.ark.admin.state()).tos.buckets).toEqual([]);
    } finally {
      await harness.close();
    }
    expect(await fs.readdir(path.join(dataDir, 'tos', 'blobs'))).toEqual([]);
  });
});
