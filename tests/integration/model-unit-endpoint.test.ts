import { OWNER_TAG_KEY } from '../../provider/resources/dynamic-shim';
import { PartialFailureError } from '../../provider/resources/controller';
import { customModelController } from '../../provider/resources/custom-model/controller';
import type { Inputs as ModelInputs } from '../../provider/resources/custom-model/schema';
import { modelUnitEndpointController as controller } from '../../provider/resources/model-unit-endpoint/controller';
import type { Inputs, Outputs } from '../../provider/resources/model-unit-endpoint/schema';
import { type ArkFixture, rejection, startArkFixture } from './ark-client.fixtures';

/**
 * ModelUnitEndpoint against ark-local, controllers called as the provider runtime calls them. Transitions
 * advance after reads, so every wait really polls.
 */
// Waits poll for real and retries back off for real (bounded); the jest default of 5 s is too tight on a busy CI.
jest.setTimeout(60_000);

let fx: ArkFixture;
let modelA: string;
let modelB: string;

beforeAll(async () => {
  fx = await startArkFixture();
  // One upload (hundreds of MB) serves two custom models: the import only reads the directory.
  const location = await fx.uploadModel('models', 'sft/', { base: 'Qwen2.5-0.5B', variant: 'w4a8' });
  const model = (name: string): ModelInputs => ({
    name,
    baseModel: 'Qwen2.5-0.5B',
    location,
    contentDigest: `sha256:${name}`,
    quantization: 'W4A8',
    owner: `proj/dev/${name}`,
  });
  modelA = (await customModelController.create(model('model-a'), fx.ctx)).id;
  modelB = (await customModelController.create(model('model-b'), fx.ctx)).id;
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

beforeEach(() => fx.resetBetweenTests());

async function modelUnit(opts: { failWith?: string; slots?: number } = {}): Promise<string> {
  return (await fx.ark.admin.createModelUnit(opts)).Id;
}

function inputs(overrides: Partial<Inputs> & { modelUnitId: string; owner: string }): Inputs {
  return { name: 'support-bot', customModelId: modelA, ...overrides };
}

async function endpointsOwnedBy(owner: string) {
  return (await fx.client.listAll('ListEndpoints', { TagFilters: [{ Key: OWNER_TAG_KEY, Values: [owner] }] })).filter(
    (e) => e.Status !== 'Deleting',
  );
}

test('create waits Running with progress, updates in place, deletes (stopping first) and waits until gone', async () => {
  const mu = await modelUnit();
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/life', rateLimit: { rpm: 60, tpm: 6000 }, moderation: 'Default', tags: { team: 'ml' } });
  const { id, outs } = await controller.create(news, fx.ctx);
  expect(id).toMatch(/^ep-\d{14}-[a-z0-9]{5}$/);
  expect(outs).toMatchObject({ status: 'Running', chatBaseUrl: fx.ark.chatBaseUrl, modelUnitId: mu, customModelId: modelA });
  expect(fx.log.lines.some((l) => l.startsWith(`endpoint ${id}: Scheduling,`) && l.includes('elapsed'))).toBe(true);
  const created = await fx.client.call('GetEndpoint', { Id: id });
  expect(created.Tags).toEqual(expect.arrayContaining([{ Key: OWNER_TAG_KEY, Value: 'proj/dev/life' }, { Key: 'team', Value: 'ml' }]));
  expect(created.RateLimit).toEqual({ Rpm: 60, Tpm: 6000 });

  const changed: Inputs = { ...news, name: 'support-bot-2', description: 'v2', rateLimit: { rpm: 120, tpm: 9000 }, tags: { team: 'nlp' } };
  expect(await controller.diff(id, outs, changed, fx.ctx)).toEqual({
    changes: true,
    changed: ['name', 'description', 'rateLimit', 'tags'],
    replaces: [],
    deleteBeforeReplace: false,
  });
  const updated = await controller.update(id, outs, changed, fx.ctx);
  expect(updated.outs).toMatchObject({ name: 'support-bot-2', description: 'v2', status: 'Running' });
  const live = await fx.client.call('GetEndpoint', { Id: id });
  expect(live).toMatchObject({ Id: id, Name: 'support-bot-2', Description: 'v2', RateLimit: { Rpm: 120, Tpm: 9000 } });
  expect(live.Tags).toEqual(expect.arrayContaining([{ Key: OWNER_TAG_KEY, Value: 'proj/dev/life' }, { Key: 'team', Value: 'nlp' }]));
  expect(await controller.diff(id, updated.outs, changed, fx.ctx)).toMatchObject({ changes: false });

  await controller.delete(id, updated.outs, fx.ctx);
  expect(fx.log.lines).toContainEqual(expect.stringMatching(new RegExp(`^endpoint ${id}: stopping before delete: down from \\d\\d:\\d\\d:\\d\\d UTC \\(model unit ${mu}\\)$`)));
  expect(await controller.read(id, updated.outs, fx.ctx)).toEqual({});
  expect((await fx.ark.admin.state()).endpoints.map((e: { Id: string }) => e.Id)).not.toContain(id);
});

test('an endpoint going Abnormal is a partial failure carrying its id; the next up reports it again; delete still works', async () => {
  const mu = await modelUnit({ failWith: 'GPU driver crashed on node 3' });
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/abnormal' });
  const error = await rejection(controller.create(news, fx.ctx));
  expect(error).toBeInstanceOf(PartialFailureError);
  expect(error.id).toMatch(/^ep-/);
  expect(error.properties).toMatchObject({ status: 'Abnormal', statusReason: expect.stringContaining('GPU driver crashed') });
  expect(error.reasons[0]).toContain(`endpoint ${error.id} is Abnormal: GPU driver crashed on node 3`);

  const props = error.properties as Outputs;
  expect((await controller.diff(error.id, props, news, fx.ctx)).changes).toBe(true);
  const again = await rejection(controller.update(error.id, props, news, fx.ctx));
  expect(again).toBeInstanceOf(PartialFailureError);
  expect(again.id).toBe(error.id);
  expect(again.reasons[0]).toContain('GPU driver crashed');

  await controller.delete(error.id, props, fx.ctx);
  expect(await endpointsOwnedBy('proj/dev/abnormal')).toEqual([]);
});

test('a wait that times out keeps the id; the next up (update) resumes and completes', async () => {
  const mu = await modelUnit();
  await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1_000_000 });
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/slow', createTimeoutSeconds: 1 });
  const error = await rejection(controller.create(news, fx.ctx));
  expect(error).toBeInstanceOf(PartialFailureError);
  expect(error.properties).toMatchObject({ status: 'Scheduling' });
  expect(error.reasons[0]).toMatch(/timed out after 1(\.\d)?s waiting for endpoint ep-\S+ to become Running: its last status was Scheduling/);
  expect(error.reasons[0]).toContain('the next `pulumi up` resumes waiting');

  await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
  const props = error.properties as Outputs;
  expect((await controller.diff(error.id, props, news, fx.ctx)).changes).toBe(true);
  const { outs } = await controller.update(error.id, props, news, fx.ctx);
  expect(outs.status).toBe('Running');
  expect((await endpointsOwnedBy('proj/dev/slow')).map((e) => e.Id)).toEqual([error.id]);
  await controller.delete(error.id, outs, fx.ctx);
});

