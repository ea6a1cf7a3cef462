import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { crc64 } from '../../provider/api/crc64';
import { TosStorage } from '../../provider/clients/tos/client';
import { checkpointFileFor, SyncError, syncDirectory, type SyncEnv, type SyncTarget } from '../../provider/sync/engine';
import { contextFor, countTosRequests, rawTos, tempDir, writeFile } from './sync-helpers';

const BUCKET = 'resume';
const PART = 5 * 1024 * 1024;
const PARTS = 6;
const FAIL_FAST = { maxAttempts: 1, maxThrottleAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };

describe('sync engine: interrupted multipart uploads resume', () => {
  let arkLocal: ArkLocal;
  let tos: TosClient;
  let work: string;
  let src: string;
  let content: Buffer;
  let target: SyncTarget;

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
    await writeFile(src, 'model.safetensors', content);
    await writeFile(src, 'config.json', '{}');
    target = { source: src, bucket: BUCKET, prefix: `m${path.basename(work)}/`, deleteRemoved: true };
    await arkLocal.admin.clearFaults();
  });
  afterEach(() => fs.rm(work, { recursive: true, force: true }));

  function env(retry?: typeof FAIL_FAST): SyncEnv & { lines: ReturnType<typeof contextFor>['lines'] } {
    const { ctx, lines } = contextFor(() => arkLocal.providerSettings());
    return { storage: new TosStorage(arkLocal.providerSettings(), { retry }), cacheDir: path.join(work, 'cache'), log: ctx.log, lines };
  }
  const tuning = { owner: 'o', uploadConcurrency: 1, partSize: PART, progressIntervalMs: 0 };

  async function interruptAfterTwoParts(kind: 'drop-connection' | 'server-error'): Promise<{ uploadId: string; completed: number }> {
    // Parts go one at a time; the third and every later attempt fail until the SDK's immediate retries and
    // the (fail-fast) backoff layer give up.
    await arkLocal.admin.addFault({ service: 'tos', operation: 'UploadPart', kind, after: 2, count: 4 });
    const failure = await syncDirectory(target, env(FAIL_FAST), tuning).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SyncError);
    expect((failure as SyncError).uploaded.map((u) => u.path)).toEqual(['config.json']);
    await arkLocal.admin.clearFaults();
    const entry = { path: 'model.safetensors', size: content.length, crc64: crc64(content), mtimeMs: 0, ino: 0 };
    const checkpoint = JSON.parse(await fs.readFile(checkpointFileFor(path.join(work, 'cache'), BUCKET, `${target.prefix}model.safetensors`, entry), 'utf8'));
    const completed = checkpoint.parts_info.filter((p: { is_completed: boolean }) => p.is_completed).length;
    return { uploadId: checkpoint.upload_id, completed };
  }

  test.each(['drop-connection', 'server-error'] as const)('after %s on UploadPart, a re-run sends only the missing parts', async (kind) => {
    const { completed } = await interruptAfterTwoParts(kind);
    expect(completed).toBe(2);

    const count = await countTosRequests(arkLocal, ['UploadPart', 'CreateMultipartUpload', 'PutObject']);
    const second = env();
    const { stats, plan } = await syncDirectory(target, second, tuning);
    expect(plan.upload.map((p) => p.path)).toEqual(['model.safetensors']);
    expect(plan.unchanged.map((p) => p.path)).toEqual(['config.json']);
    expect(stats.partsSent).toBe(PARTS - completed);
    expect(await count()).toEqual({ UploadPart: PARTS - completed, CreateMultipartUpload: 0, PutObject: 0 });

    const head = await tos.headObject({ bucket: BUCKET, key: `${target.prefix}model.safetensors` });
    expect(head.data['x-tos-hash-crc64ecma']).toBe(crc64(content));
    expect(await fs.readdir(path.join(work, 'cache', 'checkpoints'))).toEqual([]);
    expect(second.lines.info.some((l) => /upload .*: 1\/1 files, 30\.0 MiB\/30\.0 MiB \(100%\)/.test(l))).toBe(true);
  });

  test('a checkpoint naming an upload TOS no longer has starts over instead of failing', async () => {
    const { uploadId } = await interruptAfterTwoParts('server-error');
    await tos.abortMultipartUpload({ bucket: BUCKET, key: `${target.prefix}model.safetensors`, uploadId });
    const { stats } = await syncDirectory(target, env(), tuning);
    expect(stats.partsSent).toBe(PARTS);
    const head = await tos.headObject({ bucket: BUCKET, key: `${target.prefix}model.safetensors` });
    expect(head.data['x-tos-hash-crc64ecma']).toBe(crc64(content));
  });
});
