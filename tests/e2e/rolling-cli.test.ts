/**
 * Rolling model upgrades and safe deletes, the way users run them: the real `pulumi` binary in
 * examples/quickstart with `modelUpdate: rolling`, against ark-local. New weights are an in-place update of the
 * endpoint (same id) while a client keeps chatting and sees no failure; a rollout that fails at 50% is rolled
 * back and fails the up with the service's reason, the next up succeeds; `protect` makes destroy refuse,
 * `retainOnDelete` makes it forget the endpoint, and the owner tag lets the next up take it over again.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import OpenAI from 'openai';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { ArkClient } from '../../provider/clients/ark/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { openExample, repoTempDir, type CliResult, type ExampleRun, uniqueCredential, requireBuiltPackage } from './cli-harness';

jest.setTimeout(900_000);

const STACK = 'e2e-rolling';
const BASE_MODEL = 'Qwen2.5-0.5B';
const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';
/** Upper bound of the chat loop run during an up (it stops as soon as the up ends), and its pause between requests. */
const MAX_CHAT_REQUESTS = 20_000;
const CHAT_PAUSE_MS = 10;

let ark: ArkLocal;
let run: ExampleRun;
let dataDir: string;
let modelDir: string;
let client: ArkClient;
let openai: OpenAI;
const credential = uniqueCredential();

