/**
 * The quickstart example through the real Pulumi engine against ark-local, as one story on one stack (every
 * engine start costs seconds, so the steps share it and run in order): invalid inputs stop at preview, a fresh
 * up, a no-op preview, the plan for each kind of change, drift found by refresh and repaired by up, destroy
 * leaving nothing behind. Credentials reach the provider as secret stack config and never appear in state.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { ArkClient } from '../../provider/clients/ark/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { BASE_MODEL, PlanRecorder, readTree, startQuickstart, type QuickstartFixture } from './harness';

jest.setTimeout(600_000);

let f: QuickstartFixture;
beforeAll(async () => {
  f = await startQuickstart({ name: 'quickstart', credentials: 'config' });
});
afterAll(async () => {
  await f?.close();
});

async function previewPlan(opts: { diff?: boolean } = {}): Promise<{ plan: PlanRecorder; stdout: string }> {
  const plan = new PlanRecorder();
  const result = await f.stack.preview({ onEvent: plan.onEvent, diff: opts.diff });
  return { plan, stdout: result.stdout };
}

async function previewFailure(overrides: Record<string, string>): Promise<string> {
  return failureOf(overrides, () => f.stack.preview());
}

/** The error message of `operation` run with config overrides (which are reverted afterwards). */
async function failureOf(overrides: Record<string, string>, operation: () => Promise<unknown>): Promise<string> {
  await f.configure(overrides);
  try {
    await operation();
    return 'succeeded';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await f.configure();
  }
}

async function arkInventory() {
  const state = await f.ark.admin.state();
  return {
    endpoints: state.endpoints.map((e) => `${e.Id} ${e.Status}`),
    customModels: state.customModels.map((m) => m.Id),
    objects: state.tos.buckets.reduce((n, b) => n + b.objects, 0),
  };
}

function tos(): TosClient {
  return new TosClient({
    accessKeyId: f.accessKeyId,
    accessKeySecret: f.secretAccessKey,
    region: f.ark.region,
    endpoint: f.ark.tosEndpoint,
    secure: false,
  });
}

