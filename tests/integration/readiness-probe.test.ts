import { PartialFailureError } from '../../provider/resources/controller';
import { customModelController } from '../../provider/resources/custom-model/controller';
import type { Inputs as ModelInputs } from '../../provider/resources/custom-model/schema';
import { modelUnitEndpointController as controller } from '../../provider/resources/model-unit-endpoint/controller';
import { runReadinessProbe } from '../../provider/resources/model-unit-endpoint/probe';
import type { Inputs, Outputs } from '../../provider/resources/model-unit-endpoint/schema';
import { type ArkFixture, rejection, startArkFixture } from './ark-client.fixtures';

/**
 * The readiness probe against ark-local: a real chat completion with a GetApiKey key after Running (and after
 * a rollout); a failure names HTTP status and error code, is a partial failure, and the next up probes again.
 */
jest.setTimeout(90_000);

let fx: ArkFixture;
let modelA: string;
let modelB: string;
/** Ark names of the models: what a chat answer's `model` (and so `lastProbe.servedModel`) says. */
let nameA: string;
let nameB: string;

beforeAll(async () => {
  fx = await startArkFixture();
  const location = await fx.uploadModel('models', 'probe/', { base: 'Qwen2.5-0.5B', variant: 'w4a8' });
  const model = (name: string): ModelInputs => ({ name, baseModel: 'Qwen2.5-0.5B', location, contentDigest: `sha256:${name}`, quantization: 'W4A8', owner: `proj/dev/${name}` });
  const a = await customModelController.create(model('probe-a'), fx.ctx);
  const b = await customModelController.create(model('probe-b'), fx.ctx);
  [modelA, modelB, nameA, nameB] = [a.id, b.id, a.outs.modelName, b.outs.modelName];
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

beforeEach(() => fx.resetBetweenTests());

/** Inputs on a fresh model unit; `rolling`: one that can roll (ark-local's default unit does not, as Ark's). */
async function inputs(owner: string, rolling = false): Promise<Inputs> {
  const mu = (await fx.ark.admin.createModelUnit({ supportRolling: rolling })).Id;
  return { name: 'probed-bot', customModelId: modelA, modelUnitId: mu, owner, readinessProbe: { prompt: 'Are you there?', maxTokens: 4 } };
}

test('passes on a healthy endpoint and reports time, latency and the model that answered', async () => {
  const news = await inputs('proj/dev/probe-ok');
  const { id, outs } = await controller.create(news, fx.ctx);
  expect(outs.lastProbe).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), latencyMs: expect.any(Number), passed: true, httpStatus: 200, servedModel: nameA });
  expect(fx.log.lines.some((l) => l.startsWith(`endpoint ${id}: readiness probe answered in `))).toBe(true);
  // The key came from GetApiKey (scoped to the endpoint), not the static key.
  expect((await fx.ark.admin.state()).apiKeys).toBeGreaterThan(0);
  expect(await controller.diff(id, outs, news, fx.ctx)).toMatchObject({ changes: false });
});

test('fails clearly on a stopped endpoint, naming HTTP status and error code', async () => {
  const { id } = await controller.create({ ...(await inputs('proj/dev/probe-stopped')), readinessProbe: undefined }, fx.ctx);
  await fx.client.call('StopEndpoint', { Id: id });
  const { lastProbe, failure } = await runReadinessProbe(fx.client, id, { prompt: 'hello?' }, fx.ctx.settings());
  expect(lastProbe).toMatchObject({ passed: false, httpStatus: 400, errorCode: 'InvalidEndpoint.ClosedEndpoint' });
  expect(failure).toMatch(new RegExp(`^readiness probe of endpoint ${id} failed: HTTP 400 InvalidEndpoint\\.ClosedEndpoint: .*is Stopped`));
});

test('a cancelled operation ends the probe in flight and is no probe result', async () => {
  const { id } = await controller.create({ ...(await inputs('proj/dev/probe-cancel')), readinessProbe: undefined }, fx.ctx);
  // The chat answer would take a minute; the engine goes away meanwhile.
  await fx.ark.admin.addFault({ service: 'chat', operation: 'ChatCompletions', kind: 'latency', latencyMs: 60_000, count: 1 });
  const engine = new AbortController();
  const probing = runReadinessProbe(fx.client, id, { prompt: 'hello?' }, fx.ctx.settings(), { signal: engine.signal });
  setTimeout(() => engine.abort(new Error('the engine cancelled the operation')), 50);
  await expect(probing).rejects.toThrow('the engine cancelled the operation');
});

test('a failing probe is a partial failure with lastProbe; the next up probes again and passes', async () => {
  const news = await inputs('proj/dev/probe-retry');
  await fx.ark.admin.addFault({ service: 'chat', operation: 'ChatCompletions', kind: 'server-error', count: 1 });
  const error = await rejection(controller.create(news, fx.ctx));
  expect(error).toBeInstanceOf(PartialFailureError);
  expect(error.reasons[0]).toMatch(/readiness probe of endpoint ep-\S+ failed: HTTP 500 InternalServiceError: .*the next `pulumi up` probes it again/);
  const state = error.properties as Outputs;
  expect(state.lastProbe).toMatchObject({ passed: false, httpStatus: 500, errorCode: 'InternalServiceError' });
  // The engine keeps the id and this state; the diff asks for an update, which probes again.
  expect(await controller.diff(error.id, state, news, fx.ctx)).toMatchObject({ changes: true, replaces: [] });
  const { outs } = await controller.update(error.id, state, news, fx.ctx);
  expect(outs.lastProbe).toMatchObject({ passed: true, httpStatus: 200 });
});

test('after a rollout the probe is answered by the new model', async () => {
  const news: Inputs = { ...(await inputs('proj/dev/probe-rolling', true)), modelUpdate: 'rolling' };
  const { id, outs } = await controller.create(news, fx.ctx);
  const { outs: rolled } = await controller.update(id, outs, { ...news, customModelId: modelB }, fx.ctx);
  expect(rolled.lastProbe).toMatchObject({ passed: true, servedModel: nameB });
});
