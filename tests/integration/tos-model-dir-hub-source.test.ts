import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { tosModelDirController as controller } from '../../provider/resources/tos-model-dir/controller';
import { InputsSchema, type Inputs } from '../../provider/resources/tos-model-dir/schema';
import { META_SOURCE } from '../../provider/sources/hub-transfer';
import { contentDigest } from '../../provider/sync/digest';
import { until } from '../e2e/poll';
import { contextFor, countTosRequests, listAll, rawTos, tempDir } from './sync-helpers';

/**
 * TosModelDir over a hub revision, against ark-local's hub (through @huggingface/hub) and TOS: a branch resolved
 * to its commit and pinned in sourceVersion, validation by ranged downloads, files streamed into TOS (PutObject
 * and UploadPart bodies, never a file on disk) carrying the hub identity they hold, a moving branch, a private
 * repo and its token, a download cut mid-way, and a stopped stream that resumes.
 */

const BUCKET = 'models';
const OWNER = 'proj/dev/weights';
const REPO = 'acme/support-bot-qwen2.5-0.5b';
const BASE = 'Qwen2.5-0.5B';
const PART_SIZE = 64 * 1024 * 1024;

/** Polls as often as a copy of a few parts needs. */
const FAST = { timeoutMs: 60_000, intervalMs: 20 };

