/**
 * Rolling model upgrades and safe deletes, the way users run them: the real `pulumi` binary in
 * examples/quickstart with `modelUpdate: rolling`, against ark-local. On ark-local's default model unit (no
 * rolling for uploaded models, as Ark's) preview shows new weights as a replacement of the endpoint and says why.
 * On a unit created with rolling enabled, new weights are an in-place update of the endpoint (same id) while a
 * client keeps chatting and sees no failure; a rollout that fails at 50% is cancelled and fails the up with the
 * service's reason, the next up succeeds; `protect` makes destroy refuse, `retainOnDelete` makes it forget the
 * endpoint, and the owner tag lets the next up take it over again.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import OpenAI from 'openai';
import { ArkClient } from '../../provider/clients/ark/client';
import { inventory } from './ark-inventory';
import type { CliResult } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { repeatWhile, until } from './poll';
import { descendants, killQuietly } from './processes';

jest.setTimeout(900_000);

const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';
/** Upper bound of the chat loop run during an up (it stops as soon as the up ends), and its pause between requests. */
const MAX_CHAT_REQUESTS = 20_000;
const CHAT_PAUSE_MS = 10;

/**
 * after-seconds:0.2: a rollout at the server's pace (+2% of traffic a minute, one minute = one transition step)
 * takes 50 steps, 10 s; the provider polls at the real service's intervals (2 s growing to 15 s), so the chat loop
 * sees traffic move and the up sees a few percents on the way.
 */
const TRANSITIONS = { mode: 'after-seconds', seconds: 0.2 } as const;

let f: ExampleStack;
let client: ArkClient;
let openai: OpenAI;
/** A model unit created with rolling enabled (ark-local's default unit, f.modelUnitId, has it off). */
let rollingUnit: string;