describe('quickstart on ark-local', () => {
  it('refuses invalid inputs with a readable message, creating nothing', async () => {
    const loraDir = path.join(f.stateDir, 'lora');
    await writeSyntheticModel(loraDir, { base: BASE_MODEL, variant: 'lora-adapter', fill: 'sparse' });

    expect(await previewFailure({ baseModel: 'Qwen9-1T' })).toMatch(
      /TosModelDir resource 'weights': property baseModel value \{Qwen9-1T\} has a problem: expected a supported base model \(Qwen2\.5-0\.5B, /,
    );
    expect(await previewFailure({ modelDir: loraDir })).toMatch(/property source .* has a problem: .*a LORA adapter .*Ark needs merged full weights/);
    expect(await previewFailure({ rpm: '-1' })).toMatch(/ModelUnitEndpoint resource 'chat': property rateLimit\.rpm .* has a problem: Too small: expected number to be >=0/);
    // A missing bucket is found by a read-only HEAD in check, so the preview already fails.
    expect(await previewFailure({ bucket: 'no-such-bucket', createBucket: 'false' })).toMatch(
      /property bucket .* has a problem: expected an existing TOS bucket no-such-bucket, found none; create it, or set createBucket: true/,
    );

    expect(await arkInventory()).toEqual({ endpoints: [], customModels: [], objects: 0 });
    // The failed up left no resource in state: the stack holds only the stack itself.
    const deployment = (await f.stack.exportStack()).deployment as { resources?: { type: string }[] };
    expect((deployment.resources ?? []).filter((r) => r.type.startsWith('pulumi-nodejs:dynamic/'))).toEqual([]);
  });

  it('deploys the pipeline; a second preview plans no change', async () => {
    const plan = new PlanRecorder();
    const up = await f.stack.up({ onEvent: plan.onEvent });
    expect(Object.fromEntries(plan.outcomes)).toEqual({ TosModelDir: 'create', CustomModel: 'create', ModelUnitEndpoint: 'create' });
    const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
    expect(outputs).toMatchObject({
      weightsLocation: 'tos://models/quickstart/quickstart/',
      endpointStatus: 'Running',
      chatBaseUrl: f.ark.chatBaseUrl,
    });
    const inventory = await arkInventory();
    expect(inventory.endpoints).toEqual([`${outputs.endpointId} Running`]);
    expect(inventory.customModels).toEqual([outputs.customModelId]);

    const preview = await f.stack.preview();
    expect(preview.changeSummary).toEqual({ same: 4 });
  });

  it('keeps the credentials out of the state, its history and the stack config file', async () => {
    const stored = readTree(path.join(f.stateDir, 'backend')) + readTree(path.join(f.stateDir, 'workspace'));
    expect(stored).toContain('ark-quickstart'); // the grep below looks at real state
    expect(stored).not.toContain(f.secretAccessKey);
    expect(stored).not.toContain(f.accessKeyId);
  });

  it('plans an in-place update for description and rate limit, and names the changed properties', async () => {
    await f.configure({ endpointDescription: 'support bot', rpm: '900' });
    const { plan, stdout } = await previewPlan({ diff: true });
    expect(plan.summary()).toEqual({ TosModelDir: 'same', CustomModel: 'same', ModelUnitEndpoint: 'update' });
    expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(update\)/);
    expect(stdout).toMatch(/\+ description\s*: "support bot"/);
    expect(stdout).toMatch(/~ rateLimit\s*: \{\s*~ rpm: 600 => 900/);
  });

  it('plans new weights as a TosModelDir update that replaces the custom model and the endpoint', async () => {
    const file = path.join(f.modelDir, 'generation_config.json');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(original), temperature: 0.3 }, null, 2));
    try {
      await f.configure();
      const { plan } = await previewPlan();
      expect(plan.summary()).toEqual({ TosModelDir: 'update', CustomModel: 'replace', ModelUnitEndpoint: 'replace' });
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('plans a bucket change as a replacement of the uploaded directory', async () => {
    await f.configure({ bucket: 'models-v2' });
    const { plan } = await previewPlan();
    expect(plan.summary().TosModelDir).toBe('replace');
    await f.configure();
    const before = await arkInventory();
    expect(before.objects).toBe(7); // previews changed nothing
  });

  it('finds out-of-band changes on refresh and repairs them on the next up', async () => {
    const outputs = await f.stack.outputs();
    const endpointId = String(outputs.endpointId!.value);
    await tos().deleteObject({ bucket: 'models', key: 'quickstart/quickstart/config.json' });
    await new ArkClient({ settings: f.ark.providerSettings() }).call('StopEndpoint', { Id: endpointId });

    const plan = new PlanRecorder();
    const refresh = await f.stack.refresh({ onEvent: plan.onEvent });
    expect(refresh.summary.resourceChanges).toMatchObject({ update: 2 });
    expect(Object.fromEntries(plan.outcomes)).toEqual({ TosModelDir: 'update', CustomModel: 'same', ModelUnitEndpoint: 'update' });
    // Stack outputs only change when the program runs; the refreshed resource state holds the drift.
    const deployment = (await f.stack.exportStack()).deployment as { resources: { type: string; outputs?: { status?: string } }[] };
    expect(deployment.resources.find((r) => r.type.endsWith(':ModelUnitEndpoint'))?.outputs?.status).toBe('Stopped');

    const up = await f.stack.up();
    expect(up.summary.resourceChanges).toMatchObject({ update: 2 });
    expect(up.outputs.endpointStatus?.value).toBe('Running');
    await expect(tos().headObject({ bucket: 'models', key: 'quickstart/quickstart/config.json' })).resolves.toBeDefined();
    expect((await arkInventory()).endpoints).toEqual([`${endpointId} Running`]);
  });

  it('drops an endpoint deleted out of band on refresh and recreates it on the next up', async () => {
    const oldId = String((await f.stack.outputs()).endpointId!.value);
    const client = new ArkClient({ settings: f.ark.providerSettings() });
    await client.call('StopEndpoint', { Id: oldId });
    await client.call('DeleteEndpoint', { Id: oldId });

    const plan = new PlanRecorder();
    await f.stack.refresh({ onEvent: plan.onEvent });
    expect(plan.outcomes.get('ModelUnitEndpoint')).toBe('delete');

    const up = await f.stack.up();
    const newId = up.outputs.endpointId?.value;
    expect(newId).not.toBe(oldId);
    expect((await arkInventory()).endpoints).toEqual([`${newId} Running`]);
  });

  it('destroys everything it made', async () => {
    await f.stack.destroy();
    expect(await arkInventory()).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });
});
