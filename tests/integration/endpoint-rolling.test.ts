import OpenAI from 'openai';
import { customModelController } from '../../provider/resources/custom-model/controller';
import type { Inputs as ModelInputs, Outputs as ModelOutputs } from '../../provider/resources/custom-model/schema';
import { modelUnitEndpointController as controller } from '../../provider/resources/model-unit-endpoint/controller';
import type { Inputs, Outputs } from '../../provider/resources/model-unit-endpoint/schema';
import { type ArkFixture, rejection, startArkFixture } from './ark-client.fixtures';

/**
 * Rolling model switches: ark-local's rollout state machine and traffic split through the official clients,
 * and the ModelUnitEndpoint controller with `modelUpdate: 'rolling'` (in-place switch, rollback on failure,
 * resumption of a rollout left by a killed run, the old model kept while a rollout needs it).
 */
jest.setTimeout(90_000);

let fx: ArkFixture;
let modelA: { id: string; outs: ModelOutputs };
let modelB: { id: string; outs: ModelOutputs };
let openai: OpenAI;
let modelInputs: (name: string) => ModelInputs;

beforeAll(async () => {
  fx = await startArkFixture();
  const location = await fx.uploadModel('models', 'sft/', { base: 'Qwen2.5-0.5B', variant: 'w4a8' });
  modelInputs = (name) => ({ name, baseModel: 'Qwen2.5-0.5B', location, contentDigest: `sha256:${name}`, quantization: 'W4A8', owner: `proj/dev/${name}` });
  modelA = await customModelController.create(modelInputs('roll-a'), fx.ctx);
  modelB = await customModelController.create(modelInputs('roll-b'), fx.ctx);
  openai = new OpenAI({ baseURL: fx.ark.chatBaseUrl, apiKey: fx.ark.apiKey, maxRetries: 0 });
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

beforeEach(() => fx.resetBetweenTests());

async function runningEndpoint(owner: string, customModelId = modelA.id): Promise<{ id: string; outs: Outputs; news: Inputs }> {
  const mu = (await fx.ark.admin.createModelUnit()).Id;
  const news: Inputs = { name: 'rolling-bot', customModelId, modelUnitId: mu, owner, modelUpdate: 'rolling' };
  const { id, outs } = await controller.create(news, fx.ctx);
  return { id, outs, news };
}

/** The custom model ids that answered `requests` chat requests (a reply's `model` is the served model's Ark name). */
async function servedModels(endpointId: string, requests: number): Promise<string[]> {
  const idByName = new Map((await fx.ark.admin.state()).customModels.map((m) => [m.Name, m.Id]));
  const models: string[] = [];
  for (let i = 0; i < requests; i++) {
    const { model } = await openai.chat.completions.create({ model: endpointId, messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 12 });
    models.push(idByName.get(model) ?? `unknown model ${model}`);
  }
  return models;
}

describe('ark-local rollouts', () => {
  it('moves traffic in Step batches, splits it while Running, and switches the model at 100%', async () => {
    const { id } = await runningEndpoint('proj/dev/split');
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ SupportRolling: true });
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id }, Step: 4 });
    expect(rollingId).toMatch(/^eprol-\d{14}-[a-z0-9]{5}$/);
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ RollingId: rollingId, Status: 'Running', ModelReference: { CustomModelId: modelA.id } });
    // A second rollout while one holds the endpoint is refused.
    expect(await rejection(fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } }))).toMatchObject({
      code: 'OperationDenied.RollingInProgress',
    });

    let info = (await fx.client.call('GetEndpointRolling', { Id: rollingId })).RollingInfo;
    expect(info).toMatchObject({ Status: 'Running', Progress: 0, CurrentStep: 0, Step: 4 });
    const seen = [`${info.Status} ${info.Progress}%`];
    for (let i = 0; i < 20 && info.Status === 'Running'; i++) {
      info = (await fx.client.call('GetEndpointRolling', { Id: rollingId })).RollingInfo;
      seen.push(`${info.Status} ${info.Progress}%`);
      if (info.Progress === 50) {
        const models = await servedModels(id, 10);
        expect(models.filter((m) => m === modelB.id)).toHaveLength(5);
        expect(models.filter((m) => m === modelA.id)).toHaveLength(5);
      }
    }
    expect([...new Set(seen)]).toEqual(['Running 0%', 'Running 25%', 'Running 50%', 'Running 75%', 'Completed 100%']);
    const after = await fx.client.call('GetEndpoint', { Id: id });
    expect(after.ModelReference.CustomModelId).toBe(modelB.id);
    expect(after.RollingId).toBeUndefined();
    expect(new Set(await servedModels(id, 4))).toEqual(new Set([modelB.id]));
    // The synthetic reply names the model that answered.
    const reply = await openai.chat.completions.create({ model: id, messages: [{ role: 'user', content: 'who?' }] });
    expect(reply.choices[0]!.message.content).toContain(`serving ${modelB.id} (Qwen2.5-0.5B)`);
  });

  it('fails at the armed percent, keeps both models in use, rolls back to Reverted 0%; cancel returns at once', async () => {
    const { id } = await runningEndpoint('proj/dev/fail');
    await fx.ark.admin.failNextRollout({ atPercent: 50, reason: 'replica OOMKilled', endpointId: id });
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    const failed = (await pollUntil(rollingId, (s) => s !== 'Running')).RollingInfo;
    expect(failed).toMatchObject({ Status: 'Failed', Progress: 50, StatusReason: 'replica OOMKilled' });
    // Both models are still needed: neither can be deleted.
    for (const model of [modelA.id, modelB.id]) {
      expect(await rejection(fx.client.call('DeleteCustomModel', { Id: model }))).toMatchObject({ code: 'OperationDenied.CustomModelInUse' });
    }
    expect(await rejection(fx.client.call('CancelEndpointRolling', { Id: rollingId }))).toMatchObject({ code: 'OperationDenied.RollingStatus' });
    await fx.client.call('RollbackEndpointRolling', { Id: rollingId });
    const reverted = (await pollUntil(rollingId, (s) => s !== 'Reverting')).RollingInfo;
    // Reverted says why the rollout was walked back: the failure's reason survives the rollback.
    expect(reverted).toMatchObject({ Status: 'Reverted', Progress: 0, StatusReason: 'replica OOMKilled' });
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ ModelReference: { CustomModelId: modelA.id }, Status: 'Running' });
    expect(new Set(await servedModels(id, 4))).toEqual(new Set([modelA.id]));

    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 50 });
    const { Id: second } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    await fx.client.call('CancelEndpointRolling', { Id: second });
    expect((await fx.client.call('GetEndpointRolling', { Id: second })).RollingInfo).toMatchObject({ Status: 'Cancelled', Progress: 0 });
    expect((await fx.client.call('GetEndpoint', { Id: id })).RollingId).toBeUndefined();
  });
});