beforeAll(async () => {
  f = await startExampleStack({
    example: 'examples/quickstart',
    name: 'rolling',
    transitions: TRANSITIONS,
    // ark-local's default unit: one slot, no rolling. The rollouts below run on `rollingUnit`.
    // A quota the chat loop below cannot reach: a 429 would be a failure that says nothing about the rollout.
    config: { modelUpdate: 'rolling', rpm: '1000000', tpm: '100000000' },
  });
  // One slot: a replacement endpoint would not even fit there; the rollout needs none.
  rollingUnit = (await f.ark.admin.createModelUnit({ name: 'e2e-rolling-enabled', slots: 1, supportRolling: true })).Id;
  client = new ArkClient({ settings: f.ark.providerSettings() });
  openai = new OpenAI({ baseURL: f.ark.chatBaseUrl, apiKey: f.ark.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await f?.close();
});

/** Custom model id by Ark name: a chat answer's `model` is the name of the model that served it. */
const modelIdByName = new Map<string, string>();

/** One chat request; resolves with the id of the custom model that answered. */
async function chat(endpointId: string): Promise<string> {
  const { model } = await openai.chat.completions.create({ model: endpointId, messages: [{ role: 'user', content: 'ping' }], max_tokens: 4 });
  if (!modelIdByName.has(model)) for (const m of (await f.ark.admin.state()).customModels) modelIdByName.set(m.Name, m.Id);
  return modelIdByName.get(model) ?? `unknown model ${model}`;
}

/** `pulumi up` while a client sends chat requests back to back (bounded), as production traffic would. */
async function upUnderTraffic(endpointId: string): Promise<{ up: CliResult; served: string[]; failures: string[] }> {
  const served: string[] = [];
  const failures: string[] = [];
  const request = async () => {
    try {
      served.push(await chat(endpointId));
    } catch (error) {
      failures.push((error as Error).message);
    }
  };
  const up = await repeatWhile(f.pulumi(['up', '--yes', '--skip-preview']), request, { maxTicks: MAX_CHAT_REQUESTS, pauseMs: CHAT_PAUSE_MS });
  return { up, served, failures };
}

async function endpointUrn(): Promise<string> {
  const exported = JSON.parse((await f.pulumiOk(['stack', 'export'])).stdout) as { deployment: { resources: { urn: string; type: string }[] } };
  return exported.deployment.resources.find((r) => r.type === `${DYNAMIC}ModelUnitEndpoint`)!.urn;
}

describe("quickstart with modelUpdate: 'rolling'", () => {
  let endpointId: string;
  let firstModel: string;
  let secondModel: string;

  it('deploys the pipeline on the default unit, where preview shows new weights as a replacement and says why', async () => {
    expect((await f.pulumiOk(['up', '--yes'])).stdout).toMatch(/\+ 4 created/);
    const { endpointId: onDefault } = await f.outputs();
    expect((await client.call('GetEndpoint', { Id: onDefault })).SupportRolling).toBe(false);
    f.newWeights(0.2);
    const { stdout, stderr } = await f.pulumiOk(['preview', '--diff']);
    expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(replace\)/);
    // The provider's warning is a diagnostic of the preview (the --diff display prints those to stderr).
    expect(stdout + stderr).toContain(`endpoint ${onDefault} does not support a rolling model switch (SupportRolling false: Ark does not roll uploaded models on model units); it will be replaced`);
  });

  it('moves to a unit created with rolling enabled (a new endpoint there)', async () => {
    await f.pulumiOk(['config', 'set', 'modelUnitId', rollingUnit]);
    await f.pulumiOk(['up', '--yes']);
    ({ endpointId, customModelId: firstModel } = await f.outputs());
    expect(await client.call('GetEndpoint', { Id: endpointId })).toMatchObject({ ModelUnitId: rollingUnit, SupportRolling: true });
    expect(await chat(endpointId)).toBe(firstModel);
    expect((await inventory(f.ark)).endpoints).toEqual([`${endpointId} Running`]);
  });

  it('previews new weights as an in-place update of the endpoint', async () => {
    f.newWeights(0.3);
    const { stdout } = await f.pulumiOk(['preview', '--diff']);
    expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:TosModelDir: \(update\)/);
    expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:CustomModel: \(replace\)/);
    expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(update\)/);
    expect(stdout).not.toMatch(/ModelUnitEndpoint: \(replace\)/);
    expect(stdout).toMatch(/~ 2 to update/);
    expect(stdout).toMatch(/\+-1 to replace/);
  });

  it('up switches the same endpoint to the new model with zero failed chat requests', async () => {
    const { up, served, failures } = await upUnderTraffic(endpointId);
    expect(up.code).toBe(0);
    expect({ failed: failures.length, first: failures.slice(0, 3) }).toEqual({ failed: 0, first: [] });
    expect(up.stdout).toMatch(/rollout eprol-\d{14}-[a-z0-9]{5}: Running \d+% of traffic on the new model \(\+2% every 1 min\)/);
    expect(up.stdout).toMatch(/rollout eprol-\S+ done; cm-\S+ serves all traffic/);
    const outputs = await f.outputs();
    secondModel = outputs.customModelId!;
    expect(secondModel).not.toBe(firstModel);
    expect(outputs.endpointId).toBe(endpointId);
    // Traffic moved over during the up: both models answered, the new one last.
    expect(new Set(served)).toEqual(new Set([firstModel, secondModel]));
    expect(served.slice(-3)).toEqual([secondModel, secondModel, secondModel]);
    for (let i = 0; i < 5; i++) expect(await chat(endpointId)).toBe(secondModel);
    // The engine deleted the old model after the endpoint stopped using it.
    expect(await inventory(f.ark)).toMatchObject({ endpoints: [`${endpointId} Running`], customModels: [secondModel] });
  });

  it('a rollout failing at 50% is cancelled: the up fails with the reason, the endpoint serves the old model', async () => {
    await f.ark.admin.failNextRollout({ atPercent: 50, reason: 'new replicas failed their health check', endpointId });
    f.newWeights(0.5);
    const { up, failures } = await upUnderTraffic(endpointId);
    expect(up.code).not.toBe(0);
    expect({ failed: failures.length, first: failures.slice(0, 3) }).toEqual({ failed: 0, first: [] });
    expect(up.stdout + up.stderr).toMatch(
      new RegExp(`rollout eprol-\\S+ to cm-\\S+ failed and was cancelled; the endpoint still serves ${secondModel}\\. Reason: new replicas failed their health check`),
    );
    const live = await client.call('GetEndpoint', { Id: endpointId });
    expect(live.ModelReference.CustomModelId).toBe(secondModel);
    expect(live.RollingId).toBeUndefined();
    expect((await f.ark.admin.state()).rollings.at(-1)).toMatchObject({ Status: 'Reverted', RollingGray: 0, StatusReason: 'new replicas failed their health check' });
    for (let i = 0; i < 5; i++) expect(await chat(endpointId)).toBe(secondModel);
  });

  it('the next up tries again and succeeds, still on the same endpoint', async () => {
    const { up, failures } = await upUnderTraffic(endpointId);
    expect({ failed: failures.length, first: failures.slice(0, 3) }).toEqual({ failed: 0, first: [] });
    expect(up.code).toBe(0);
    const outputs = await f.outputs();
    expect(outputs.endpointId).toBe(endpointId);
    expect(outputs.customModelId).not.toBe(secondModel);
    expect(await chat(endpointId)).toBe(outputs.customModelId);
    expect(await inventory(f.ark)).toMatchObject({ endpoints: [`${endpointId} Running`], customModels: [outputs.customModelId] });
  });

  it('a killed up mid-rollout: the next up finds it through RollingId and resumes it, never starting a second', async () => {
    const rollingsOf = async () => (await f.ark.admin.state()).rollings.filter((r) => r.EndpointId === endpointId);
    const before = (await rollingsOf()).length;
    const modelsBefore = new Set((await inventory(f.ark)).customModels);
    // after-reads:1 until the freeze below: a state moves only when the provider polls (seconds apart), so the
    // rollout cannot slip past 0% between the model turning Ready and the freeze.
    await f.ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    f.newWeights(0.7);
    const crashed = f.run.spawnPulumi(['up', '--yes', '--skip-preview']);
    // Once the new model is Ready nothing else waits on a transition: freeze them, so the rollout the up starts
    // next stays at 0% (a real one moves 2% a minute), then crash the CLI and its provider.
    await until('the new model to be Ready', async () => (await f.ark.admin.state()).customModels.some((m) => !modelsBefore.has(m.Id) && m.Status === 'Ready'));
    await f.ark.admin.setTransitions({ mode: 'after-reads', reads: 1_000_000 });
    await until('the rollout to start', async () => (await rollingsOf()).length > before);
    // The CLI's plugins (the dynamic provider) run in process groups of their own: kill them too, as a crashed
    // runner would, or the orphaned provider would finish the rollout by itself.
    const plugins = descendants(crashed.child.pid!).map((p) => p.pid);
    crashed.signalGroup('SIGKILL');
    for (const pid of plugins) killQuietly(pid);
    await crashed.result;
    const started = (await rollingsOf()).at(-1)!;
    expect(started).toMatchObject({ Status: 'Running', RollingGray: 0 });
    const target = (started.RollingIn as { CustomModelId: string }).CustomModelId;
    expect((await client.call('GetEndpoint', { Id: endpointId })).RollingId).toBe(started.Id);
    f.run.removeLocks();

    await f.ark.admin.setTransitions(TRANSITIONS);
    const up = await f.pulumiOk(['up', '--yes', '--skip-preview']);
    expect(up.stdout).toContain(`endpoint ${endpointId}: resuming rollout ${started.Id} to ${target}`);
    const after = await rollingsOf();
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)).toMatchObject({ Id: started.Id, RollingGray: 100 });
    const outputs = await f.outputs();
    expect(outputs).toMatchObject({ endpointId, customModelId: target });
    expect(await chat(endpointId)).toBe(outputs.customModelId);
    expect(await inventory(f.ark)).toMatchObject({ endpoints: [`${endpointId} Running`], customModels: [outputs.customModelId] });
  });
});

