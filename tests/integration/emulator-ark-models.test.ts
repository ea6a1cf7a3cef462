import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { TosClient } from '@volcengine/tos-sdk';
import { CUSTOM_MODEL_ID_PATTERN } from '../../provider/api/ids';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { startArkHarness, type ArkHarness } from './emulator-ark-harness';

// Custom models imported from TOS (UploadModel) and endpoints on them, through @volcengine/openapi and the TOS SDK.
// One real-size Qwen2.5-0.5B checkpoint (sparse locally, ~1 GB through TOS) is uploaded once for the Ready path;
// the Failed paths use small directories.

const QWEN_05B = { Name: 'qwen2-5-0-5b', ModelVersion: '20240919' };
const QWEN_7B = { Name: 'qwen2-5-7b', ModelVersion: '20240919' };
const BUCKET = 'models';

let h: ArkHarness;
let tos: TosClient;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ark-models-'));
  h = await startArkHarness({ dataDir: join(work, 'data'), transitions: { mode: 'after-reads', reads: 1 } });
  tos = new TosClient({ accessKeyId: h.ark.credential.accessKeyId, accessKeySecret: h.ark.credential.secretAccessKey, region: h.ark.region, endpoint: h.ark.tosEndpoint, secure: false });
  await tos.createBucket({ bucket: BUCKET });
  await uploadDir(await synthetic('good', { base: 'Qwen2.5-0.5B' }), 'good/');
}, 300_000);
afterAll(async () => {
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

async function synthetic(name: string, opts: Parameters<typeof writeSyntheticModel>[1]): Promise<string> {
  const dir = join(work, name);
  await writeSyntheticModel(dir, opts);
  return dir;
}

async function uploadDir(dir: string, prefix: string, skip: (file: string) => boolean = () => false): Promise<void> {
  for (const file of readdirSync(dir)) {
    if (skip(file)) continue;
    const path = join(dir, file);
    await tos.putObject({ bucket: BUCKET, key: prefix + file, body: createReadStream(path), contentLength: statSync(path).size });
  }
}

/**
 * Reads the model until the import settles, returning every status seen. Status is on ListCustomModels items
 * only (GetCustomModel has none by default, F7), and a List counts one read of every model.
 */
async function settle(id: string): Promise<{ seen: string[]; model: Awaited<ReturnType<typeof listed>> }> {
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) {
    const model = await listed(id);
    seen.push(model.Status);
    if (model.Status === 'Ready' || model.Status === 'Failed') return { seen, model };
  }
  throw new Error(`${id} did not settle: ${seen.join(' -> ')}`);
}
const get = (id: string) => h.ok('GetCustomModel', { Id: id });
const listed = async (id: string) => (await h.ok('ListCustomModels', { Filter: { Ids: [id] } })).Items[0]!;
const upload = (name: string, prefix: string, extra: Record<string, unknown> = {}) =>
  h.ok('UploadModel', { Name: name, FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: prefix }, ...extra } as never);

describe('UploadModel -> Preparing -> Processing -> Ready, then endpoints on it', () => {
  let modelId: string;

  it('imports a loadable checkpoint of the declared base', async () => {
    modelId = (await upload('qwen-good', 'good', { Tags: [{ Key: 'stage', Value: 'prod' }] })).Id;
    expect(modelId).toMatch(CUSTOM_MODEL_ID_PATTERN);
    const { seen, model } = await settle(modelId);
    expect(seen).toEqual(['Preparing', 'Processing', 'Ready']);
    expect(model).toMatchObject({ Name: 'qwen-good', SourceType: 'Import', FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: 'good/' }, Tags: [{ Key: 'stage', Value: 'prod' }] });
    expect(model.StatusReason).toBeUndefined();
    // The 2026 Node SDK's Get shape: everything the List item has but Status (and StatusReason).
    const { Status: _status, ...rest } = model;
    const got = await get(modelId);
    expect(got).toEqual(rest);
    expect(got).not.toHaveProperty('Status');
  });

  it('serves it on a model unit, refuses to delete it while referenced, then deletes both', async () => {
    const mu = await h.ark.admin.createModelUnit({ slots: 1 });
    expect(await h.fail('CreateEndpoint', { Name: 'no-unit', ModelReference: { CustomModelId: modelId } })).toMatchObject({ status: 400, code: 'MissingParameter.ModelUnitId' });
    const { Id } = await h.ok('CreateEndpoint', { Name: 'serve', ModelReference: { CustomModelId: modelId }, ModelUnitId: mu.Id });
    expect(await h.fail('CreateEndpoint', { Name: 'second', ModelReference: { CustomModelId: modelId }, ModelUnitId: mu.Id })).toMatchObject({ status: 403, code: 'OperationDenied.ModelUnitInsufficient' });
    await h.ok('GetEndpoint', { Id });
    expect(await h.ok('GetEndpoint', { Id })).toMatchObject({ Status: 'Running', EndpointModelType: 'CustomModel' });
    expect((await h.ok('ListEndpoints', { Filter: { CustomModelIds: [modelId] } })).Items.map((e) => e.Id)).toEqual([Id]);

    const openai = new OpenAI({ baseURL: h.ark.chatBaseUrl, apiKey: h.ark.apiKey, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: Id, messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0]!.message.content).toContain(`[ark-local synthetic reply from ${Id} serving ${modelId} (Qwen2.5-0.5B)]`);

    const inUse = await h.fail('DeleteCustomModel', { Id: modelId });
    expect(inUse).toMatchObject({ status: 403, code: 'OperationDenied.CustomModelInUse' });
    expect(inUse.message).toContain(Id);

    await h.ok('StopEndpoint', { Id });
    await h.ok('DeleteEndpoint', { Id });
    await h.ok('GetEndpoint', { Id });
    expect(await h.fail('GetEndpoint', { Id })).toMatchObject({ status: 404 });
    expect(await h.ok('DeleteCustomModel', { Id: modelId })).toEqual({});
    expect((await listed(modelId)).Status).toBe('Deleting');
    expect(await h.fail('GetCustomModel', { Id: modelId })).toMatchObject({ status: 404, code: 'NotFound.CustomModel' });
  });
});

