import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal } from '../../emulator';
import { ArkClient } from '../../provider/clients/ark/client';
import { findCustomModel } from '../../provider/clients/ark/finders';
import { OWNER_TAG_KEY } from '../../provider/resources/dynamic-shim';
import { PartialFailureError } from '../../provider/resources/controller';
import { arkModelName, customModelController as controller } from '../../provider/resources/custom-model/controller';
import type { Inputs, Outputs } from '../../provider/resources/custom-model/schema';
import { modelUnitEndpointController } from '../../provider/resources/model-unit-endpoint/controller';
import { type ArkFixture, recordingLog, rejection, startArkFixture } from './ark-client.fixtures';

/** CustomModel against ark-local: real imports of synthetic HF directories uploaded with the TOS SDK. */
// Waits poll for real and retries back off for real (bounded); the jest default of 5 s is too tight on a busy CI.
jest.setTimeout(60_000);

let fx: ArkFixture;
let location: string;
let loraLocation: string;

beforeAll(async () => {
  fx = await startArkFixture();
  location = await fx.uploadModel('models', 'sft/', { base: 'Qwen2.5-0.5B', variant: 'w4a8' });
  loraLocation = await fx.uploadModel('models', 'lora/', { base: 'Qwen2.5-0.5B', variant: 'lora-adapter' });
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

beforeEach(() => fx.resetBetweenTests());

function inputs(owner: string, overrides: Partial<Inputs> = {}): Inputs {
  return {
    name: 'qwen-sft',
    baseModel: 'Qwen2.5-0.5B',
    location,
    contentDigest: `sha256:${owner}`,
    quantization: 'W4A8',
    owner,
    ...overrides,
  };
}

async function modelsOwnedBy(owner: string) {
  return (await fx.client.listAll('ListCustomModels', { TagFilters: [{ Key: OWNER_TAG_KEY, Values: [owner] }] })).filter(
    (m) => m.Status !== 'Deleting',
  );
}

test('imports, waits Ready with progress, renames in place, and deletes until gone', async () => {
  const news = inputs('proj/dev/life', { description: 'first', tags: { team: 'ml' } });
  const { id, outs } = await controller.create(news, fx.ctx);
  expect(id).toMatch(/^cm-\d{14}-[a-z0-9]{5}$/);
  expect(outs).toMatchObject({
    status: 'Ready',
    modelName: arkModelName(news),
    foundationModel: { name: 'qwen2-5-0-5b', modelVersion: '20240919' },
  });
  expect(outs.modelName).toMatch(/^qwen-sft-[0-9a-f]{8}$/);
  expect(fx.log.lines.some((l) => /^custom model cm-\S+: (Preparing|Processing), .* elapsed/.test(l))).toBe(true);
  // GetCustomModel carries no Status (ark-local's default, F7): the finder reads it from ListCustomModels.
  expect(await fx.client.call('GetCustomModel', { Id: id })).not.toHaveProperty('Status');
  const live = (await findCustomModel(fx.client, id))!;
  expect(live).toMatchObject({ Status: 'Ready', TosLocation: { BucketName: 'models', ObjectKey: 'sft/' }, Quantization: 'W4A8', Description: 'first' });
  expect(live.Tags).toEqual(expect.arrayContaining([{ Key: OWNER_TAG_KEY, Value: 'proj/dev/life' }, { Key: 'team', Value: 'ml' }]));

  const renamed: Inputs = { ...news, name: 'qwen-sft-v2', description: 'second' };
  expect(await controller.diff(id, outs, renamed, fx.ctx)).toEqual({ changes: true, changed: ['name', 'description'], replaces: [] });
  const { outs: after } = await controller.update(id, outs, renamed, fx.ctx);
  expect(after.modelName).toBe(arkModelName(renamed));
  expect(await fx.client.call('GetCustomModel', { Id: id })).toMatchObject({ Name: arkModelName(renamed), Description: 'second' });
  expect(await controller.diff(id, after, { ...renamed, contentDigest: 'sha256:new-weights' }, fx.ctx)).toEqual({
    changes: true,
    changed: ['contentDigest'],
    replaces: ['contentDigest'],
  });

  await controller.delete(id, after, fx.ctx);
  expect(await controller.read(id, after, fx.ctx)).toEqual({});
  expect(await modelsOwnedBy('proj/dev/life')).toEqual([]);
});

test('a failed import (an unmerged LoRA adapter) is a partial failure reporting the service reason; the next up reports it again', async () => {
  const news = inputs('proj/dev/lora', { location: loraLocation, quantization: undefined });
  const error = await rejection(controller.create(news, fx.ctx));
  expect(error).toBeInstanceOf(PartialFailureError);
  expect(error.id).toMatch(/^cm-/);
  expect(error.properties).toMatchObject({ status: 'Failed' });
  const live = (await findCustomModel(fx.client, error.id))!;
  expect(live.StatusReason).toBeTruthy();
  expect(error.reasons[0]).toBe(`custom model ${error.id} import ended with status Failed: ${live.StatusReason}`);
  expect(error.reasons[0]).toMatch(/adapter/i);

  const props = error.properties as Outputs;
  expect((await controller.diff(error.id, props, news, fx.ctx)).changes).toBe(true);
  const again = await rejection(controller.update(error.id, props, news, fx.ctx));
  expect(again).toBeInstanceOf(PartialFailureError);
  expect(again.reasons[0]).toContain(live.StatusReason!);
  await controller.delete(error.id, props, fx.ctx);
});

test('a timed-out import keeps the id; the next up (update) resumes waiting and completes', async () => {
  await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1_000_000 });
  const news = inputs('proj/dev/slow', { createTimeoutSeconds: 1 });
  const error = await rejection(controller.create(news, fx.ctx));
  expect(error).toBeInstanceOf(PartialFailureError);
  expect(error.properties).toMatchObject({ status: 'Preparing' });
  expect(error.reasons[0]).toMatch(/timed out after 1(\.\d)?s waiting for custom model cm-\S+ to become Ready: its last status was Preparing/);

  await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
  const { outs } = await controller.update(error.id, error.properties as Outputs, news, fx.ctx);
  expect(outs.status).toBe('Ready');
  expect((await modelsOwnedBy('proj/dev/slow')).map((m) => m.Id)).toEqual([error.id]);
  await controller.delete(error.id, outs, fx.ctx);
});