test('a CreateEndpoint whose answer is lost leaves exactly one endpoint', async () => {
  const mu = await modelUnit();
  await fx.ark.admin.addFault({ service: 'ark', operation: 'CreateEndpoint', kind: 'drop-response', count: 1 });
  const { id, outs } = await controller.create(inputs({ modelUnitId: mu, owner: 'proj/dev/dropped' }), fx.ctx);
  expect((await fx.ark.admin.listFaults())[0].fired).toBe(1);
  const owned = await endpointsOwnedBy('proj/dev/dropped');
  expect(owned.map((e) => e.Id)).toEqual([id]);
  expect(fx.log.lines.some((l) => l.includes('had taken effect') && l.includes(id))).toBe(true);
  await controller.delete(id, outs, fx.ctx);
});

test('a run killed after CreateEndpoint: the next create adopts the endpoint instead of making a second', async () => {
  const mu = await modelUnit();
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/killed' });
  const { Id } = await fx.client.call('CreateEndpoint', {
    Name: news.name,
    ModelReference: { CustomModelId: modelA },
    ModelUnitId: mu,
    Tags: [{ Key: OWNER_TAG_KEY, Value: 'proj/dev/killed' }],
  });
  const { id, outs } = await controller.create(news, fx.ctx);
  expect(id).toBe(Id);
  expect((await endpointsOwnedBy('proj/dev/killed')).map((e) => e.Id)).toEqual([Id]);
  await controller.delete(id, outs, fx.ctx);
});

test('create-before-delete replacement on a unit with room for two (asked for): created beside the old one, never adopting it', async () => {
  const mu = await modelUnit({ slots: 2 });
  const old = inputs({ modelUnitId: mu, owner: 'proj/dev/replace', replacement: 'create-before-delete' });
  const first = await controller.create(old, fx.ctx);
  const next: Inputs = { ...old, customModelId: modelB };
  expect(await controller.diff(first.id, first.outs, next, fx.ctx)).toEqual({
    changes: true,
    changed: ['customModelId'],
    replaces: ['customModelId'],
    deleteBeforeReplace: false,
  });
  const second = await controller.create(next, fx.ctx);
  expect(second.id).not.toBe(first.id);
  expect(second.outs.customModelId).toBe(modelB);
  await controller.delete(first.id, first.outs, fx.ctx);
  // The old model is free again once its endpoint is gone.
  expect((await fx.client.listAll('ListEndpoints', { Filter: { CustomModelIds: [modelA] } })).filter((e) => e.ModelUnitId === mu)).toEqual([]);
  await controller.delete(second.id, second.outs, fx.ctx);
});