describe('safe deletes with the real engine', () => {
  it('protect: destroy refuses and deletes nothing', async () => {
    await f.pulumiOk(['config', 'set', 'protectEndpoint', 'true']);
    await f.pulumiOk(['up', '--yes']);
    const before = await inventory(f.ark);
    const destroy = await f.pulumi(['destroy', '--yes']);
    expect(destroy.code).not.toBe(0);
    expect(destroy.stdout + destroy.stderr).toMatch(/protected/);
    expect(await inventory(f.ark)).toEqual(before);
    expect(Object.keys(await f.outputs())).toContain('endpointId');
  });

  it('retainOnDelete: deleting the endpoint forgets it, ark-local keeps it; the next up adopts it by its owner tag', async () => {
    await f.pulumiOk(['config', 'rm', 'protectEndpoint']);
    await f.pulumiOk(['config', 'set', 'retainEndpoint', 'true']);
    await f.pulumiOk(['up', '--yes']);
    const { endpointId } = await f.outputs();
    await f.pulumiOk(['destroy', '--yes', '--target', await endpointUrn()]);
    const exported = (await f.pulumiOk(['stack', 'export'])).stdout;
    expect(exported).not.toContain(`${DYNAMIC}ModelUnitEndpoint`);
    expect((await inventory(f.ark)).endpoints).toEqual([`${endpointId} Running`]);

    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(new RegExp(`adopting ${endpointId}, which carries this resource's owner tag \\(made by an interrupted run, or retained by an earlier delete\\)`));
    expect((await f.outputs()).endpointId).toBe(endpointId);
    expect((await inventory(f.ark)).endpoints).toEqual([`${endpointId} Running`]);
  });

  it('without the options, destroy leaves ark-local empty', async () => {
    await f.pulumiOk(['config', 'rm', 'retainEndpoint']);
    await f.pulumiOk(['up', '--yes']);
    await f.pulumiOk(['destroy', '--yes']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
    await f.pulumiOk(['stack', 'rm', '--yes', f.stack]);
  });
});