test('an UploadModel whose answer is lost leaves exactly one model; a killed run is adopted, not imported twice', async () => {
  await fx.ark.admin.addFault({ service: 'ark', operation: 'UploadModel', kind: 'drop-response', count: 1 });
  const news = inputs('proj/dev/dropped');
  const { id, outs } = await controller.create(news, fx.ctx);
  expect((await fx.ark.admin.listFaults())[0].fired).toBe(1);
  expect((await modelsOwnedBy('proj/dev/dropped')).map((m) => m.Id)).toEqual([id]);

  // As if `pulumi up` had been killed after that create: state has nothing, the next create must adopt.
  const second = await controller.create(news, fx.ctx);
  expect(second.id).toBe(id);
  expect(fx.log.lines).toContain(`custom model "${outs.modelName}": adopting ${id}, imported by an earlier interrupted run of this resource`);
  expect((await modelsOwnedBy('proj/dev/dropped')).map((m) => m.Id)).toEqual([id]);
  await controller.delete(id, outs, fx.ctx);
});

test('refresh reports out-of-band changes as drift and drops a model deleted out of band', async () => {
  const news = inputs('proj/dev/drift', { description: 'mine' });
  const { id, outs } = await controller.create(news, fx.ctx);
  await fx.client.call('UpdateCustomModel', { Id: id, Description: 'edited in the console' });
  const read = await controller.read(id, outs, fx.ctx);
  expect(read.inputs).toMatchObject({ name: 'qwen-sft', description: 'edited in the console', contentDigest: news.contentDigest });
  expect(await controller.diff(id, read.props!, news, fx.ctx)).toEqual({ changes: true, changed: ['description'], replaces: [] });

  await fx.client.call('DeleteCustomModel', { Id: id });
  expect(await controller.read(id, read.props!, fx.ctx)).toEqual({});
});

test('delete is refused clearly while an endpoint serves the model, and succeeds once the endpoint is gone', async () => {
  const { id, outs } = await controller.create(inputs('proj/dev/in-use'), fx.ctx);
  const mu = (await fx.ark.admin.createModelUnit()).Id;
  const endpoint = await modelUnitEndpointController.create({ name: 'bot', customModelId: id, modelUnitId: mu, owner: 'proj/dev/bot' }, fx.ctx);

  const refused = await rejection(controller.delete(id, outs, fx.ctx));
  expect(refused.message).toBe(
    `cannot delete custom model ${id} ("${outs.modelName}"): endpoint(s) ${endpoint.id} ("bot", Running) still use it. ` +
      'Delete those endpoints or point them at another model first.',
  );
  expect(await findCustomModel(fx.client, id)).toMatchObject({ Status: 'Ready' });

  await modelUnitEndpointController.delete(endpoint.id, endpoint.outs, fx.ctx);
  await controller.delete(id, outs, fx.ctx);
  expect(await controller.read(id, outs, fx.ctx)).toEqual({});
});

