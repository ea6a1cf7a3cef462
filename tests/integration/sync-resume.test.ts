import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { crc64 } from '../../provider/api/crc64';
import { TosStorage } from '../../provider/clients/tos/client';
import { abortOpenUploads, SyncError, syncDirectory, type SyncEnv, type SyncTarget, type SyncTuning } from '../../provider/sync/engine';
import { contextFor, countTosRequests, rawTos, tempDir, writeFile } from './sync-helpers';

const BUCKET = 'resume';
const PART = 5 * 1024 * 1024;
const PARTS = 6;
const FAIL_FAST = { maxAttempts: 1, maxThrottleAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
const KEY = 'model.safetensors';

describe('sync engine: multipart uploads are tracked in TOS, resumed from any runner, and never left behind', () => {
  let arkLocal: ArkLocal;
  let tos: TosClient;
  let work: string;
  let src: string;
  let content: Buffer;
  let target: SyncTarget;
  let runs = 0;

  beforeAll(async () => {
    arkLocal = await startArkLocal({ quiet: true });
    tos = rawTos(arkLocal);
    await tos.createBucket({ bucket: BUCKET });
  });
  afterAll(() => arkLocal.close());
  beforeEach(async () => {
    work = await tempDir('sync-resume');
    src = path.join(work, 'model');
    content = randomBytes(PARTS * PART - 1000);
    await writeFile(src, KEY, content);
    await writeFile(src, 'config.json', '{}');
    target = { source: src, bucket: BUCKET, prefix: `m${path.basename(work)}/`, deleteRemoved: true };
    await arkLocal.admin.clearFaults();
  });
  afterEach(() => fs.rm(work, { recursive: true, force: true }));

  /** Each run gets its own cache directory: a fresh runner, so nothing but TOS remembers the upload. */
  function env(retry?: typeof FAIL_FAST): SyncEnv & { lines: ReturnType<typeof contextFor>['lines'] } {
    const { ctx, lines } = contextFor(() => arkLocal.providerSettings());
    runs += 1;
    return { storage: new TosStorage(arkLocal.providerSettings(), { retry }), cacheDir: path.join(work, `cache-${runs}`), log: ctx.log, lines };
  }
  const tuning: SyncTuning = { owner: 'o', uploadConcurrency: 1, partSize: PART, progressIntervalMs: 0 };

  async function openUploads(): Promise<{ key: string; uploadId: string }[]> {
    const { data } = await tos.listMultipartUploads({ bucket: BUCKET, prefix: target.prefix });
    return data.Uploads.map((u) => ({ key: u.Key, uploadId: u.UploadId }));
  }

  async function expectObjectIsTheFile(): Promise<void> {
    const head = await tos.headObject({ bucket: BUCKET, key: `${target.prefix}${KEY}` });
    expect(head.data['x-tos-hash-crc64ecma']).toBe(crc64(content));
    expect(head.data['x-tos-meta-pulumi-ark-owner']).toBe('o');
    expect(await openUploads()).toEqual([]);
  }

  async function failingSync(fault: Parameters<ArkLocal['admin']['addFault']>[0]): Promise<SyncError> {
    await arkLocal.admin.addFault(fault);
    const failure = await syncDirectory(target, env(FAIL_FAST), tuning).then(
      () => undefined,
      (e: unknown) => e,
    );
    await arkLocal.admin.clearFaults();
    expect(failure).toBeInstanceOf(SyncError);
    return failure as SyncError;
  }

  test.each(['drop-connection', 'server-error'] as const)('after %s on the third UploadPart, a re-run on a fresh runner sends only the missing parts', async (kind) => {
    // Parts go one at a time; the third and later attempts fail until the fail-fast retry layer gives up.
    const failure = await failingSync({ service: 'tos', operation: 'UploadPart', kind, after: 2, count: 4 });
    expect(failure.uploaded.map((u) => u.path)).toEqual(['config.json']);
    const [open] = await openUploads();
    expect((await tos.listParts({ bucket: BUCKET, key: open!.key, uploadId: open!.uploadId })).data.Parts).toHaveLength(2);

    const count = await countTosRequests(arkLocal, ['UploadPart', 'CreateMultipartUpload', 'PutObject', 'AbortMultipartUpload']);
    const second = env();
    const { stats, plan, manifest } = await syncDirectory(target, second, tuning);
    expect(plan.upload.map((p) => p.path)).toEqual([KEY]);
    expect(plan.unchanged.map((p) => p.path)).toEqual(['config.json']);
    expect(stats).toMatchObject({ partsSent: PARTS - 2, partsReused: 2, abortedUploads: 0 });
    expect(await count()).toEqual({ UploadPart: PARTS - 2, CreateMultipartUpload: 0, PutObject: 0, AbortMultipartUpload: 0 });
    expect(manifest.files.find((f) => f.path === KEY)?.crc64).toBe(crc64(content));
    await expectObjectIsTheFile();
    expect(second.lines.info.some((l) => /upload .*: 1\/1 files, 30\.0 MiB\/30\.0 MiB \(100%\)/.test(l))).toBe(true);
  });

  test.each([
    ['PutObject', 'config.json'],
    ['CompleteMultipartUpload', KEY],
  ] as const)('%s carried out with every answer lost: %s is unverified, its object exists, and the next run finds it unchanged', async (operation, path) => {
    const failure = await failingSync({ service: 'tos', operation, kind: 'drop-response', count: 10 });
    expect(failure.unverified.map((u) => u.path)).toContain(path);
    expect(failure.uploaded.map((u) => u.path)).not.toContain(path);
    const head = await tos.headObject({ bucket: BUCKET, key: `${target.prefix}${path}` });
    expect(head.statusCode).toBe(200);

    const { plan } = await syncDirectory(target, env(), tuning);
    expect(plan.unchanged.map((p) => p.path)).toContain(path);
    if (path === KEY) await expectObjectIsTheFile();
  });

  test('an upload killed before its first part is found by the next run and resumed, not duplicated', async () => {
    await failingSync({ service: 'tos', operation: 'UploadPart', kind: 'server-error', count: 4 });
    const open = await openUploads();
    expect(open).toHaveLength(1);
    expect((await tos.listParts({ bucket: BUCKET, key: open[0]!.key, uploadId: open[0]!.uploadId })).data.Parts).toHaveLength(0);

    const count = await countTosRequests(arkLocal, ['UploadPart', 'CreateMultipartUpload', 'CompleteMultipartUpload']);
    const { stats } = await syncDirectory(target, env(), tuning);
    expect(stats).toMatchObject({ partsSent: PARTS, partsReused: 0 });
    expect(await count()).toEqual({ UploadPart: PARTS, CreateMultipartUpload: 0, CompleteMultipartUpload: 1 });
    await expectObjectIsTheFile();
  });

  test('open uploads no file can resume are aborted: another key, another part layout; parts with other bytes are re-sent', async () => {
    const storage = new TosStorage(arkLocal.providerSettings());
    const other = await storage.createMultipartUpload(BUCKET, `${target.prefix}removed.bin`, {});
    const wrongLayout = await storage.createMultipartUpload(BUCKET, `${target.prefix}${KEY}`, {});
    await tos.uploadPart({ bucket: BUCKET, key: `${target.prefix}${KEY}`, uploadId: wrongLayout, partNumber: 1, body: randomBytes(PART + 1) });
    // Started by an earlier run of this resource: with its owner metadata, which the finished object keeps.
    const sameLayout = await storage.createMultipartUpload(BUCKET, `${target.prefix}${KEY}`, { 'pulumi-ark-owner': 'o' });
    const stale = Buffer.from(content.subarray(0, PART));
    stale[100] ^= 0xff;
    await tos.uploadPart({ bucket: BUCKET, key: `${target.prefix}${KEY}`, uploadId: sameLayout, partNumber: 1, body: stale });
    await tos.uploadPart({ bucket: BUCKET, key: `${target.prefix}${KEY}`, uploadId: sameLayout, partNumber: 2, body: content.subarray(PART, 2 * PART) });

    const { stats } = await syncDirectory(target, env(), tuning);
    expect(stats).toMatchObject({ partsSent: PARTS - 1, partsReused: 1, abortedUploads: 2 });
    await expectObjectIsTheFile();
    await expect(tos.listParts({ bucket: BUCKET, key: `${target.prefix}removed.bin`, uploadId: other })).rejects.toMatchObject({ code: 'NoSuchUpload' });
  });

  test('an abort signal stops the sync mid-file and leaves the upload for the next run to resume', async () => {
    const controller = new AbortController();
    const first = env();
    // Parts go one at a time; abort once the third part's bytes start flowing.
    const log = first.log;
    first.log = {
      ...log,
      info: (line) => {
        log.info(line);
        const sent = /: \d\/2 files, ([\d.]+) MiB/.exec(line);
        if (sent && Number(sent[1]) > 10.5) controller.abort(new Error('engine went away'));
      },
    };
    const failure = await syncDirectory(target, first, { ...tuning, signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SyncError);
    expect((failure as SyncError).message).toMatch(/engine went away/);
    expect(await openUploads()).toHaveLength(1);

    const { stats } = await syncDirectory(target, env(), tuning);
    expect(stats.partsReused).toBeGreaterThanOrEqual(2);
    expect(stats.partsReused + stats.partsSent).toBe(PARTS);
    await expectObjectIsTheFile();
  });

  test('a cold sync reads each file once: the plan hashes nothing, the upload fingerprints, the stat cache keeps it', async () => {
    const runner = env();
    const first = await syncDirectory(target, runner, tuning);
    expect(first.manifest.hashedBytes).toBe(0);
    expect(first.manifest.files.map((f) => f.crc64)).toEqual([crc64(Buffer.from('{}')), crc64(content)]);
    const again = await syncDirectory(target, runner, tuning);
    expect(again.manifest.hashedBytes).toBe(0);
    expect(again.stats.uploadedFiles).toBe(0);
    expect(again.plan.unchanged).toHaveLength(2);
    // A fresh runner has no cache: it hashes what has a same-size object in TOS, and uploads nothing.
    const fresh = await syncDirectory(target, env(), tuning);
    expect(fresh.manifest.hashedBytes).toBe(content.length + 2);
    expect(fresh.stats.uploadedFiles).toBe(0);
  });

  test('abortOpenUploads (used by delete) aborts every open upload under the prefix and nothing outside it', async () => {
    const storage = new TosStorage(arkLocal.providerSettings());
    await storage.createMultipartUpload(BUCKET, `${target.prefix}a.bin`, {});
    await storage.createMultipartUpload(BUCKET, `${target.prefix}sub/b.bin`, {});
    const outside = `${target.prefix.slice(0, -1)}-sibling/c.bin`;
    const keep = await storage.createMultipartUpload(BUCKET, outside, {});
    expect(await abortOpenUploads(storage, BUCKET, target.prefix)).toBe(2);
    expect(await openUploads()).toEqual([]);
    await storage.abortMultipartUpload(BUCKET, outside, keep);
  });
});