describe('imports that end Failed with a StatusReason', () => {
  beforeAll(async () => {
    await uploadDir(await synthetic('lora', { base: 'Qwen2.5-0.5B', variant: 'lora-adapter' }), 'lora/');
    const noWeights = join(work, 'no-weights');
    await writeSyntheticModel(noWeights, { base: 'Qwen2.5-0.5B' });
    await uploadDir(noWeights, 'no-weights/', (f) => f.endsWith('.safetensors'));
    await uploadDir(noWeights, 'no-config/', (f) => f.endsWith('.safetensors') || f === 'config.json');
    await tos.putObject({ bucket: BUCKET, key: 'no-config/model.safetensors', body: Buffer.alloc(16) });
  });

  it.each([
    ['missing config.json', 'no-config', {}, /config/i],
    ['no weights', 'no-weights', {}, /weight|safetensors/i],
    ['an unmerged LoRA adapter', 'lora', {}, /adapter|lora/i],
    ['a different base than declared', 'good', { FoundationModel: QWEN_7B }, /Qwen2\.5-0\.5B|base/i],
    ['a precision other than declared', 'good', { Quantization: 'W8A8' }, /QuantizationMismatch/],
  ])('%s', async (_name, prefix, extra, reason) => {
    const { Id } = await upload(`bad-${prefix}-${Object.keys(extra).join('')}`, prefix, extra);
    const { seen, model } = await settle(Id);
    expect(seen).toEqual(['Preparing', 'Processing', 'Failed']);
    expect(model.StatusReason).toMatch(reason);
    expect(model.StatusReason).toContain(`tos://${BUCKET}/${prefix}/`);
    expect(Object.keys(await get(Id)).filter((k) => k.startsWith('Status'))).toEqual([]);
    const mu = await h.ark.admin.createModelUnit({});
    expect(await h.fail('CreateEndpoint', { Name: 'x', ModelReference: { CustomModelId: Id }, ModelUnitId: mu.Id })).toMatchObject({ status: 403, code: 'OperationDenied.InvalidState' });
  });
});

