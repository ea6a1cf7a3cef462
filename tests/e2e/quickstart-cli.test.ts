/**
 * The quickstart as its README tells users to run it: the real `pulumi` binary in examples/quickstart (the
 * Node language host runs index.ts), a file:// backend, against ark-local. One story on one stack, steps in
 * order (each CLI start costs seconds): invalid inputs stop at preview, `up` creates exactly the three
 * resources, a no-op preview, the plan for each kind of change, drift found by refresh and repaired by up,
 * destroy leaving nothing behind. Credentials are secret stack config and never appear in state.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { ArkClient } from '../../provider/clients/ark/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { openExample, readTree, repoTempDir, type ExampleRun, uniqueCredential, requireBuiltPackage } from './cli-harness';


jest.setTimeout(900_000);

const PROJECT = 'ark-quickstart';
const STACK = 'e2e-quickstart';
const BASE_MODEL = 'Qwen2.5-0.5B';
const PREFIX = `quickstart/${STACK}/`;
const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';

let ark: ArkLocal;
let run: ExampleRun;
let dataDir: string;
let modelDir: string;
/** The quickstart's own config, as the README lists it (modelUnitId once the unit exists). */
const exampleConfig: Record<string, string> = { baseModel: BASE_MODEL, bucket: 'models', createBucket: 'true' };
const credential = uniqueCredential();

