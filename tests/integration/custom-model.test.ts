import { OWNER_TAG_KEY } from '../../provider/resources/dynamic-shim';
import { PartialFailureError } from '../../provider/resources/controller';
import { arkModelName, customModelController as controller } from '../../provider/resources/custom-model/controller';
import type { Inputs, Outputs } from '../../provider/resources/custom-model/schema';
import { modelUnitEndpointController } from '../../provider/resources/model-unit-endpoint/controller';
import { type ArkFixture, rejection, startArkFixture } from './ark-client.fixtures';

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
    foundationModel: { name: 'qwen2-5-0-5b', modelVersion: '240919' },
  });
  expect(outs.modelName).toMatch(/^qwen-sft-[0-9a-f]{8}$/);
  expect(fx.log.lines.some((l) => /^custom model cm-\S+: (Preparing|Processing), .* elapsed/.test(l))).toBe(true);
  const live = await fx.client.call('GetCustomModel', { Id: id });
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
  const live = await fx.client.call('GetCustomModel', { Id: error.id });
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
  expect(await fx.client.call('GetCustomModel', { Id: id })).toMatchObject({ Status: 'Ready' });

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
    `adoptExistingId ${id}: the model was imported for base qwen2-5-0-5b/240919, but baseModel Qwen2.5-7B expects qwen2-5-7b/240919`,
  );
  await controller.delete(id, outs, fx.ctx);
});
