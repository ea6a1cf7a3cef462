import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { UNKNOWN_STATUS, VARIANCE_EXTRA_FIELD } from '../../emulator/ark/variance';
import { main } from '../../provider/cli/main';
import { ArkClient } from '../../provider/clients/ark/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import type { ControllerContext, ProviderSettings } from '../../provider/resources/controller';
import { customModelController } from '../../provider/resources/custom-model/controller';
import { modelUnitEndpointController } from '../../provider/resources/model-unit-endpoint/controller';
import { tosModelDirController } from '../../provider/resources/tos-model-dir/controller';
import { recordingLog, TEST_POLL_INTERVAL_MS } from './ark-client.fixtures';

/**
 * The whole pipeline (TosModelDir -> CustomModel -> ModelUnitEndpoint) through the controllers against ark-local
 * in variance mode: unknown extra fields, absent optional fields, an unknown transitional status before each
 * known one, and no Result for empty actions. Nothing may break, and the unknown statuses are shown raw.
 */
jest.setTimeout(120_000);

let ark: ArkLocal;
let scratch: string;
let settings: () => ProviderSettings;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'variance-'));
  process.env.PULUMI_ARK_CACHE_DIR = join(scratch, 'cache');
  ark = await startArkLocal({ dataDir: join(scratch, 'ark-local'), variance: true, transitions: { mode: 'after-reads', reads: 2 } });
  settings = () => ({ ...ark.providerSettings(), pollIntervalMs: TEST_POLL_INTERVAL_MS });
});
afterAll(async () => {
  await ark?.close();
  await rm(scratch, { recursive: true, force: true });
  delete process.env.PULUMI_ARK_CACHE_DIR;
});

function context(): { ctx: ControllerContext; lines: string[] } {
  const log = recordingLog();
  return { ctx: { settings, log }, lines: log.lines };
}

test('ark-local in variance mode answers like a less predictable service', async () => {
  expect(await ark.admin.getVariance()).toBe(true);
  const raw = await fetchAction('ListEndpoints', {});
  expect(raw.Result[VARIANCE_EXTRA_FIELD]).toBeDefined();
  expect(raw.Result.TotalCount).toBeUndefined();
  await ark.admin.setVariance(false);
  expect((await fetchAction('ListEndpoints', {})).Result.TotalCount).toBe(0);
  await ark.admin.setVariance(true);
});