beforeAll(async () => {
  requireBuiltPackage();
  dataDir = repoTempDir('quickstart-cli-data');
  // Objects on disk rather than in this process's memory: the synthetic model is ~1 GB (sparse: no disk cost).
  ark = await startArkLocal({ dataDir: path.join(dataDir, 'ark-local'), credentials: [credential], transitions: { mode: 'immediate' } });
  modelDir = path.join(dataDir, 'model');
  await writeSyntheticModel(modelDir, { base: BASE_MODEL, fill: 'sparse' });
  exampleConfig.modelDir = modelDir;
  run = await openExample({ example: 'examples/quickstart', name: 'quickstart-cli', ark: { ark, credential, via: 'config' } });
});
afterAll(async () => {
  await run?.close();
  await ark?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const plaintext = (config: Record<string, string>) => Object.entries(config).flatMap(([key, value]) => ['--plaintext', `${key}=${value}`]);

/** `pulumi preview --json`: the op planned for each of our resources (`{ CustomModel: 'replace', ... }`). */
async function plannedOps(): Promise<Record<string, string>> {
  const { stdout } = await run.pulumiOk(['preview', '--json']);
  const steps = (JSON.parse(stdout) as { steps?: { op: string; urn: string; newState?: { type: string }; oldState?: { type: string } }[] }).steps ?? [];
  const ops: Record<string, string> = {};
  for (const step of steps) {
    const type = step.newState?.type ?? step.oldState?.type ?? '';
    if (!type.startsWith(DYNAMIC)) continue;
    const kind = type.slice(DYNAMIC.length);
    const op = ['create-replacement', 'delete-replaced', 'replace'].includes(step.op) ? 'replace' : step.op;
    ops[kind] = ops[kind] && ops[kind] !== op ? 'replace' : op;
  }
  return ops;
}

/** The error output of `pulumi preview` with some config overridden (and restored afterwards). */
async function previewFailure(overrides: Record<string, string>): Promise<string> {
  await run.pulumiOk(['config', 'set-all', ...plaintext(overrides)]);
  try {
    const result = await run.pulumi(['preview']);
    return result.code === 0 ? 'succeeded' : result.stdout + result.stderr;
  } finally {
    const added = Object.keys(overrides).filter((key) => !(key in exampleConfig));
    if (added.length) await run.pulumiOk(['config', 'rm-all', ...added]);
    await run.pulumiOk(['config', 'set-all', ...plaintext(exampleConfig)]);
  }
}

async function inventory() {
  const state = await ark.admin.state();
  return {
    endpoints: state.endpoints.map((e) => `${e.Id} ${e.Status}`),
    customModels: state.customModels.map((m) => m.Id),
    objects: state.tos.buckets.reduce((n, b) => n + b.objects, 0),
  };
}

async function stackOutputs(): Promise<Record<string, string>> {
  return JSON.parse((await run.pulumiOk(['stack', 'output', '--json'])).stdout) as Record<string, string>;
}

function tos(): TosClient {
  return new TosClient({ accessKeyId: credential.accessKeyId, accessKeySecret: credential.secretAccessKey, region: ark.region, endpoint: ark.tosEndpoint, secure: false });
}

describe('pulumi in examples/quickstart', () => {
  it('initialises a stack and takes its config as the README shows', async () => {
    exampleConfig.modelUnitId = (await ark.admin.createModelUnit({ name: 'e2e-quickstart-cli' })).Id;
    await run.pulumiOk(['stack', 'init', STACK]);
    for (const [key, value] of Object.entries(exampleConfig)) await run.pulumiOk(['config', 'set', key, value]);
    await run.pulumiOk(['config', 'set-all', ...run.arkConfigArgs()]);
    expect(fs.existsSync(path.join(run.dir, `Pulumi.${STACK}.yaml`))).toBe(true);
  });

  it('refuses invalid inputs at preview with a readable message, creating nothing', async () => {
    const loraDir = path.join(run.stateDir, 'lora');
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
    expect(await inventory()).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });

  it('up --yes creates exactly the three resources, and ark-local holds them', async () => {
    const up = await run.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+ 4 created/); // the stack and our three resources
    const outputs = await stackOutputs();
    expect(outputs).toMatchObject({ weightsLocation: `tos://models/${PREFIX}`, endpointStatus: 'Running', chatBaseUrl: ark.chatBaseUrl });

    const state = await ark.admin.state();
    expect(state.customModels.map((m) => m.Id)).toEqual([outputs.customModelId]);
    expect(state.endpoints.map((e) => `${e.Id} ${e.Status}`)).toEqual([`${outputs.endpointId} Running`]);
    const listed = await tos().listObjectsType2({ bucket: 'models', prefix: PREFIX });
    expect((listed.data.Contents ?? []).map((o) => o.Key.slice(PREFIX.length)).sort()).toEqual(
      fs.readdirSync(modelDir).filter((name) => !name.startsWith('.')).sort(),
    );
  });

  it('then previews no change', async () => {
    const preview = await run.pulumiOk(['preview']);
    expect(preview.stdout).toMatch(/Resources:\s+4 unchanged/);
  });

  it('keeps the credentials out of the state, its history and the stack config file', () => {
    const stored = readTree(path.join(run.stateDir, 'backend')) + fs.readFileSync(path.join(run.dir, `Pulumi.${STACK}.yaml`), 'utf8');
    expect(stored).toContain(PROJECT); // the grep below looks at real state
    expect(stored).not.toContain(credential.secretAccessKey);
    expect(stored).not.toContain(credential.accessKeyId);
  });

  it('shows a rate-limit change as one in-place update with `preview --diff`', async () => {
    await run.pulumiOk(['config', 'set', 'rpm', '900']);
    await run.pulumiOk(['config', 'set', 'endpointDescription', 'support bot']);
    try {
      const { stdout } = await run.pulumiOk(['preview', '--diff']);
      expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(update\)/);
      expect(stdout).toMatch(/~ rateLimit\s*: \{\s*~ rpm: 600 => 900/);
      expect(stdout).toMatch(/\+ description\s*: "support bot"/);
      expect(stdout).toMatch(/~ 1 to update/);
    } finally {
      await run.pulumiOk(['config', 'rm-all', 'rpm', 'endpointDescription']);
    }
  });

  it('shows new weights as a TosModelDir update that replaces the custom model, then the endpoint', async () => {
    const file = path.join(modelDir, 'generation_config.json');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(original), temperature: 0.3 }, null, 2));
    try {
      const { stdout } = await run.pulumiOk(['preview', '--diff']);
      expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:TosModelDir: \(update\)/);
      expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:CustomModel: \(replace\)/);
      expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(replace\)/);
      expect(stdout).toMatch(/~ 1 to update/);
      expect(stdout).toMatch(/\+-2 to replace/);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('plans a bucket change as a replacement of the uploaded directory, changing nothing', async () => {
    await run.pulumiOk(['config', 'set', 'bucket', 'models-v2']);
    try {
      expect((await plannedOps()).TosModelDir).toBe('replace');
    } finally {
      await run.pulumiOk(['config', 'set', 'bucket', 'models']);
    }
    expect((await inventory()).objects).toBe(7);
  });

  it('finds out-of-band changes with refresh and repairs them with the next up', async () => {
    const { endpointId } = await stackOutputs();
    await tos().deleteObject({ bucket: 'models', key: `${PREFIX}config.json` });
    await new ArkClient({ settings: ark.providerSettings() }).call('StopEndpoint', { Id: endpointId });

    const refresh = await run.pulumiOk(['refresh', '--yes']);
    expect(refresh.stdout).toMatch(/~ 2 updated/);
    const exported = JSON.parse((await run.pulumiOk(['stack', 'export'])).stdout) as { deployment: { resources: { type: string; outputs?: { status?: string } }[] } };
    expect(exported.deployment.resources.find((r) => r.type === `${DYNAMIC}ModelUnitEndpoint`)?.outputs?.status).toBe('Stopped');

    const up = await run.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/~ 2 updated/);
    expect((await stackOutputs()).endpointStatus).toBe('Running');
    await expect(tos().headObject({ bucket: 'models', key: `${PREFIX}config.json` })).resolves.toBeDefined();
    expect((await inventory()).endpoints).toEqual([`${endpointId} Running`]);
  });

  it('drops an endpoint deleted out of band on refresh and recreates it on the next up', async () => {
    const oldId = (await stackOutputs()).endpointId!;
    const client = new ArkClient({ settings: ark.providerSettings() });
    await client.call('StopEndpoint', { Id: oldId });
    await client.call('DeleteEndpoint', { Id: oldId });

    const refresh = await run.pulumiOk(['refresh', '--yes']);
    expect(refresh.stdout).toMatch(/- 1 deleted/);
    await run.pulumiOk(['up', '--yes']);
    const newId = (await stackOutputs()).endpointId;
    expect(newId).not.toBe(oldId);
    expect((await inventory()).endpoints).toEqual([`${newId} Running`]);
  });

  it('destroy --yes leaves ark-local empty', async () => {
    await run.pulumiOk(['destroy', '--yes']);
    expect(await inventory()).toEqual({ endpoints: [], customModels: [], objects: 0 });
    await run.pulumiOk(['stack', 'rm', '--yes', STACK]);
  });
});
