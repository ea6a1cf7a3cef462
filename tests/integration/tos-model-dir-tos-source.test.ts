import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { seedSparseModel } from '../../emulator/seed-model';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { PartialFailureError } from '../../provider/resources/controller';
import { tosModelDirController as controller } from '../../provider/resources/tos-model-dir/controller';
import { InputsSchema, type Inputs, type Outputs } from '../../provider/resources/tos-model-dir/schema';
import { contentDigest } from '../../provider/sync/digest';
import { META_OWNER } from '../../provider/sync/engine';
import { until } from '../e2e/poll';
import { contextFor, countTosRequests, listAll, rawTos, tempDir } from './sync-helpers';

/**
 * TosModelDir over weights already in TOS (a training job's output), against ark-local with the official TOS
 * SDK beside it: validation by ranged GETs, server-side copies (no PutObject or UploadPart: no weight byte
 * through the provider), resuming per file, a source that moves, in-place imports, and sources Ark cannot use.
 */

const SOURCE_BUCKET = 'ml-artifacts';
const TARGET_BUCKET = 'models';
const OWNER = 'proj/dev/weights';
const BASE = 'Qwen2.5-0.5B';
/** Small parts, so the two ~0.5 GB shards are multipart copies of many parts. */
const PART_SIZE = 64 * 1024 * 1024;

/** Polls as often as a copy of a few parts needs. */
const FAST = { timeoutMs: 60_000, intervalMs: 20 };