test('delete waits for endpoints that are being deleted (the replacement order Pulumi uses)', async () => {
  const { id, outs } = await controller.create(inputs('proj/dev/replaced'), fx.ctx);
  const mu = (await fx.ark.admin.createModelUnit()).Id;
  const endpoint = await modelUnitEndpointController.create({ name: 'bot', customModelId: id, modelUnitId: mu, owner: 'proj/dev/bot2' }, fx.ctx);
  await fx.client.call('StopEndpoint', { Id: endpoint.id });
  await fx.client.call('DeleteEndpoint', { Id: endpoint.id });
  await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 3 });

  await controller.delete(id, outs, fx.ctx);
  expect(fx.log.lines).toContain(`custom model ${id}: waiting for endpoint(s) ${endpoint.id} to finish deleting`);
  expect(await controller.read(id, outs, fx.ctx)).toEqual({});
});

test('adoptExistingId takes over a model and refuses one imported for another base', async () => {
  const { id, outs } = await controller.create(inputs('proj/dev/original'), fx.ctx);
  const adopted = await controller.create(inputs('proj/dev/adopter', { adoptExistingId: id, contentDigest: outs.contentDigest }), fx.ctx);
  expect(adopted.id).toBe(id);
  const wrongBase = await rejection(controller.create(inputs('proj/dev/adopter2', { adoptExistingId: id, baseModel: 'Qwen2.5-7B' }), fx.ctx));
  expect(wrongBase.message).toBe(
    `adoptExistingId ${id}: the model was imported for base qwen2-5-0-5b/20240919, but baseModel Qwen2.5-7B expects qwen2-5-7b/20240919`,
  );
  const wrongRef = await rejection(
    controller.create(inputs('proj/dev/adopter3', { adoptExistingId: id, baseModelRef: { name: 'qwen2-5-0-5b', modelVersion: '20250101' } }), fx.ctx),
  );
  expect(wrongRef.message).toBe(`adoptExistingId ${id}: the model was imported for base qwen2-5-0-5b/20240919, but baseModelRef expects qwen2-5-0-5b/20250101`);
  await controller.delete(id, outs, fx.ctx);
});

test('baseModelRef names the model card to import against: an fm- id goes into UploadModel, and changing it replaces the model', async () => {
  const news = inputs('proj/dev/card', { baseModelRef: { id: 'fm-20250429-shared-card' } });
  expect(await controller.check({}, news, fx.ctx)).toEqual({ inputs: news });
  const { id, outs } = await controller.create(news, fx.ctx);
  expect(outs).toMatchObject({ status: 'Ready', baseModel: 'Qwen2.5-0.5B', baseModelRef: { id: 'fm-20250429-shared-card' } });
  // ark-local has no model cards: the model reports no FoundationModel, and the output stays unset.
  expect(outs.foundationModel).toBeUndefined();
  expect(outs.modelName).not.toBe(arkModelName({ ...news, baseModelRef: undefined }));
  const pair = { ...news, baseModelRef: { name: 'qwen2-5-0-5b', modelVersion: '20240919' } };
  expect(await controller.diff(id, outs, pair, fx.ctx)).toEqual({ changes: true, changed: ['baseModelRef'], replaces: ['baseModelRef'] });
  const replacement = await controller.create(pair, fx.ctx);
  expect(replacement.outs.foundationModel).toEqual({ name: 'qwen2-5-0-5b', modelVersion: '20240919' });
  await controller.delete(id, outs, fx.ctx);
  await controller.delete(replacement.id, replacement.outs, fx.ctx);
  expect(await modelsOwnedBy('proj/dev/card')).toEqual([]);
});

test.each([
  [{ id: 'fm-x', name: 'qwen3-8b' }, 'set either id (fm-…) alone, or name and modelVersion together'],
  [{ name: 'qwen3-8b' }, 'set either id (fm-…) alone, or name and modelVersion together'],
  [{ id: 'qwen3-8b-20250429' }, 'must be a base-model id like fm-…'],
])('check refuses baseModelRef %j', async (baseModelRef, reason) => {
  const { failures } = await controller.check({}, inputs('proj/dev/bad-ref', { baseModelRef }), fx.ctx);
  expect(failures?.map((f) => f.reason).join('; ')).toContain(reason);
});