test('refresh shows an endpoint stopped out of band; the next update starts it again', async () => {
  const mu = await modelUnit();
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/stopped' });
  const { id, outs } = await controller.create(news, fx.ctx);
  await fx.client.call('StopEndpoint', { Id: id });
  const read = await controller.read(id, outs, fx.ctx);
  expect(read).toMatchObject({ id, props: { status: 'Stopped' } });
  const diff = await controller.diff(id, read.props!, news, fx.ctx);
  expect(diff).toMatchObject({ changes: true, replaces: [] });
  const { outs: after } = await controller.update(id, read.props!, news, fx.ctx);
  expect(after.status).toBe('Running');
  expect(fx.log.lines).toContain(`endpoint ${id}: Stopped (outside Pulumi); starting it again`);
  await controller.delete(id, after, fx.ctx);
});

test('refresh reports out-of-band changes as drift, and drops an endpoint deleted out of band', async () => {
  const mu = await modelUnit();
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/drift', description: 'mine' });
  const { id, outs } = await controller.create(news, fx.ctx);
  await fx.client.call('UpdateEndpoint', { Id: id, DryRun: false, Description: 'changed by hand', Name: 'renamed' });
  const read = await controller.read(id, outs, fx.ctx);
  expect(read.inputs).toMatchObject({ name: 'renamed', description: 'changed by hand', owner: 'proj/dev/drift' });
  expect(await controller.diff(id, read.props!, news, fx.ctx)).toMatchObject({ changes: true, replaces: [] });

  await fx.client.call('StopEndpoint', { Id: id });
  await fx.client.call('DeleteEndpoint', { Id: id });
  expect(await controller.read(id, read.props!, fx.ctx)).toEqual({});
  await controller.delete(id, read.props!, fx.ctx); // already going or gone: a no-op, not an error
});

test('survives a throttling storm (half of all Ark calls refused) through create, update, read and delete', async () => {
  const mu = await modelUnit();
  await fx.ark.admin.addFault({ service: 'ark', operation: '*', kind: 'throttle', rate: 0.5 });
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/storm' });
  const { id, outs } = await controller.create(news, fx.ctx);
  const { outs: updated } = await controller.update(id, outs, { ...news, description: 'stormy' }, fx.ctx);
  expect((await controller.read(id, updated, fx.ctx)).props).toMatchObject({ description: 'stormy', status: 'Running' });
  await controller.delete(id, updated, fx.ctx);
  const fired = (await fx.ark.admin.listFaults())[0].fired;
  await fx.ark.admin.clearFaults();
  expect(fired).toBeGreaterThan(0);
  expect(await endpointsOwnedBy('proj/dev/storm')).toEqual([]);
  // Real full-jitter backoff (up to 10 s a wait) on half of ~50 calls: 18-50 s measured, so a long unlucky streak
  // needs more than the default 2 minutes.
}, 300_000);

// Ark's model units host one endpoint (ark-local's default): what a replacement does there, and with a standby unit.

test('new weights on a one-endpoint unit: the plan deletes first, and delete then create converge on the same unit', async () => {
  const mu = await modelUnit();
  const old = inputs({ modelUnitId: mu, owner: 'proj/dev/one-slot' });
  const first = await controller.create(old, fx.ctx);
  const next: Inputs = { ...old, customModelId: modelB };
  expect(await controller.diff(first.id, first.outs, next, fx.ctx)).toMatchObject({ replaces: ['customModelId'], deleteBeforeReplace: true });
  expect(fx.log.lines).toContainEqual(expect.stringContaining(`endpoint ${first.id} will be replaced by deleting it first: it is down from its delete until`));

  await controller.delete(first.id, first.outs, fx.ctx);
  const second = await controller.create(next, fx.ctx);
  expect(second.outs).toMatchObject({ status: 'Running', customModelId: modelB, servingModelUnitId: mu });
  expect(fx.log.lines).toContainEqual(expect.stringMatching(new RegExp(`^endpoint ${second.id}: Running on model unit ${mu} at \\d\\d:\\d\\d:\\d\\d UTC, serving$`)));
  expect((await endpointsOwnedBy('proj/dev/one-slot')).map((e) => e.Id)).toEqual([second.id]);
  await controller.delete(second.id, second.outs, fx.ctx);
});