describe('UploadModel refusals and the other custom model actions', () => {
  it('refuses a missing bucket, an unsupported base, a duplicate name, a bad name; DryRun creates nothing', async () => {
    expect(await h.fail('UploadModel', { Name: 'm1', FoundationModel: QWEN_05B, TosLocation: { BucketName: 'no-such-bucket', ObjectKey: 'x/' } })).toMatchObject({ status: 404, code: 'NotFound.TosBucket' });
    expect(await h.fail('UploadModel', { Name: 'm1', FoundationModel: { Name: 'doubao-pro', ModelVersion: '240101' }, TosLocation: { BucketName: BUCKET, ObjectKey: 'x/' } })).toMatchObject({ status: 404, code: 'NotFound.FoundationModel' });
    // The 6-digit version the catalogue used to guess is not the catalogue's reference any more (F17).
    expect(await h.fail('UploadModel', { Name: 'm1', FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' }, TosLocation: { BucketName: BUCKET, ObjectKey: 'x/' } })).toMatchObject({ status: 404, code: 'NotFound.FoundationModel' });
    expect(await h.fail('UploadModel', { Name: 'm1', FoundationModel: { Id: 'fm x' }, TosLocation: { BucketName: BUCKET, ObjectKey: 'x/' } })).toMatchObject({ status: 400, code: 'InvalidParameter.FoundationModel.Id' });
    expect(await h.fail('UploadModel', { Name: '1abc', FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: 'x/' } })).toMatchObject({ status: 400, code: 'InvalidParameter.Name' });
    expect(await h.fail('UploadModel', { Name: 'm1', FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: '/abs' } })).toMatchObject({ status: 400, code: 'InvalidParameter.TosURLInvalid' });
    expect(await h.fail('UploadModel', { Name: 'm1', FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: 'x/' }, DryRun: true })).toMatchObject({ status: 400, code: 'DryRunOperation' });
    await upload('taken', 'x/');
    expect(await h.fail('UploadModel', { Name: 'taken', FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: 'y/' } })).toMatchObject({ status: 409, code: 'Duplicate.Name' });
    expect((await h.ok('ListCustomModels', { Filter: { Name: 'm1' } })).TotalCount).toBe(0);
  });

  it('accepts a model card named by fm- id; the model then reports no FoundationModel and imports whatever base its files are', async () => {
    const { Id } = await upload('by-card', 'good', { FoundationModel: { Id: 'fm-20250429-qwen3-8b-card' } });
    const { seen, model } = await settle(Id);
    expect(seen).toEqual(['Preparing', 'Processing', 'Ready']);
    expect(model).not.toHaveProperty('FoundationModel');
  });

  it('UpdateCustomModel renames (names stay unique); ListCustomModels filters, tags and pages', async () => {
    const a = (await upload('list-a', 'x/', { Tags: [{ Key: 'k', Value: '1' }] })).Id;
    const b = (await upload('list-b', 'x/', { Tags: [{ Key: 'k', Value: '2' }] })).Id;
    expect(await h.ok('UpdateCustomModel', { Id: a, Name: 'list-a2', Description: 'renamed' })).toEqual({ Id: a });
    expect(await get(a)).toMatchObject({ Name: 'list-a2', Description: 'renamed' });
    expect(await h.fail('UpdateCustomModel', { Id: a, Name: 'list-b' })).toMatchObject({ status: 409, code: 'Duplicate.Name' });
    expect(await h.fail('UpdateCustomModel', { Id: 'cm-20240101000000-abcde', Name: 'zz' })).toMatchObject({ status: 404, code: 'NotFound.CustomModel' });

    expect((await h.ok('ListCustomModels', { Filter: { Name: 'list-' } })).Items.map((m) => m.Id).sort()).toEqual([a, b].sort());
    expect((await h.ok('ListCustomModels', { Filter: { Ids: [b] } })).Items.map((m) => m.Id)).toEqual([b]);
    expect((await h.ok('ListCustomModels', { TagFilters: [{ Key: 'k', Values: ['2'] }] })).Items.map((m) => m.Id)).toEqual([b]);
    const failed = await h.ok('ListCustomModels', { Filter: { Statuses: ['Failed'] }, PageSize: 2, PageNumber: 1 });
    expect(failed.Items.every((m) => m.Status === 'Failed')).toBe(true);
    expect(failed.Items.length).toBeLessThanOrEqual(2);
    expect(await h.fail('DeleteCustomModel', { Id: 'cm-20240101000000-abcde' })).toMatchObject({ status: 404, code: 'NotFound.CustomModel' });
  });
});

describe('customModelStatusOnGet (the permissive reading, for an account whose Get carries Status)', () => {
  it('puts Status and StatusReason back on GetCustomModel', async () => {
    const permissive = await startArkHarness({ dataDir: join(work, 'data-permissive'), compat: { customModelStatusOnGet: true } });
    try {
      const tosP = new TosClient({ accessKeyId: permissive.ark.credential.accessKeyId, accessKeySecret: permissive.ark.credential.secretAccessKey, region: permissive.ark.region, endpoint: permissive.ark.tosEndpoint, secure: false });
      await tosP.createBucket({ bucket: BUCKET });
      await tosP.putObject({ bucket: BUCKET, key: 'empty/config.json', body: Buffer.from('{}') });
      const { Id } = await permissive.ok('UploadModel', { Name: 'm', FoundationModel: QWEN_05B, TosLocation: { BucketName: BUCKET, ObjectKey: 'empty/' } });
      // Immediate transitions: the first read sees the import settled.
      expect(await permissive.ok('GetCustomModel', { Id })).toMatchObject({ Id, Status: 'Failed', StatusReason: expect.stringContaining('tos://models/empty/') });
    } finally {
      await permissive.close();
    }
  });
});