beforeAll(async () => {
  requireBuiltPackage();
  dataDir = repoTempDir('rolling-cli-data');
  // after-reads:1: every state, a rollout's 0% and 50% included, is seen by a poll, so the switch takes real time.
  ark = await startArkLocal({ dataDir: path.join(dataDir, 'ark-local'), credentials: [credential], transitions: { mode: 'after-reads', reads: 1 } });
  modelDir = path.join(dataDir, 'model');
  await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
  run = await openExample({ example: 'examples/quickstart', name: 'rolling-cli', ark: { ark, credential, via: 'config' } });
  client = new ArkClient({ settings: ark.providerSettings() });
  openai = new OpenAI({ baseURL: ark.chatBaseUrl, apiKey: ark.apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await run?.close();
  await ark?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function stackOutputs(): Promise<Record<string, string>> {
  return JSON.parse((await run.pulumiOk(['stack', 'output', '--json'])).stdout) as Record<string, string>;
}

async function inventory() {
  const state = await ark.admin.state();
  return { endpoints: state.endpoints.map((e) => `${e.Id} ${e.Status}`), customModels: state.customModels.map((m) => m.Id).sort() };
}

/** New weights: a changed generation_config.json (a new contentDigest, so a new CustomModel). */
function newWeights(temperature: number): void {
  const file = path.join(modelDir, 'generation_config.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), temperature }, null, 2));
}

/** Custom model id by Ark name: a chat answer's `model` is the name of the model that served it. */
const modelIdByName = new Map<string, string>();

/** One chat request; resolves with the id of the custom model that answered. */
async function chat(endpointId: string): Promise<string> {
  const { model } = await openai.chat.completions.create({ model: endpointId, messages: [{ role: 'user', content: 'ping' }], max_tokens: 4 });
  if (!modelIdByName.has(model)) for (const m of (await ark.admin.state()).customModels) modelIdByName.set(m.Name, m.Id);
  return modelIdByName.get(model) ?? `unknown model ${model}`;
}

/** `pulumi up` while a client sends chat requests back to back (bounded), as production traffic would. */
async function upUnderTraffic(endpointId: string): Promise<{ up: CliResult; served: string[]; failures: string[] }> {
  let done = false;
  const served: string[] = [];
  const failures: string[] = [];
  const traffic = (async () => {
    for (let i = 0; i < MAX_CHAT_REQUESTS && !done; i++) {
      try {
        served.push(await chat(endpointId));
      } catch (error) {
        failures.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, CHAT_PAUSE_MS));
    }
  })();
  const up = await run.pulumi(['up', '--yes', '--skip-preview']).finally(() => (done = true));
  await traffic;
  return { up, served, failures };
}

async function endpointUrn(): Promise<string> {
  const exported = JSON.parse((await run.pulumiOk(['stack', 'export'])).stdout) as { deployment: { resources: { urn: string; type: string }[] } };
  return exported.deployment.resources.find((r) => r.type === `${DYNAMIC}ModelUnitEndpoint`)!.urn;
}

describe("quickstart with modelUpdate: 'rolling'", () => {
  let endpointId: string;
  let firstModel: string;
  let secondModel: string;

  it('deploys the pipeline', async () => {
    const modelUnitId = (await ark.admin.createModelUnit({ name: 'e2e-rolling', slots: 1 })).Id;
    await run.pulumiOk(['stack', 'init', STACK]);
    // A quota the chat loop below cannot reach: a 429 would be a failure that says nothing about the rollout.
    const config = { modelDir, baseModel: BASE_MODEL, bucket: 'models', createBucket: 'true', modelUnitId, modelUpdate: 'rolling', rpm: '1000000', tpm: '100000000' };
    await run.pulumiOk(['config', 'set-all', ...Object.entries(config).flatMap(([k, v]) => ['--plaintext', `${k}=${v}`]), ...run.arkConfigArgs()]);
    expect((await run.pulumiOk(['up', '--yes'])).stdout).toMatch(/\+ 4 created/);
    ({ endpointId, customModelId: firstModel } = await stackOutputs());
    expect(await chat(endpointId)).toBe(firstModel);
  });

  it('previews new weights as an in-place update of the endpoint', async () => {
    newWeights(0.3);
    const { stdout } = await run.pulumiOk(['preview', '--diff']);
    expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:TosModelDir: \(update\)/);
    expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:CustomModel: \(replace\)/);
    expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(update\)/);
    expect(stdout).not.toMatch(/ModelUnitEndpoint: \(replace\)/);
    expect(stdout).toMatch(/~ 2 to update/);
    expect(stdout).toMatch(/\+-1 to replace/);
  });

  it('up switches the same endpoint to the new model with zero failed chat requests', async () => {
    // One slot on the model unit: a replacement endpoint would not even fit; the rollout needs none.
    const { up, served, failures } = await upUnderTraffic(endpointId);
    expect(up.code).toBe(0);
    expect({ failed: failures.length, first: failures.slice(0, 3) }).toEqual({ failed: 0, first: [] });
    expect(up.stdout).toMatch(/rollout eprol-\d{14}-[a-z0-9]{5}: Running 50% \(step 1\/2\)/);
    const outputs = await stackOutputs();
    secondModel = outputs.customModelId!;
    expect(secondModel).not.toBe(firstModel);
    expect(outputs.endpointId).toBe(endpointId);
    // Traffic moved over during the up: both models answered, the new one last.
    expect(new Set(served)).toEqual(new Set([firstModel, secondModel]));
    expect(served.slice(-3)).toEqual([secondModel, secondModel, secondModel]);
    for (let i = 0; i < 5; i++) expect(await chat(endpointId)).toBe(secondModel);
    // The engine deleted the old model after the endpoint stopped using it.
    expect(await inventory()).toEqual({ endpoints: [`${endpointId} Running`], customModels: [secondModel] });
  });

  it('a rollout failing at 50% is rolled back: the up fails with the reason, the endpoint serves the old model', async () => {
    await ark.admin.failNextRollout({ atPercent: 50, reason: 'new replicas failed their health check', endpointId });
    newWeights(0.5);
    const { up, failures } = await upUnderTraffic(endpointId);
    expect(up.code).not.toBe(0);
    expect({ failed: failures.length, first: failures.slice(0, 3) }).toEqual({ failed: 0, first: [] });
    expect(up.stdout + up.stderr).toMatch(
      new RegExp(`rollout eprol-\\S+ to cm-\\S+ failed and was rolled back; the endpoint still serves ${secondModel}\\. Reason: new replicas failed their health check`),
    );
    const live = await client.call('GetEndpoint', { Id: endpointId });
    expect(live.ModelReference.CustomModelId).toBe(secondModel);
    expect(live.RollingId).toBeUndefined();
    expect((await ark.admin.state()).rollings.at(-1)).toMatchObject({ Status: 'Reverted', Progress: 0, StatusReason: 'new replicas failed their health check' });
    for (let i = 0; i < 5; i++) expect(await chat(endpointId)).toBe(secondModel);
  });

  it('the next up tries again and succeeds, still on the same endpoint', async () => {
    const { up, failures } = await upUnderTraffic(endpointId);
    expect({ failed: failures.length, first: failures.slice(0, 3) }).toEqual({ failed: 0, first: [] });
    expect(up.code).toBe(0);
    const outputs = await stackOutputs();
    expect(outputs.endpointId).toBe(endpointId);
    expect(outputs.customModelId).not.toBe(secondModel);
    expect(await chat(endpointId)).toBe(outputs.customModelId);
    expect(await inventory()).toEqual({ endpoints: [`${endpointId} Running`], customModels: [outputs.customModelId] });
  });

  it('a killed up mid-rollout: the next up finds it through RollingId and resumes it, never starting a second', async () => {
    const rollingsOf = async () => (await ark.admin.state()).rollings.filter((r) => r.EndpointId === endpointId);
    const before = (await rollingsOf()).length;
    const modelsBefore = new Set((await inventory()).customModels);
    newWeights(0.7);
    const crashed = run.spawnPulumi(['up', '--yes', '--skip-preview']);
    // Once the new model is Ready nothing else waits on a transition: freeze them, so the rollout the up starts
    // next stays at its first batch (a real one takes minutes per batch), then crash the CLI and its provider.
    await until('the new model to be Ready', async () => (await ark.admin.state()).customModels.some((m) => !modelsBefore.has(m.Id) && m.Status === 'Ready'));
    await ark.admin.setTransitions({ mode: 'after-reads', reads: 1_000_000 });
    await until('the rollout to start', async () => (await rollingsOf()).length > before);
    // The CLI's plugins (the dynamic provider) run in process groups of their own: kill them too, as a crashed
    // runner would, or the orphaned provider would finish the rollout by itself.
    const plugins = descendants(crashed.child.pid!);
    crashed.signalGroup('SIGKILL');
    for (const pid of plugins) killQuietly(pid);
    await crashed.result;
    const started = (await rollingsOf()).at(-1)!;
    expect(started).toMatchObject({ Status: 'Running', Progress: 0 });
    expect((await client.call('GetEndpoint', { Id: endpointId })).RollingId).toBe(started.Id);
    // A killed CLI leaves the file backend's lock behind; the operator removes it (docs/pulumi-cli.md).
    fs.rmSync(path.join(run.stateDir, 'backend', '.pulumi', 'locks'), { recursive: true, force: true });

    await ark.admin.setTransitions({ mode: 'after-reads', reads: 1 });
    const up = await run.pulumiOk(['up', '--yes', '--skip-preview']);
    expect(up.stdout).toContain(`endpoint ${endpointId}: resuming rollout ${started.Id} to ${started.ToModelReference.CustomModelId}`);
    const after = await rollingsOf();
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)).toMatchObject({ Id: started.Id, Status: 'Completed' });
    const outputs = await stackOutputs();
    expect(outputs).toMatchObject({ endpointId, customModelId: started.ToModelReference.CustomModelId });
    expect(await chat(endpointId)).toBe(outputs.customModelId);
    expect(await inventory()).toEqual({ endpoints: [`${endpointId} Running`], customModels: [outputs.customModelId] });
  });
});

