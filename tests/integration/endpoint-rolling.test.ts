import OpenAI from 'openai';
import { customModelController } from '../../provider/resources/custom-model/controller';
import type { Inputs as ModelInputs, Outputs as ModelOutputs } from '../../provider/resources/custom-model/schema';
import { modelUnitEndpointController as controller } from '../../provider/resources/model-unit-endpoint/controller';
import type { Inputs, Outputs } from '../../provider/resources/model-unit-endpoint/schema';
import { UNKNOWN } from '../../provider/resources/controller';
import { type ArkFixture, rejection, startArkFixture } from './ark-client.fixtures';

/**
 * Rolling model switches: ark-local's rollouts (the shapes and pacing of the live record, ark-api-2026.md F15, and
 * the refusal where Ark does not roll, F16) through our client, and the ModelUnitEndpoint controller with
 * `modelUpdate: 'rolling'` (a replacement, with the reason, where the endpoint does not support rolling; otherwise
 * an in-place switch, cancelled on failure, resumed after a killed run, the old model kept while a rollout needs it).
 *
 * ark-local's default model unit does not roll (SupportRolling false, as Ark's): every test that rolls creates its
 * unit with `supportRolling: true`, the way a user whose account differs would start ark-local.
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

/** An endpoint Running `customModelId` on a fresh model unit: one that can roll unless `rolling` is false. */
async function runningEndpoint(owner: string, customModelId = modelA.id, rolling = true): Promise<{ id: string; outs: Outputs; news: Inputs }> {
  const mu = (await fx.ark.admin.createModelUnit({ supportRolling: rolling })).Id;
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

async function rollingInfo(rollingId: string) {
  return (await fx.client.call('GetEndpointRolling', { Id: rollingId })).RollingInfo;
}

describe('ark-local rollouts', () => {
  it('by default, a custom-model endpoint on a model unit reports SupportRolling false and refuses a rollout', async () => {
    const { id } = await runningEndpoint('proj/dev/default', modelA.id, false);
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ SupportRolling: false });
    for (const DryRun of [false, true]) {
      const error = await rejection(fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id }, DryRun }));
      expect(error).toMatchObject({ code: 'OperationDenied.RollingNotSupported' });
      expect(error.message).toMatch(/does not support a rolling model switch \(SupportRolling is false\): Ark does not switch versions of fine-tuned or uploaded models on model units/);
    }
    expect((await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id)).toEqual([]);
  });

  it('moves RollingGray by Step points per step (defaults 2 and 1), splits traffic, and binds the new model at 100%', async () => {
    const { id } = await runningEndpoint('proj/dev/split');
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ SupportRolling: true });
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id }, Description: 'v2' });
    expect(rollingId).toMatch(/^eprol-\d{14}-[a-z0-9]{5}$/);
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ RollingId: rollingId, Status: 'Running', ModelReference: { CustomModelId: modelA.id } });
    // A second rollout while one holds the endpoint is refused.
    expect(await rejection(fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } }))).toMatchObject({
      code: 'OperationDenied.RollingInProgress',
    });

    let info = await rollingInfo(rollingId);
    // The 2026 shape, exactly: nothing of the older one (Progress, batches, From/ToModelReference).
    expect(info).toEqual({
      Id: rollingId,
      EndpointId: id,
      Status: 'Running',
      RollingIn: { CustomModelId: modelB.id },
      RollingOut: { CustomModelId: modelA.id },
      RollingGray: 0,
      RollingStrategy: { Step: 2, WaitDuration: 1 },
      Description: 'v2',
      CreateTime: expect.any(String),
      UpdateTime: expect.any(String),
    });
    const seen: (number | undefined)[] = [info.RollingGray];
    for (let i = 0; i < 200 && (info.RollingGray ?? 0) < 100; i++) {
      info = await rollingInfo(rollingId);
      seen.push(info.RollingGray);
      if (info.RollingGray === 50) {
        const models = await servedModels(id, 10);
        expect(models.filter((m) => m === modelB.id)).toHaveLength(5);
        expect(models.filter((m) => m === modelA.id)).toHaveLength(5);
      }
    }
    // after-reads:1 with WaitDuration 1: each percent is seen by one read, and the next read is Step points on.
    expect(seen).toEqual(Array.from({ length: 51 }, (_, i) => 2 * i));
    // No status was recorded at 100%: ark-local's stays Running; done is the percent plus the endpoint's model.
    expect(info).toMatchObject({ Status: 'Running', RollingGray: 100 });
    const after = await fx.client.call('GetEndpoint', { Id: id });
    expect(after.ModelReference.CustomModelId).toBe(modelB.id);
    expect(after.RollingId).toBeUndefined();
    expect(new Set(await servedModels(id, 4))).toEqual(new Set([modelB.id]));
    // The synthetic reply names the model that answered.
    const reply = await openai.chat.completions.create({ model: id, messages: [{ role: 'user', content: 'who?' }] });
    expect(reply.choices[0]!.message.content).toContain(`serving ${modelB.id} (Qwen2.5-0.5B)`);
  });

  it('scales each step by WaitDuration: after-reads:1 with WaitDuration 3 shows each percent to three reads', async () => {
    const { id } = await runningEndpoint('proj/dev/wait');
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    const RollingStrategy = { Step: 50, WaitDuration: 3 };
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id }, RollingStrategy });
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 7; i++) seen.push((await rollingInfo(rollingId)).RollingGray);
    expect(seen).toEqual([0, 0, 0, 50, 50, 50, 100]);
    expect((await rollingInfo(rollingId)).RollingStrategy).toEqual(RollingStrategy);
  });

  it('Rollback steps back one Step at once (Reverting), then on to Reverted 0%, and answers {Id}', async () => {
    const { id } = await runningEndpoint('proj/dev/rollback');
    // after-reads:2 (the fixture's): the first read of 4% leaves it one read short of the next step, so the
    // rollback finds the rollout at 4%.
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    while (((await rollingInfo(rollingId)).RollingGray ?? 0) < 4);
    // As the live record: Running 4%, then Reverting 2% after the rollback.
    expect(await fx.client.call('RollbackEndpointRolling', { Id: rollingId })).toEqual({ Id: rollingId });
    expect(await rollingInfo(rollingId)).toMatchObject({ Status: 'Reverting', RollingGray: 2 });
    expect(await rollingInfo(rollingId)).toMatchObject({ Status: 'Reverting', RollingGray: 2 });
    expect(await rollingInfo(rollingId)).toMatchObject({ Status: 'Reverted', RollingGray: 0 });
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ ModelReference: { CustomModelId: modelA.id }, Status: 'Running' });
    expect((await fx.client.call('GetEndpoint', { Id: id })).RollingId).toBeUndefined();
    expect(await rejection(fx.client.call('RollbackEndpointRolling', { Id: rollingId }))).toMatchObject({ code: 'OperationDenied.RollingStatus' });
  });

  it('Cancel goes to Reverted 0% at once and answers {Id}; after 100% it leaves the endpoint on the new model', async () => {
    const { id } = await runningEndpoint('proj/dev/cancel');
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    const { Id: first } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    while (((await rollingInfo(first)).RollingGray ?? 0) < 10);
    expect(await fx.client.call('CancelEndpointRolling', { Id: first })).toEqual({ Id: first });
    expect(await rollingInfo(first)).toMatchObject({ Status: 'Reverted', RollingGray: 0 });
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ ModelReference: { CustomModelId: modelA.id } });
    expect((await fx.client.call('GetEndpoint', { Id: id })).RollingId).toBeUndefined();
    expect(new Set(await servedModels(id, 4))).toEqual(new Set([modelA.id]));
    expect(await rejection(fx.client.call('CancelEndpointRolling', { Id: first }))).toMatchObject({ code: 'OperationDenied.RollingStatus' });

    // The record's clean-up: a Cancel after 100% showed Reverted/0% and did not move the endpoint back.
    await fx.ark.admin.setTransitions({ mode: 'immediate' });
    const { Id: second } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    expect(await rollingInfo(second)).toMatchObject({ Status: 'Running', RollingGray: 100 });
    expect(await rejection(fx.client.call('RollbackEndpointRolling', { Id: second }))).toMatchObject({ code: 'OperationDenied.RollingStatus' });
    expect(await fx.client.call('CancelEndpointRolling', { Id: second })).toEqual({ Id: second });
    expect(await rollingInfo(second)).toMatchObject({ Status: 'Reverted', RollingGray: 0 });
    expect((await fx.client.call('GetEndpoint', { Id: id })).ModelReference.CustomModelId).toBe(modelB.id);
  });

  it('fails at the armed percent holding both models; Cancel then returns all traffic at once, keeping the reason', async () => {
    const { id } = await runningEndpoint('proj/dev/fail');
    await fx.ark.admin.failNextRollout({ atPercent: 50, reason: 'replica OOMKilled', endpointId: id });
    const { Id: rollingId } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    const failed = (await pollUntil(rollingId, (s) => s !== 'Running')).RollingInfo;
    expect(failed).toMatchObject({ Status: 'Failed', RollingGray: 50, StatusReason: 'replica OOMKilled' });
    // Both models are still needed: neither can be deleted.
    for (const model of [modelA.id, modelB.id]) {
      expect(await rejection(fx.client.call('DeleteCustomModel', { Id: model }))).toMatchObject({ code: 'OperationDenied.CustomModelInUse' });
    }
    expect(await fx.client.call('CancelEndpointRolling', { Id: rollingId })).toEqual({ Id: rollingId });
    expect(await rollingInfo(rollingId)).toMatchObject({ Status: 'Reverted', RollingGray: 0, StatusReason: 'replica OOMKilled' });
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ ModelReference: { CustomModelId: modelA.id }, Status: 'Running' });
    expect(new Set(await servedModels(id, 4))).toEqual(new Set([modelA.id]));
  });
});