/**
 * Answers that do not match the reader (`strip-fields` faults: no CreateTime, no Status anywhere, not even on
 * List items): the import's create keeps its id, refresh keeps the state's values, and delete, which needs only
 * ids, existence and users, removes everything, saying what it could not read.
 */
test('delete and refresh need only what they need: against answers the reader cannot parse, destroy leaves nothing', async () => {
  const { id, outs } = await controller.create(inputs('proj/dev/garbled'), fx.ctx);
  const mu = (await fx.ark.admin.createModelUnit()).Id;
  const endpoint = await modelUnitEndpointController.create({ name: 'bot', customModelId: id, modelUnitId: mu, owner: 'proj/dev/garbled-bot' }, fx.ctx);
  for (const operation of ['GetCustomModel', 'ListCustomModels', 'GetEndpoint', 'ListEndpoints']) {
    await fx.ark.admin.addFault({ service: 'ark', operation, kind: 'strip-fields', fields: ['CreateTime', 'Status'] });
  }

  const refreshed = await controller.read(id, outs, fx.ctx);
  expect(refreshed.props).toEqual(outs);
  const refreshedEndpoint = await modelUnitEndpointController.read(endpoint.id, endpoint.outs, fx.ctx);
  expect(refreshedEndpoint.props).toEqual(endpoint.outs);
  expect(fx.log.lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(new RegExp(`^WARN custom model ${id}: could not read CreateTime of Ark's GetCustomModel answer .*refresh keeps the state's values`)),
      expect.stringMatching(new RegExp(`^WARN endpoint ${endpoint.id}: could not read Status, CreateTime of Ark's GetEndpoint answer`)),
    ]),
  );

  // An endpoint whose status cannot be read still counts as a user.
  const refused = await rejection(controller.delete(id, outs, fx.ctx));
  expect(refused.message).toContain(`endpoint(s) ${endpoint.id} ("bot", (no status reported)) still use it`);

  await modelUnitEndpointController.delete(endpoint.id, endpoint.outs, fx.ctx);
  await controller.delete(id, outs, fx.ctx);
  expect(fx.log.lines).toContainEqual(expect.stringMatching(new RegExp(`^endpoint ${endpoint.id}: stopping before delete: down from `)));

  // The issue's `up`: an import whose answers do not parse keeps its id, and destroy deletes it.
  const failed = await rejection(controller.create(inputs('proj/dev/garbled-2'), fx.ctx));
  expect(failed).toBeInstanceOf(PartialFailureError);
  await controller.delete(failed.id, failed.properties as Outputs, fx.ctx);
  expect(fx.log.lines.some((l) => l.startsWith(`WARN custom model ${failed.id}: could not read`))).toBe(true);

  await fx.ark.admin.clearFaults();
  const state = await fx.ark.admin.state();
  expect(state.endpoints).toEqual([]);
  expect(state.customModels).toEqual([]);
});

test('with customModelStatusOnGet (an Ark whose Get carries Status), the wait reads it from Get', async () => {
  const permissive = await startArkLocal({ quiet: true, compat: { customModelStatusOnGet: true } });
  try {
    const settings = () => ({ ...permissive.providerSettings(), pollIntervalMs: 5 });
    const tos = new TosClient({ accessKeyId: permissive.credential.accessKeyId, accessKeySecret: permissive.credential.secretAccessKey, region: permissive.region, endpoint: permissive.tosEndpoint, secure: false });
    await tos.createBucket({ bucket: 'small' });
    await tos.putObject({ bucket: 'small', key: 'only-config/config.json', body: Buffer.from('{}') });
    const ctx = { settings, log: recordingLog() };
    const error = await rejection(controller.create(inputs('proj/dev/compat', { location: 'tos://small/only-config/', quantization: undefined }), ctx));
    expect(error).toBeInstanceOf(PartialFailureError);
    const live = await new ArkClient({ settings: settings() }).call('GetCustomModel', { Id: error.id });
    expect(live).toMatchObject({ Status: 'Failed' });
    expect(error.reasons[0]).toBe(`custom model ${error.id} import ended with status Failed: ${live.StatusReason}`);
    await controller.delete(error.id, error.properties as Outputs, ctx);
    expect((await permissive.admin.state()).customModels).toEqual([]);
  } finally {
    await permissive.close();
  }
});