test('create-before-delete on a one-endpoint unit fails with what to do, creating nothing', async () => {
  const mu = await modelUnit();
  const old = inputs({ modelUnitId: mu, owner: 'proj/dev/cbd', replacement: 'create-before-delete' });
  const first = await controller.create(old, fx.ctx);
  const error = await rejection(controller.create({ ...old, customModelId: modelB }, fx.ctx));
  expect(error.message).toMatch(/^endpoint "support-bot" has no model unit with room: .*A model unit hosts one endpoint\. replacement: create-before-delete needs a second unit: set standbyModelUnitId/);
  expect((await endpointsOwnedBy('proj/dev/cbd')).map((e) => e.Id)).toEqual([first.id]);
  await controller.delete(first.id, first.outs, fx.ctx);
});

test('with a standby unit, replacements alternate between the two units, the new endpoint Running before the old one goes', async () => {
  const primary = await modelUnit();
  const standby = await modelUnit();
  const v1 = inputs({ modelUnitId: primary, standbyModelUnitId: standby, owner: 'proj/dev/standby' });
  const first = await controller.create(v1, fx.ctx);
  expect(first.outs.servingModelUnitId).toBe(primary);

  const v2: Inputs = { ...v1, customModelId: modelB };
  expect(await controller.diff(first.id, first.outs, v2, fx.ctx)).toMatchObject({ replaces: ['customModelId'], deleteBeforeReplace: false });
  const second = await controller.create(v2, fx.ctx);
  expect(second.outs).toMatchObject({ status: 'Running', servingModelUnitId: standby, modelUnitId: primary });
  // Both serve until the engine deletes the old one.
  expect((await endpointsOwnedBy('proj/dev/standby')).map((e) => `${e.Id} ${e.Status}`).sort()).toEqual([`${first.id} Running`, `${second.id} Running`].sort());
  await controller.delete(first.id, first.outs, fx.ctx);

  const third = await controller.create({ ...v2, customModelId: modelA }, fx.ctx);
  expect(third.outs.servingModelUnitId).toBe(primary);
  await controller.delete(second.id, second.outs, fx.ctx);
  // Refresh keeps the input and reports where it runs.
  expect((await controller.read(third.id, third.outs, fx.ctx)).props).toMatchObject({ modelUnitId: primary, standbyModelUnitId: standby, servingModelUnitId: primary });
  await controller.delete(third.id, third.outs, fx.ctx);
});

test('a reclaimed unit shows on refresh, and up fails with one message, creating no endpoint; delete still works', async () => {
  const mu = await modelUnit();
  const news = inputs({ modelUnitId: mu, owner: 'proj/dev/reclaimed' });
  const { id, outs } = await controller.create(news, fx.ctx);
  expect(await fx.ark.admin.reclaimModelUnit(mu, 'no traffic for 7 days')).toEqual({ Id: mu, EndpointIds: [id] });

  const read = await controller.read(id, outs, fx.ctx);
  expect(read.props).toMatchObject({ status: 'Abnormal', statusReason: expect.stringContaining(`the model unit ${mu} was reclaimed (no traffic for 7 days)`) });
  expect((await controller.diff(id, read.props!, news, fx.ctx)).changes).toBe(true);
  const unitGone = new RegExp(`^model unit ${mu} does not exist in Ark \\(endpoint ${id} is Abnormal on it: .*\\)\\. Order a model unit in the Ark console, set modelUnitId to its id and run \`pulumi up\` again\\.$`);
  for (let run = 0; run < 2; run++) {
    const error = await rejection(controller.update(id, read.props!, news, fx.ctx));
    expect(error).toBeInstanceOf(PartialFailureError);
    expect(error.reasons).toEqual([expect.stringMatching(unitGone)]);
  }
  // A create on it (after a refresh dropped the endpoint, say) says the same, once.
  const created = await rejection(controller.create({ ...news, owner: 'proj/dev/reclaimed-2' }, fx.ctx));
  expect(created.message).toMatch(new RegExp(`^model unit ${mu} does not exist in Ark \\(CreateEndpoint answered NotFound\\.ModelUnit; .*set modelUnitId to its id`));
  expect(await endpointsOwnedBy('proj/dev/reclaimed-2')).toEqual([]);

  // A new unit in modelUnitId: the endpoint is replaced there (delete first, the unit hosting one endpoint).
  const replacementUnit = await modelUnit();
  const moved: Inputs = { ...news, modelUnitId: replacementUnit };
  expect(await controller.diff(id, read.props!, moved, fx.ctx)).toMatchObject({ replaces: ['modelUnitId'], deleteBeforeReplace: true });
  await controller.delete(id, read.props!, fx.ctx);
  const next = await controller.create(moved, fx.ctx);
  expect(next.outs).toMatchObject({ status: 'Running', servingModelUnitId: replacementUnit });
  await controller.delete(next.id, next.outs, fx.ctx);
});