describe("ModelUnitEndpoint with modelUpdate: 'rolling'", () => {
  it('switches the model in place, keeps the id, logs percent and step; then the old model can go', async () => {
    const modelC = await customModelController.create(modelInputs('roll-c'), fx.ctx);
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl', modelC.id);
    const next: Inputs = { ...news, customModelId: modelB.id };
    expect(await controller.diff(id, outs, next, fx.ctx)).toMatchObject({ changes: true, replaces: [], changed: ['customModelId'] });
    const { outs: updated } = await controller.update(id, outs, next, fx.ctx);
    expect(updated).toMatchObject({ customModelId: modelB.id, status: 'Running' });
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ Id: id, ModelReference: { CustomModelId: modelB.id } });
    expect(fx.log.lines.some((l) => new RegExp(`^endpoint ${id}: started rollout eprol-\\S+ from ${modelC.id} to ${modelB.id}$`).test(l))).toBe(true);
    expect(fx.log.lines.some((l) => /rollout eprol-\S+: Running 50% \(step 1\/2\)/.test(l))).toBe(true);
    // The engine deletes the replaced model after the endpoint's update: nothing uses it any more, so that works.
    await customModelController.delete(modelC.id, modelC.outs, fx.ctx);
    expect((await fx.ark.admin.state()).customModels.map((m) => m.Id)).not.toContain(modelC.id);
  });

  it('refuses to delete a model a rollout still needs, naming the rollout', async () => {
    const { id } = await runningEndpoint('proj/dev/ctl-in-use');
    const modelD = await customModelController.create(modelInputs('roll-d'), fx.ctx);
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1000 });
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelD.id } });
    const error = await rejection(customModelController.delete(modelD.id, modelD.outs, fx.ctx));
    expect(error.message).toMatch(new RegExp(`cannot delete custom model ${modelD.id} .*${id} \\(rollout ${rollingId}, Running\\).*Wait for the rollout to finish`));
    await fx.client.call('CancelEndpointRolling', { Id: rollingId });
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
    await customModelController.delete(modelD.id, modelD.outs, fx.ctx);
  });

  it('a rollout whose endpoint was deleted mid-way holds neither model', async () => {
    const modelF = await customModelController.create(modelInputs('roll-f'), fx.ctx);
    const { id, outs } = await runningEndpoint('proj/dev/ctl-deleted', modelF.id);
    const modelG = await customModelController.create(modelInputs('roll-g'), fx.ctx);
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1000 });
    await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelG.id } });
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
    await controller.delete(id, outs, fx.ctx);
    await customModelController.delete(modelF.id, modelF.outs, fx.ctx);
    await customModelController.delete(modelG.id, modelG.outs, fx.ctx);
    const left = (await fx.ark.admin.state()).customModels.map((m) => m.Id);
    expect(left).not.toContain(modelF.id);
    expect(left).not.toContain(modelG.id);
  });

  it('rolls a failed rollout back and fails with the reason; the old model stays until nothing uses it', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-fail');
    await fx.ark.admin.failNextRollout({ atPercent: 50, reason: 'readiness check of the new replicas failed', endpointId: id });
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx));
    expect(error.message).toMatch(new RegExp(`rollout eprol-\\S+ to ${modelB.id} failed and was rolled back; the endpoint still serves ${modelA.id}\\. Reason: readiness check of the new replicas failed`));
    expect(error).not.toHaveProperty('id'); // not a partial failure: the engine keeps the old state
    const live = await fx.client.call('GetEndpoint', { Id: id });
    expect(live).toMatchObject({ ModelReference: { CustomModelId: modelA.id }, Status: 'Running' });
    expect(live.RollingId).toBeUndefined();
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Status, r.StatusReason])).toEqual([['Reverted', 'readiness check of the new replicas failed']]);
    // Deleting the model the endpoint still serves is refused clearly.
    expect((await rejection(customModelController.delete(modelA.id, modelA.outs, fx.ctx))).message).toMatch(new RegExp(`endpoint\\(s\\) .*${id}.* still use it`));
    // The next up tries again (nothing armed now) and succeeds.
    await controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx);
    expect((await fx.client.call('GetEndpoint', { Id: id })).ModelReference.CustomModelId).toBe(modelB.id);
  });

  it('resumes a rollout left Running by a killed run instead of starting a second one', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-resume');
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 3 });
    // The killed run: it started the rollout and died before writing anything.
    const { Id: started } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    await controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx);
    expect(fx.log.lines).toContain(`endpoint ${id}: resuming rollout ${started} to ${modelB.id} (0%, started by an earlier run)`);
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Id, r.Status])).toEqual([[started, 'Completed']]);
  });

  it('reports a rollout to another model left running, and rolls back a Failed one before trying again', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-left');
    const modelE = await customModelController.create(modelInputs('roll-e'), fx.ctx);
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1000 });
    const { Id: foreign } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelE.id } });
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx));
    expect(error.message).toBe(
      `endpoint ${id}: rollout ${foreign} to ${modelE.id} is in progress, but customModelId is ${modelB.id}; wait for it to finish or cancel it (CancelEndpointRolling), then run \`pulumi up\` again`,
    );
    await fx.client.call('CancelEndpointRolling', { Id: foreign });

    // A killed run left its rollout Failed (it died before rolling back): the next run reverts it, then rolls anew.
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    await fx.ark.admin.failNextRollout({ atPercent: 50, endpointId: id });
    const { Id: failed } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    await pollUntil(failed, (s) => s === 'Failed');
    await controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx);
    expect(fx.log.lines).toContain(`endpoint ${id}: rollout ${failed} to ${modelB.id} was left Failed by an earlier run; rolling it back before trying again`);
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => r.Status)).toEqual(['Cancelled', 'Reverted', 'Completed']);
    expect((await fx.client.call('GetEndpoint', { Id: id })).ModelReference.CustomModelId).toBe(modelB.id);
  });

  it('a cancelled update neither rolls back nor cancels its rollout, and the next up resumes it', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-cancel');
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1000 });
    // The engine goes away once the controller reports the rollout's first progress line.
    const engine = new AbortController();
    const log = {
      info: (line: string) => {
        fx.log.info(line);
        if (/: rollout eprol-\S+: Running /.test(line)) engine.abort(new Error('the engine cancelled the operation'));
      },
      warn: (line: string) => fx.log.warn(line),
    };
    const next: Inputs = { ...news, customModelId: modelB.id };
    const error = await rejection(controller.update(id, outs, next, { ...fx.ctx, log, signal: engine.signal }));
    expect(error.name).toBe('RollingInterruptedError');
    expect(error.message).toMatch(
      new RegExp(`^endpoint ${id}: the update was cancelled \\(the engine cancelled the operation\\) while rollout (eprol-\\S+) to ${modelB.id} was under way\\. The rollout was left running in Ark, not rolled back;.*the next \`pulumi up\` resumes`),
    );
    expect(fx.log.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    const [rolling] = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rolling).toMatchObject({ Status: 'Running' });
    expect((await fx.client.call('GetEndpoint', { Id: id })).RollingId).toBe(rolling!.Id);

    // The next up (engine state: still the old model) picks the same rollout up and sees it through.
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
    await controller.update(id, outs, next, fx.ctx);
    expect(fx.log.lines.some((l) => l.startsWith(`endpoint ${id}: resuming rollout ${rolling!.Id} to ${modelB.id}`))).toBe(true);
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Id, r.Status])).toEqual([[rolling!.Id, 'Completed']]);
  });

  it('rolls back a rollout that outlives the update timeout', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-timeout');
    await fx.ark.admin.setTransitions({ mode: 'after-seconds', seconds: 3600 });
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id, updateTimeoutSeconds: 1 }, fx.ctx));
    expect(error.message).toMatch(/failed and was rolled back; .*Reason: timed out after/);
    // No batch had moved in that hour, so the rollback had nothing to walk back.
    expect((await fx.client.call('GetEndpoint', { Id: id })).ModelReference.CustomModelId).toBe(modelA.id);
  });
});

async function pollUntil(rollingId: string, done: (status: string) => boolean) {
  for (let i = 0; i < 50; i++) {
    const result = await fx.client.call('GetEndpointRolling', { Id: rollingId });
    if (done(result.RollingInfo.Status)) return result;
  }
  throw new Error(`rollout ${rollingId} did not settle`);
}