test('the full pipeline deploys, refreshes through unknown statuses and destroys', async () => {
  const source = join(scratch, 'model');
  await writeSyntheticModel(source, { base: 'Qwen2.5-0.5B', fill: 'sparse' });
  const client = new ArkClient({ settings: settings() });
  await ark.admin.reset();
  const tosClient = (await import('./sync-helpers')).rawTos(ark);
  await tosClient.createBucket({ bucket: 'models' });

  // TosModelDir
  const dirCtx = context();
  const dirCheck = await tosModelDirController.check({}, { source, bucket: 'models', prefix: 'v1', baseModel: 'Qwen2.5-0.5B', owner: 'p/s/weights' }, dirCtx.ctx);
  expect(dirCheck.failures).toBeUndefined();
  const dir = await tosModelDirController.create(dirCheck.inputs!, dirCtx.ctx);

  // CustomModel: UploadModel, then an unknown status before Preparing, waited through.
  const modelCtx = context();
  const modelInputs = { name: 'sft', baseModel: 'Qwen2.5-0.5B', location: dir.outs.location, contentDigest: dir.outs.contentDigest, owner: 'p/s/model' };
  const model = await customModelController.create(modelInputs, modelCtx.ctx);
  expect(model.outs.status).toBe('Ready');
  expect(modelCtx.lines.some((l) => l.includes(`${UNKNOWN_STATUS.customModel} (a status pulumi-ark does not know; waiting through it)`))).toBe(true);

  // The doctor prints the very UploadModel body the controller sent (as ark-local recorded the import).
  let printed = '';
  const io = { stdout: { write: (s: string) => (printed += s) }, stderr: { write: () => true }, env: {}, cwd: scratch };
  const args = ['doctor', '--upload-model-request', source, '--bucket', 'models', '--prefix', 'v1', '--name', 'sft', '--owner', 'p/s/model'];
  expect(await main(args, io)).toBe(0);
  const body = JSON.parse(printed);
  const stored = (await ark.admin.state()).customModels.find((m) => m.Id === model.id)!;
  expect(body).toEqual({
    Name: stored.Name,
    FoundationModel: stored.FoundationModel,
    TosLocation: stored.TosLocation,
    Tags: stored.Tags,
  });
  expect(body.Name).toBe(model.outs.modelName);

  // ModelUnitEndpoint: an unknown status before Scheduling, waited through.
  const unit = await ark.admin.createModelUnit();
  const epCtx = context();
  const epInputs = { name: 'bot', customModelId: model.id, modelUnitId: unit.Id, rateLimit: { rpm: 60, tpm: 6000 }, tags: { team: '' }, owner: 'p/s/ep' };
  const endpoint = await modelUnitEndpointController.create(epInputs, epCtx.ctx);
  expect(endpoint.outs.status).toBe('Running');
  expect(epCtx.lines.some((l) => l.includes(`${UNKNOWN_STATUS.endpoint} (a status pulumi-ark does not know`))).toBe(true);

  // The endpoint serves chat.
  const openai = new OpenAI({ baseURL: ark.chatBaseUrl, apiKey: ark.apiKey, maxRetries: 0 });
  const reply = await openai.chat.completions.create({ model: endpoint.id, messages: [{ role: 'user', content: 'hi' }] });
  expect(reply.choices[0]!.message.content).toContain('ark-local synthetic reply');

  // Refresh sees no drift although optional fields are absent (empty tag value, list-less RateLimit).
  const refreshed = await modelUnitEndpointController.read(endpoint.id, endpoint.outs, context().ctx);
  expect(refreshed.props).toMatchObject({ status: 'Running', tags: { team: '' }, rateLimit: { rpm: 60, tpm: 6000 } });
  const modelRead = await customModelController.read(model.id, model.outs, context().ctx);
  expect(modelRead.props).toMatchObject({ status: 'Ready', modelName: model.outs.modelName });

  // Stopped and started outside Pulumi: refresh reports the unknown status raw, update waits it out.
  await client.call('StopEndpoint', { Id: endpoint.id });
  await client.call('StartEndpoint', { Id: endpoint.id });
  const midway = await modelUnitEndpointController.read(endpoint.id, endpoint.outs, context().ctx);
  expect(midway.props!.status).toBe(UNKNOWN_STATUS.endpoint);
  const diff = await modelUnitEndpointController.diff(endpoint.id, midway.props!, epInputs, context().ctx);
  expect(diff.changes).toBe(true);
  const updated = await modelUnitEndpointController.update(endpoint.id, midway.props!, epInputs, context().ctx);
  expect(updated.outs.status).toBe('Running');

  // Destroy in reverse order; the empty-result actions answer without Result.
  await modelUnitEndpointController.delete(endpoint.id, updated.outs, context().ctx);
  await customModelController.delete(model.id, model.outs, context().ctx);
  await tosModelDirController.delete(dir.id, dir.outs, context().ctx);
  const state = await ark.admin.state();
  expect(state.endpoints).toEqual([]);
  expect(state.customModels).toEqual([]);
});

/** One signed action through the client's transport, returning the raw JSON (to see what variance sends). */
async function fetchAction(action: 'ListEndpoints', body: object): Promise<{ Result: Record<string, unknown> }> {
  const { default: Signer, queryParamsToString } = await import('@volcengine/openapi/lib/base/sign');
  const s = settings();
  const params = { Action: action, Version: '2024-01-01' };
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  const signer = new Signer({ region: s.region, method: 'POST', pathname: '/', params, headers, body: text }, 'ark');
  signer.addAuthorization({ accessKeyId: s.accessKeyId, secretKey: s.secretAccessKey }, new Date());
  const response = await fetch(`${s.arkEndpoint}/?${queryParamsToString(signer.request.params)}`, { method: 'POST', headers: signer.request.headers, body: text });
  return (await response.json()) as { Result: Record<string, unknown> };
}