describe('TosModelDir from a tos:// source', () => {
  let arkLocal: ArkLocal;
  let tos: TosClient;
  let work: string;
  let modelDir: string;
  let n = 0;
  let run: string;
  let target: string;

  beforeAll(async () => {
    arkLocal = await startArkLocal({ quiet: true });
    tos = rawTos(arkLocal);
    work = await tempDir('tos-source');
    modelDir = path.join(work, 'model');
    await writeSyntheticModel(modelDir, { base: BASE, fill: 'sparse', shards: 2 });
    await tos.createBucket({ bucket: SOURCE_BUCKET });
    await tos.createBucket({ bucket: TARGET_BUCKET });
  });
  afterAll(async () => {
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    n += 1;
    run = `runs/${n}/final/`;
    target = `serving/${n}/`;
    await seedSparseModel(arkLocal.admin, modelDir, SOURCE_BUCKET, run);
    await arkLocal.admin.clearFaults();
  });

  const ctx = () => contextFor(() => arkLocal.providerSettings());

  /** Runs check as the engine does and returns the checked inputs, or fails the test with the failures. */
  async function checked(overrides: Record<string, unknown> = {}): Promise<Inputs> {
    const news = { source: `tos://${SOURCE_BUCKET}/${run}`, bucket: TARGET_BUCKET, prefix: target, baseModel: BASE, owner: OWNER, partSize: PART_SIZE, ...overrides };
    const result = await controller.check({}, news, ctx().ctx);
    if (result.failures?.length) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
    return InputsSchema.parse(result.inputs);
  }

  async function failures(overrides: Record<string, unknown>): Promise<{ property: string; reason: string }[]> {
    const news = { source: `tos://${SOURCE_BUCKET}/${run}`, bucket: TARGET_BUCKET, prefix: target, baseModel: BASE, owner: OWNER, ...overrides };
    return (await controller.check({}, news, ctx().ctx)).failures ?? [];
  }

  test('check validates through ranged GETs and pins the listing digest; create copies server-side only', async () => {
    const reads = await countTosRequests(arkLocal, ['GetObject']);
    const served = (await arkLocal.admin.traffic()).tos;
    const inputs = await checked();
    // Listings, HEADs and ranged GETs of config, tokenizer and headers: kilobytes of a ~1 GB model.
    expect((await arkLocal.admin.traffic()).tos - served).toBeLessThan(1024 * 1024);
    const listed = await listAll(tos, SOURCE_BUCKET, run);
    // The version is the digest of the listing: what a local upload of the same bytes would also record.
    const heads = await Promise.all(listed.map((o) => tos.headObject({ bucket: SOURCE_BUCKET, key: o.key })));
    const expected = contentDigest(listed.map((o, i) => ({ path: o.key.slice(run.length), size: o.size, crc64: heads[i]!.data['x-tos-hash-crc64ecma'] })));
    expect(inputs.sourceVersion).toBe(expected);
    const getCount = (await reads()).GetObject!;
    expect(getCount).toBeGreaterThan(0);
    expect(getCount).toBeLessThan(20); // config, tokenizer files, headers, index: never the tensor data

    const writes = await countTosRequests(arkLocal, ['PutObject', 'UploadPart', 'CopyObject', 'UploadPartCopy']);
    const { id, outs } = await controller.create(inputs, ctx().ctx);
    const counts = await writes();
    expect([counts.PutObject, counts.UploadPart]).toEqual([0, 0]);
    expect(counts.CopyObject).toBeGreaterThan(0);
    expect(counts.UploadPartCopy).toBeGreaterThanOrEqual(16); // two ~0.5 GB shards in 64 MiB parts
    expect(id).toBe(`tos://${TARGET_BUCKET}/${target}`);
    expect([outs.sourceKind, outs.inPlace, outs.sourceVersion, outs.contentDigest]).toEqual(['tos', false, expected, expected]);
    const copies = await listAll(tos, TARGET_BUCKET, target);
    expect(copies.map((o) => o.key.slice(target.length))).toEqual(listed.map((o) => o.key.slice(run.length)));
    const shard = await tos.headObject({ bucket: TARGET_BUCKET, key: `${target}model-00001-of-00002.safetensors` });
    expect(shard.data['x-tos-hash-crc64ecma']).toBe(outs.files.find((f) => f.path === 'model-00001-of-00002.safetensors')!.crc64);
    expect(shard.data[`x-tos-meta-${META_OWNER}`]).toBe(OWNER);
  });

  test('a no-op diff lists and copies nothing; a changed source object is the only file copied again', async () => {
    const inputs = await checked();
    const { outs } = await controller.create(inputs, ctx().ctx);
    const d = ctx();
    expect(await controller.diff(outs.location, outs, await checked(), d.ctx)).toEqual({ changes: false, changed: [] });
    expect(d.lines.info.join('\n')).toMatch(/0 to copy, 0 to replace, 0 to delete, \d+ unchanged/);

    await tos.putObject({ bucket: SOURCE_BUCKET, key: `${run}generation_config.json`, body: Buffer.from('{"eos_token_id": 151643}\n') });
    const news = await checked();
    expect(news.sourceVersion).not.toBe(outs.sourceVersion);
    const diff = await controller.diff(outs.location, outs, news, ctx().ctx);
    expect(diff).toEqual({ changes: true, changed: ['sourceVersion'] });
    const writes = await countTosRequests(arkLocal, ['CopyObject', 'UploadPartCopy']);
    const { outs: after } = await controller.update(outs.location, outs, news, ctx().ctx);
    expect(await writes()).toEqual({ CopyObject: 1, UploadPartCopy: 0 });
    expect(after.contentDigest).toBe(news.sourceVersion);
  });

  test('a source that moved after check fails the update before anything is written', async () => {
    const inputs = await checked();
    await tos.putObject({ bucket: SOURCE_BUCKET, key: `${run}generation_config.json`, body: Buffer.from('{"eos_token_id": 1}\n') });
    const writes = await countTosRequests(arkLocal, ['CopyObject', 'UploadPartCopy', 'CreateMultipartUpload']);
    await expect(controller.create(inputs, ctx().ctx)).rejects.toThrow(
      /expected the version checked at preview, sha256:[0-9a-f]+, found sha256:[0-9a-f]+: the source changed since, so nothing was deployed/,
    );
    expect(await writes()).toEqual({ CopyObject: 0, UploadPartCopy: 0, CreateMultipartUpload: 0 });
    expect(await listAll(tos, TARGET_BUCKET, target)).toEqual([]);
  });

  test('an object overwritten during the copy fails it with the reason; the next up copies the new content', async () => {
    const inputs = await checked({ uploadConcurrency: 1 });
    // Slow part copies give the test time to overwrite the second shard while the first one is copied.
    await arkLocal.admin.addFault({ service: 'tos', operation: 'UploadPartCopy', kind: 'latency', latencyMs: 150 });
    const creating = controller.create(inputs, ctx().ctx);
    const shard2 = `${run}model-00002-of-00002.safetensors`;
    await until('the first files in the target', async () => (await listAll(tos, TARGET_BUCKET, target)).length > 0, FAST);
    await tos.putObject({ bucket: SOURCE_BUCKET, key: shard2, body: Buffer.from('a training job writing its next checkpoint') });
    const error = await creating.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PartialFailureError);
    expect((error as Error).message).toMatch(new RegExp(`tos://${SOURCE_BUCKET}/${shard2} was overwritten after it was listed \\(ETag .+\\): the source changed during the copy, so nothing of it is deployed`));
    const partial = (error as PartialFailureError).properties as Outputs;
    // Started and not verified: kept without a CRC64, so a destroy would delete it and the next up copies it.
    expect(partial.files.find((f) => f.path === 'model-00002-of-00002.safetensors')).toEqual({ path: 'model-00002-of-00002.safetensors', size: expect.any(Number) });
    await arkLocal.admin.clearFaults();
    expect((await tos.listMultipartUploads({ bucket: TARGET_BUCKET, prefix: target })).data.Uploads ?? []).toEqual([]);

    await seedSparseModel(arkLocal.admin, modelDir, SOURCE_BUCKET, run); // the job finished writing
    const again = await checked();
    const writes = await countTosRequests(arkLocal, ['CopyObject', 'UploadPartCopy']);
    const { outs } = await controller.update(partial.location, partial, again, ctx().ctx);
    const counts = await writes();
    expect(counts.CopyObject).toBe(0); // the small files arrived before the failure
    expect(counts.UploadPartCopy).toBeLessThan(16); // only the shard that was not copied
    expect(outs.contentDigest).toBe(again.sourceVersion);
  });

  test('a stopped copy resumes without copying finished files again and leaves no open upload', async () => {
    const inputs = await checked({ uploadConcurrency: 2 });
    await arkLocal.admin.addFault({ service: 'tos', operation: 'UploadPartCopy', kind: 'latency', latencyMs: 100 });
    const stop = new AbortController();
    const c = ctx();
    const creating = controller.create(inputs, { ...c.ctx, signal: stop.signal });
    // Stop once the first shard is done and the second is under way: like an engine that went away.
    await until('the first shard in the target', async () => (await listAll(tos, TARGET_BUCKET, target)).some((o) => o.key.endsWith('model-00001-of-00002.safetensors')), FAST);
    await until('a multipart upload under way', async () => ((await tos.listMultipartUploads({ bucket: TARGET_BUCKET, prefix: target })).data.Uploads ?? []).length > 0, FAST);
    stop.abort(new Error('engine gone'));
    await expect(creating).rejects.toThrow();
    await arkLocal.admin.clearFaults();
    expect(((await tos.listMultipartUploads({ bucket: TARGET_BUCKET, prefix: target })).data.Uploads ?? []).length).toBe(1);

    // The next `up` (a create again: the engine lost the record) adopts its own objects.
    const writes = await countTosRequests(arkLocal, ['CopyObject', 'UploadPartCopy', 'AbortMultipartUpload']);
    const { outs } = await controller.create(await checked(), ctx().ctx);
    const counts = await writes();
    expect(counts.AbortMultipartUpload).toBe(1);
    expect(counts.UploadPartCopy).toBeLessThanOrEqual(8); // the second shard only (~0.46 GB in 64 MiB parts)
    expect(counts.CopyObject).toBe(0);
    expect(outs.contentDigest).toBe(inputs.sourceVersion);
    expect((await tos.listMultipartUploads({ bucket: TARGET_BUCKET, prefix: target })).data.Uploads ?? []).toEqual([]);
  });

  test('in place: nothing is copied, the location is the source, and delete leaves the source alone', async () => {
    const inputs = await checked({ bucket: undefined, prefix: undefined });
    const writes = await countTosRequests(arkLocal, ['CopyObject', 'UploadPartCopy', 'PutObject']);
    const { id, outs } = await controller.create(inputs, ctx().ctx);
    expect(await writes()).toEqual({ CopyObject: 0, UploadPartCopy: 0, PutObject: 0 });
    expect([id, outs.location, outs.bucket, outs.prefix, outs.inPlace]).toEqual([`tos://${SOURCE_BUCKET}/${run}`, `tos://${SOURCE_BUCKET}/${run}`, SOURCE_BUCKET, run, true]);
    expect(outs.contentDigest).toBe(inputs.sourceVersion);
    const before = await listAll(tos, SOURCE_BUCKET, run);
    await controller.delete(id, outs, ctx().ctx);
    expect(await listAll(tos, SOURCE_BUCKET, run)).toEqual(before);
  });

  test('check refuses, in one line on source, a bucket in another region, another account, or an empty prefix', async () => {
    await arkLocal.admin.createBucket({ name: 'shanghai-runs', region: 'cn-shanghai' });
    await arkLocal.admin.createBucket({ name: 'partner-runs', region: arkLocal.region, account: 'partner' });
    const region = await failures({ source: 'tos://shanghai-runs/runs/1/' });
    expect(region).toEqual([{ property: 'source', reason: expect.stringMatching(/^tos:\/\/shanghai-runs\/runs\/1\/: expected TOS bucket shanghai-runs in Ark's region cn-beijing, found it in cn-shanghai; Ark imports only from buckets in its own region\. Copy the weights to a bucket in cn-beijing/) }]);
    const account = await failures({ source: 'tos://partner-runs/runs/1/', bucket: undefined, prefix: undefined });
    expect(account).toEqual([{ property: 'source', reason: expect.stringMatching(/^tos:\/\/partner-runs\/runs\/1\/: expected a bucket of this account that these credentials may read, found access denied/) }]);
    expect(await failures({ source: `tos://${SOURCE_BUCKET}/no/such/run/` })).toEqual([{ property: 'source', reason: `tos://${SOURCE_BUCKET}/no/such/run/: expected the model's files under the prefix, found no object` }]);
    expect(await failures({ source: 'tos://Bad_Bucket/x/' })).toEqual([{ property: 'source', reason: expect.stringMatching(/^expected tos:\/\/<bucket>\/<prefix>\/ with a TOS bucket name/) }]);
    expect(await failures({ source: modelDir, bucket: undefined, prefix: undefined })).toEqual([{ property: 'bucket', reason: expect.stringMatching(/only a tos:\/\/ source can be used in place/) }]);
  });

  test('check runs the model validator over the prefix, and holds to a sourceVersion set by the user', async () => {
    await tos.deleteObject({ bucket: SOURCE_BUCKET, key: `${run}config.json` });
    expect(await failures({})).toEqual([{ property: 'source', reason: expect.stringContaining(`tos://${SOURCE_BUCKET}/${run}`) }]);
    await seedSparseModel(arkLocal.admin, modelDir, SOURCE_BUCKET, run);
    expect(await failures({ sourceVersion: 'sha256:0000' })).toEqual([{ property: 'sourceVersion', reason: expect.stringMatching(/^expected tos:\/\/ml-artifacts\/runs\/\d+\/final\/ at version sha256:0000, found it at sha256:[0-9a-f]{64}$/) }]);
  });
});