/** Every process below `root`, from /proc (Linux; the CI runs there). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const below = (pid: number): number[] => [...parents].filter(([, ppid]) => ppid === pid).flatMap(([child]) => [child, ...below(child)]);
  return below(root);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('safe deletes with the real engine', () => {
  it('protect: destroy refuses and deletes nothing', async () => {
    await run.pulumiOk(['config', 'set', 'protectEndpoint', 'true']);
    await run.pulumiOk(['up', '--yes']);
    const before = await inventory();
    const destroy = await run.pulumi(['destroy', '--yes']);
    expect(destroy.code).not.toBe(0);
    expect(destroy.stdout + destroy.stderr).toMatch(/protected/);
    expect(await inventory()).toEqual(before);
    expect(Object.keys(await stackOutputs())).toContain('endpointId');
  });

  it('retainOnDelete: deleting the endpoint forgets it, ark-local keeps it; the next up adopts it by its owner tag', async () => {
    await run.pulumiOk(['config', 'rm', 'protectEndpoint']);
    await run.pulumiOk(['config', 'set', 'retainEndpoint', 'true']);
    await run.pulumiOk(['up', '--yes']);
    const { endpointId } = await stackOutputs();
    await run.pulumiOk(['destroy', '--yes', '--target', await endpointUrn()]);
    const exported = (await run.pulumiOk(['stack', 'export'])).stdout;
    expect(exported).not.toContain(`${DYNAMIC}ModelUnitEndpoint`);
    expect((await inventory()).endpoints).toEqual([`${endpointId} Running`]);

    const up = await run.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(new RegExp(`adopting ${endpointId}, which carries this resource's owner tag \\(made by an interrupted run, or retained by an earlier delete\\)`));
    expect((await stackOutputs()).endpointId).toBe(endpointId);
    expect((await inventory()).endpoints).toEqual([`${endpointId} Running`]);
  });

  it('without the options, destroy leaves ark-local empty', async () => {
    await run.pulumiOk(['config', 'rm', 'retainEndpoint']);
    await run.pulumiOk(['up', '--yes']);
    await run.pulumiOk(['destroy', '--yes']);
    expect(await inventory()).toEqual({ endpoints: [], customModels: [] });
    await run.pulumiOk(['stack', 'rm', '--yes', STACK]);
  });
});