describe('TosModelDir from an hf:// source', () => {
  let arkLocal: ArkLocal;
  let tos: TosClient;
  let work: string;
  let modelDir: string;
  let n = 0;
  let target: string;

  beforeAll(async () => {
    work = await tempDir('hub-source');
    // A data directory: the streamed ~0.6 GB land on disk in ark-local, not in this process's memory.
    arkLocal = await startArkLocal({ quiet: true, dataDir: path.join(work, 'ark-local') });
    tos = rawTos(arkLocal);
    modelDir = path.join(work, 'model');
    await writeSyntheticModel(modelDir, { base: BASE, variant: 'w4a8', fill: 'sparse', shards: 2 });
    await tos.createBucket({ bucket: BUCKET });
    await arkLocal.admin.publishHubCommit(REPO, { directory: modelDir });
  });
  afterAll(async () => {
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    n += 1;
    target = `serving/${n}/`;
    await arkLocal.admin.clearFaults();
  });

  const ctx = () => contextFor(() => arkLocal.providerSettings());
  const news = (overrides: Record<string, unknown> = {}) => ({ source: `hf://${REPO}@main`, bucket: BUCKET, prefix: target, baseModel: BASE, owner: OWNER, partSize: PART_SIZE, ...overrides });

  async function checked(overrides: Record<string, unknown> = {}): Promise<Inputs> {
    const result = await controller.check({}, news(overrides), ctx().ctx);
    if (result.failures?.length) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
    return InputsSchema.parse(result.inputs);
  }

  async function headCommit(): Promise<string> {
    const repo = (await arkLocal.admin.listHubRepos()).find((r) => r.Repo === REPO)!;
    return repo.Branches.main!;
  }

  test('check pins the branch to its commit after ranged reads only; create streams every file into TOS', async () => {
    const downloads = await countHub(['ModelInfo', 'ListTree', 'Resolve', 'CdnGet']);
    const served = (await arkLocal.admin.traffic()).hub;
    const inputs = await checked();
    expect((await arkLocal.admin.traffic()).hub - served).toBeLessThan(1024 * 1024); // of a ~0.6 GB model
    expect(inputs.sourceVersion).toBe(await headCommit());
    const preview = await downloads();
    expect([preview.ModelInfo, preview.ListTree]).toEqual([1, 1]);
    expect(preview.CdnGet).toBeLessThan(10); // the two shards' headers (and the index), never their tensor data

    const writes = await countTosRequests(arkLocal, ['PutObject', 'UploadPart', 'CopyObject']);
    const { id, outs } = await controller.create(inputs, ctx().ctx);
    const counts = await writes();
    expect(counts.CopyObject).toBe(0);
    expect(counts.UploadPart).toBeGreaterThanOrEqual(10); // two ~0.3 GB shards in 64 MiB parts
    expect(id).toBe(`tos://${BUCKET}/${target}`);
    expect([outs.sourceKind, outs.sourceVersion, outs.quantization]).toEqual(['hub', inputs.sourceVersion, 'W4A8']);
    // The digest is over the hub's identities: what a preview computes from the listing alone.
    expect(outs.contentDigest).toBe(contentDigest(outs.files.map((f) => ({ path: f.path, size: f.size, crc64: f.source }))));
    const shard = outs.files.find((f) => f.path === 'model-00001-of-00002.safetensors')!;
    expect(shard.source).toMatch(/^sha256:[0-9a-f]{64}$/);
    const head = await tos.headObject({ bucket: BUCKET, key: `${target}model-00001-of-00002.safetensors` });
    expect([head.data[`x-tos-meta-${META_SOURCE}`], head.data['x-tos-hash-crc64ecma']]).toEqual([shard.source, shard.crc64]);
    const local = await fs.readFile(path.join(modelDir, 'config.json'));
    const remote = await tos.getObjectV2({ bucket: BUCKET, key: `${target}config.json`, dataType: 'buffer' });
    expect(Buffer.from(remote.data.content as Buffer)).toEqual(local);
  });

  test('a no-op diff streams nothing; a moved branch is new content and only the changed file is streamed', async () => {
    const { outs } = await controller.create(await checked(), ctx().ctx);
    const cdn = await countHub(['CdnGet']);
    expect(await controller.diff(outs.location, outs, await checked(), ctx().ctx)).toEqual({ changes: false, changed: [] });
    expect((await cdn()).CdnGet).toBeLessThan(10);

    const moved = await arkLocal.admin.publishHubCommit(REPO, { files: { 'generation_config.json': '{"eos_token_id": 151643}\n' } });
    const after = await checked();
    expect(after.sourceVersion).toBe(moved.Commit);
    const d = ctx();
    expect(await controller.diff(outs.location, outs, after, d.ctx)).toEqual({ changes: true, changed: ['sourceVersion'] });
    expect(d.lines.info.join('\n')).toContain(`content changed (version ${outs.sourceVersion} -> ${moved.Commit})`);
    const writes = await countTosRequests(arkLocal, ['PutObject', 'UploadPart']);
    const { outs: updated } = await controller.update(outs.location, outs, after, ctx().ctx);
    expect(await writes()).toEqual({ PutObject: 1, UploadPart: 0 });
    expect(updated.contentDigest).not.toBe(outs.contentDigest);
  });

  test('a branch that moved after check fails the update before anything is written', async () => {
    const inputs = await checked();
    await arkLocal.admin.publishHubCommit(REPO, { files: { 'generation_config.json': `{"eos_token_id": 151643, "n": ${n}}\n` } });
    const writes = await countTosRequests(arkLocal, ['PutObject', 'UploadPart', 'CreateMultipartUpload']);
    await expect(controller.create(inputs, ctx().ctx)).rejects.toThrow(
      new RegExp(`hf://${REPO}@main: expected the version checked at preview, ${inputs.sourceVersion}, found [0-9a-f]{40}: the source changed since, so nothing was deployed`),
    );
    expect(await writes()).toEqual({ PutObject: 0, UploadPart: 0, CreateMultipartUpload: 0 });
  });

  test('a download cut mid-way is retried from a fresh ranged request; the object is exact', async () => {
    const inputs = await checked();
    const cut = await arkLocal.admin.addFault({ service: 'hub', operation: 'CdnGet', kind: 'truncate-body', bytes: 1024 * 1024, count: 2 });
    const { outs } = await controller.create(inputs, ctx().ctx);
    expect((await arkLocal.admin.listFaults()).find((r) => r.id === cut.id)?.fired).toBe(2);
    const shard = outs.files.find((f) => f.path === 'model-00002-of-00002.safetensors')!;
    const head = await tos.headObject({ bucket: BUCKET, key: `${target}model-00002-of-00002.safetensors` });
    expect(head.data['x-tos-hash-crc64ecma']).toBe(shard.crc64);
  });

  test('a stopped stream resumes without streaming finished files again and leaves no open upload', async () => {
    const inputs = await checked({ uploadConcurrency: 2 });
    await arkLocal.admin.addFault({ service: 'tos', operation: 'UploadPart', kind: 'latency', latencyMs: 100 });
    const stop = new AbortController();
    const creating = controller.create(inputs, { ...ctx().ctx, signal: stop.signal });
    await until('the first shard in the target', async () => (await listAll(tos, BUCKET, target)).some((o) => o.key.endsWith('model-00001-of-00002.safetensors')), FAST);
    await until('a multipart upload under way', async () => ((await tos.listMultipartUploads({ bucket: BUCKET, prefix: target })).data.Uploads ?? []).length > 0, FAST);
    stop.abort(new Error('engine gone'));
    await expect(creating).rejects.toThrow();
    await arkLocal.admin.clearFaults();

    const writes = await countTosRequests(arkLocal, ['PutObject', 'UploadPart', 'AbortMultipartUpload']);
    const { outs } = await controller.create(await checked(), ctx().ctx);
    const counts = await writes();
    expect(counts.AbortMultipartUpload).toBe(1);
    expect(counts.PutObject).toBe(0);
    expect(counts.UploadPart).toBeLessThanOrEqual(5); // the second shard only
    expect(outs.sourceVersion).toBe(inputs.sourceVersion);
    expect((await tos.listMultipartUploads({ bucket: BUCKET, prefix: target })).data.Uploads ?? []).toEqual([]);
  });

  test('a private repo: check names the token setting without the token; with it check reads the repo and its inputs hold no token', async () => {
    await arkLocal.admin.setHubRepoAccess(REPO, { private: true });
    const anonymous = contextFor(() => ({ ...arkLocal.providerSettings(), hubToken: undefined }));
    const result = await controller.check({}, news(), anonymous.ctx);
    expect(result.failures).toEqual([{ property: 'source', reason: expect.stringMatching(/HF_TOKEN|ark:hubToken/) }]);
    const wrong = 'hf_wrongwrongwrongwrongwrongwrongwrong';
    const refused = await controller.check({}, news(), contextFor(() => ({ ...arkLocal.providerSettings(), hubToken: wrong })).ctx);
    expect(JSON.stringify(refused.failures)).not.toContain(wrong);
    // With the token, check reads the private repo; what it hands the engine (and so the state) holds no token.
    const inputs = await checked();
    expect(inputs.sourceVersion).toBe(await headCommit());
    expect(JSON.stringify(inputs)).not.toContain(arkLocal.hubToken);
    await arkLocal.admin.setHubRepoAccess(REPO, { private: false });
  });

  async function countHub(operations: string[]): Promise<() => Promise<Record<string, number>>> {
    const ids = new Map<string, string>();
    for (const operation of operations) ids.set((await arkLocal.admin.addFault({ service: 'hub', operation, kind: 'latency', latencyMs: 0 })).id, operation);
    return async () => {
      const counts: Record<string, number> = Object.fromEntries(operations.map((o) => [o, 0]));
      for (const rule of await arkLocal.admin.listFaults()) if (ids.has(rule.id)) counts[ids.get(rule.id)!] = rule.fired;
      return counts;
    };
  }
});