describe("ModelUnitEndpoint with modelUpdate: 'rolling'", () => {
  it('previews a new model on an endpoint without SupportRolling as a replacement, and says why', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-default', modelA.id, false);
    for (const customModelId of [modelB.id, UNKNOWN]) {
      fx.log.lines.length = 0;
      expect(await controller.diff(id, outs, { ...news, customModelId }, fx.ctx)).toMatchObject({ changes: true, replaces: ['customModelId'], changed: ['customModelId'] });
      expect(fx.log.lines).toEqual([
        `WARN endpoint ${id} does not support a rolling model switch (SupportRolling false: Ark does not roll uploaded models on model units); it will be replaced (a new endpoint, a new id)`,
        // The replacement's own warning: on its one unit the endpoint is deleted first (units.ts).
        expect.stringMatching(new RegExp(`^WARN endpoint ${id} will be replaced by deleting it first: it is down from its delete`)),
      ]);
    }
    // Nothing else about the endpoint reads it.
    fx.log.lines.length = 0;
    expect(await controller.diff(id, outs, { ...news, name: 'renamed' }, fx.ctx)).toMatchObject({ replaces: [] });
    expect(fx.log.lines).toEqual([]);
    // Update never starts a rollout there (were it called, as by a diff made before SupportRolling turned false).
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx));
    expect(error.message).toMatch(new RegExp(`^endpoint ${id} does not support a rolling model switch`));
    expect((await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id)).toEqual([]);
  });

  it('previews a new model on an endpoint with SupportRolling as an in-place update', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-diff');
    for (const customModelId of [modelB.id, UNKNOWN]) {
      expect(await controller.diff(id, outs, { ...news, customModelId }, fx.ctx)).toMatchObject({ changes: true, replaces: [], changed: ['customModelId'] });
    }
    expect(fx.log.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    // modelUpdate: replace (the default) replaces wherever it is, without asking about rolling.
    expect(await controller.diff(id, outs, { ...news, modelUpdate: undefined, customModelId: modelB.id }, fx.ctx)).toMatchObject({ replaces: ['customModelId'] });
    expect(fx.log.lines.filter((l) => l.startsWith('WARN') && l.includes('rolling'))).toEqual([]);
  });

  it('switches the model in place, keeps the id, logs the percent of traffic; then the old model can go', async () => {
    const modelC = await customModelController.create(modelInputs('roll-c'), fx.ctx);
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl', modelC.id);
    const next: Inputs = { ...news, customModelId: modelB.id };
    const { outs: updated } = await controller.update(id, outs, next, fx.ctx);
    expect(updated).toMatchObject({ customModelId: modelB.id, status: 'Running' });
    expect(await fx.client.call('GetEndpoint', { Id: id })).toMatchObject({ Id: id, ModelReference: { CustomModelId: modelB.id } });
    expect(fx.log.lines.some((l) => new RegExp(`^endpoint ${id}: started rollout eprol-\\S+ from ${modelC.id} to ${modelB.id}$`).test(l))).toBe(true);
    expect(fx.log.lines.some((l) => /rollout eprol-\S+: Running 50% of traffic on the new model \(\+2% every 1 min\), .* elapsed \(waiting for 100% of traffic on cm-/.test(l))).toBe(true);
    expect(fx.log.lines).toContain(`endpoint ${id}: rollout ${(await fx.ark.admin.state()).rollings.at(-1)!.Id} done; ${modelB.id} serves all traffic`);
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

  it('cancels a failed rollout (all traffic back at once) and fails with the reason; the old model stays until nothing uses it', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-fail');
    await fx.ark.admin.failNextRollout({ atPercent: 50, reason: 'readiness check of the new replicas failed', endpointId: id });
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx));
    expect(error.message).toMatch(new RegExp(`rollout eprol-\\S+ to ${modelB.id} failed and was cancelled; the endpoint still serves ${modelA.id}\\. Reason: readiness check of the new replicas failed`));
    expect(error).not.toHaveProperty('id'); // not a partial failure: the engine keeps the old state
    expect(fx.log.lines).toContainEqual(expect.stringMatching(new RegExp(`^WARN endpoint ${id}: rollout eprol-\\S+ to ${modelB.id} Failed at 50% of traffic; cancelling it`)));
    const live = await fx.client.call('GetEndpoint', { Id: id });
    expect(live).toMatchObject({ ModelReference: { CustomModelId: modelA.id }, Status: 'Running' });
    expect(live.RollingId).toBeUndefined();
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Status, r.RollingGray, r.StatusReason])).toEqual([['Reverted', 0, 'readiness check of the new replicas failed']]);
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
    expect(fx.log.lines).toContain(`endpoint ${id}: resuming rollout ${started} to ${modelB.id} (0% of traffic, started by an earlier run)`);
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Id, r.RollingGray])).toEqual([[started, 100]]);
  });

  it('reports a rollout to another model left running, and cancels a Failed one before trying again', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-left');
    const modelE = await customModelController.create(modelInputs('roll-e'), fx.ctx);
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1000 });
    const { Id: foreign } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelE.id } });
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx));
    expect(error.message).toBe(
      `endpoint ${id}: rollout ${foreign} to ${modelE.id} is in progress, but customModelId is ${modelB.id}; wait for it to finish or cancel it (CancelEndpointRolling), then run \`pulumi up\` again`,
    );
    await fx.client.call('CancelEndpointRolling', { Id: foreign });

    // A killed run left its rollout Failed (it died before cancelling it): the next run cancels it, then rolls anew.
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    await fx.ark.admin.failNextRollout({ atPercent: 50, endpointId: id });
    const { Id: failed } = await fx.client.call('CreateEndpointRolling', { EndpointId: id, ModelReference: { CustomModelId: modelB.id } });
    await pollUntil(failed, (s) => s === 'Failed');
    await controller.update(id, outs, { ...news, customModelId: modelB.id }, fx.ctx);
    expect(fx.log.lines).toContain(`endpoint ${id}: rollout ${failed} to ${modelB.id} was left Failed at 50%; cancelling it before trying again`);
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Status, r.RollingGray])).toEqual([
      ['Reverted', 0],
      ['Reverted', 0],
      ['Running', 100],
    ]);
    expect((await fx.client.call('GetEndpoint', { Id: id })).ModelReference.CustomModelId).toBe(modelB.id);
  });

  it('a cancelled update neither cancels nor rolls back its rollout, and the next up resumes it', async () => {
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
      new RegExp(`^endpoint ${id}: the update was cancelled \\(the engine cancelled the operation\\) while rollout (eprol-\\S+) to ${modelB.id} was under way\\. The rollout was left running in Ark, not cancelled;.*the next \`pulumi up\` resumes`),
    );
    expect(fx.log.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    const [rolling] = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rolling).toMatchObject({ Status: 'Running', RollingGray: 0 });
    expect((await fx.client.call('GetEndpoint', { Id: id })).RollingId).toBe(rolling!.Id);

    // The next up (engine state: still the old model) picks the same rollout up and sees it through.
    await fx.ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
    await controller.update(id, outs, next, fx.ctx);
    expect(fx.log.lines.some((l) => l.startsWith(`endpoint ${id}: resuming rollout ${rolling!.Id} to ${modelB.id}`))).toBe(true);
    const rollings = (await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id);
    expect(rollings.map((r) => [r.Id, r.RollingGray])).toEqual([[rolling!.Id, 100]]);
  });

  it('cancels a rollout that outlives the update timeout', async () => {
    const { id, outs, news } = await runningEndpoint('proj/dev/ctl-timeout');
    await fx.ark.admin.setTransitions({ mode: 'after-seconds', seconds: 3600 });
    const error = await rejection(controller.update(id, outs, { ...news, customModelId: modelB.id, updateTimeoutSeconds: 1 }, fx.ctx));
    expect(error.message).toMatch(/failed and was cancelled; .*Reason: timed out after/);
    expect(fx.log.lines).toContainEqual(expect.stringMatching(/^WARN endpoint \S+: rollout eprol-\S+ to cm-\S+ timed out at 0% of traffic; cancelling it \(all traffic back on the old model at once\)$/));
    expect((await fx.client.call('GetEndpoint', { Id: id })).ModelReference.CustomModelId).toBe(modelA.id);
    expect((await fx.ark.admin.state()).rollings.filter((r) => r.EndpointId === id).map((r) => r.Status)).toEqual(['Reverted']);
  });
});

async function pollUntil(rollingId: string, done: (status: string) => boolean) {
  for (let i = 0; i < 500; i++) {
    const result = await fx.client.call('GetEndpointRolling', { Id: rollingId });
    if (done(result.RollingInfo.Status)) return result;
  }
  throw new Error(`rollout ${rollingId} did not settle`);
}
