/**
 * The quickstart as its README tells users to run it: the real `pulumi` binary in examples/quickstart (the
 * Node language host runs index.ts), a file:// backend, against ark-local. One story on one stack, steps in
 * order (each CLI start costs seconds): invalid inputs stop at preview, `up` creates exactly the three
 * resources, a no-op preview, the plan for each kind of change, new weights taken on the model unit's one
 * endpoint slot (delete first, the downtime warned of and logged), drift found by refresh and repaired by up, an
 * up failed by an upload damaged on its way, destroy leaving nothing behind (the damaged object included).
 * Credentials are secret stack config and never appear in state.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArkClient } from '../../provider/clients/ark/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { inventory } from './ark-inventory';
import { readTree } from './cli-harness';
import { BASE_MODEL, startExampleStack, type ExampleStack } from './example-stack';

jest.setTimeout(900_000);

const PROJECT = 'ark-quickstart';
const STACK = 'e2e-quickstart';
const PREFIX = `quickstart/${STACK}/`;
const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';

let f: ExampleStack;
beforeAll(async () => {
  // init: false: the first test initialises and configures the stack the way the README shows.
  f = await startExampleStack({ example: 'examples/quickstart', name: 'quickstart-cli', stack: STACK, init: false });
});
afterAll(async () => {
  await f?.close();
});

/** `pulumi preview --json`: the op planned for each of our resources (`{ CustomModel: 'replace', ... }`). */
async function plannedOps(): Promise<Record<string, string>> {
  const { stdout } = await f.pulumiOk(['preview', '--json']);
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
  await f.configure(overrides);
  try {
    const result = await f.pulumi(['preview']);
    return result.code === 0 ? 'succeeded' : result.stdout + result.stderr;
  } finally {
    await f.configure({});
  }
}

describe('pulumi in examples/quickstart', () => {
  it('initialises a stack and takes its config as the README shows', async () => {
    await f.pulumiOk(['stack', 'init', STACK]);
    for (const [key, value] of Object.entries(f.defaults)) await f.pulumiOk(['config', 'set', key, value]);
    await f.pulumiOk(['config', 'set-all', ...f.run.arkConfigArgs()]);
    expect(fs.existsSync(path.join(f.run.dir, `Pulumi.${STACK}.yaml`))).toBe(true);
  });

  it('refuses invalid inputs at preview with a readable message, creating nothing', async () => {
    const loraDir = path.join(f.run.stateDir, 'lora');
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
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });

  it('up --yes creates exactly the three resources, and ark-local holds them', async () => {
    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+ 4 created/); // the stack and our three resources
    const outputs = await f.outputs();
    expect(outputs).toMatchObject({ weightsLocation: `tos://models/${PREFIX}`, endpointStatus: 'Running', chatBaseUrl: f.ark.chatBaseUrl });

    expect(await inventory(f.ark)).toMatchObject({ customModels: [outputs.customModelId], endpoints: [`${outputs.endpointId} Running`] });
    const listed = await f.tos().listObjectsType2({ bucket: 'models', prefix: PREFIX });
    expect((listed.data.Contents ?? []).map((o) => o.Key.slice(PREFIX.length)).sort()).toEqual(
      fs.readdirSync(f.modelDir).filter((name) => !name.startsWith('.')).sort(),
    );
  });

  it('then previews no change', async () => {
    const preview = await f.pulumiOk(['preview']);
    expect(preview.stdout).toMatch(/Resources:\s+4 unchanged/);
  });

  it("keeps the credentials out of the state, its history, the stack config file and the CLI's logs", async () => {
    const stored = readTree(path.join(f.run.stateDir, 'backend')) + fs.readFileSync(path.join(f.run.dir, `Pulumi.${STACK}.yaml`), 'utf8');
    const logs = await f.run.readLogs();
    for (const text of [stored, logs]) {
      expect(text).toContain(PROJECT); // the grep below looks at real state and real logs
      expect(text).not.toContain(f.credential.secretAccessKey);
      expect(text).not.toContain(f.credential.accessKeyId);
    }
  });

  it('shows a rate-limit change as one in-place update with `preview --diff`', async () => {
    await f.pulumiOk(['config', 'set', 'rpm', '900']);
    await f.pulumiOk(['config', 'set', 'endpointDescription', 'support bot']);
    try {
      const { stdout } = await f.pulumiOk(['preview', '--diff']);
      expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(update\)/);
      expect(stdout).toMatch(/~ rateLimit\s*: \{\s*~ rpm: 600 => 900/);
      expect(stdout).toMatch(/\+ description\s*: "support bot"/);
      expect(stdout).toMatch(/~ 1 to update/);
    } finally {
      await f.pulumiOk(['config', 'rm-all', 'rpm', 'endpointDescription']);
    }
  });

  it('shows new weights as a TosModelDir update that replaces the custom model, then the endpoint', async () => {
    const file = path.join(f.modelDir, 'generation_config.json');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(original), temperature: 0.3 }, null, 2));
    try {
      const { stdout } = await f.pulumiOk(['preview', '--diff']);
      expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:TosModelDir: \(update\)/);
      expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:CustomModel: \(replace\)/);
      expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(replace\)/);
      expect(stdout).toMatch(/~ 1 to update/);
      expect(stdout).toMatch(/\+-2 to replace/);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('takes new weights on its one-endpoint unit: preview warns of the downtime, up deletes first and says when it was down', async () => {
    const { endpointId: oldId, customModelId: oldModel } = await f.outputs();
    f.newWeights(0.4);

    const preview = await f.pulumiOk(['preview']);
    expect(preview.stdout + preview.stderr).toMatch(new RegExp(`endpoint ${oldId} will be replaced by deleting it first: it is down from its delete until the new endpoint is Running`));
    const up = await f.pulumiOk(['up', '--yes']);
    const log = up.stdout + up.stderr;
    expect(up.stdout).toMatch(/\+-2 replaced/);
    const { endpointId: newId, customModelId: newModel, endpointStatus } = await f.outputs();
    expect(newId).not.toBe(oldId);
    expect(endpointStatus).toBe('Running');
    // When it went down and when it came back, in that order.
    const down = log.search(new RegExp(`endpoint ${oldId}: stopping before delete: down from \\d\\d:\\d\\d:\\d\\d UTC \\(model unit ${f.modelUnitId}\\)`));
    const back = log.search(new RegExp(`endpoint ${newId}: Running on model unit ${f.modelUnitId} at \\d\\d:\\d\\d:\\d\\d UTC, serving`));
    expect(down).toBeGreaterThanOrEqual(0);
    expect(back).toBeGreaterThan(down);
    expect(await inventory(f.ark)).toMatchObject({ endpoints: [`${newId} Running`], customModels: [newModel] });
    expect(newModel).not.toBe(oldModel);
  });

  it('plans a bucket change as a replacement of the uploaded directory, changing nothing', async () => {
    await f.pulumiOk(['config', 'set', 'bucket', 'models-v2']);
    try {
      expect((await plannedOps()).TosModelDir).toBe('replace');
    } finally {
      await f.pulumiOk(['config', 'set', 'bucket', 'models']);
    }
    expect((await inventory(f.ark)).objects).toBe(7);
  });

  it('finds out-of-band changes with refresh and repairs them with the next up', async () => {
    const { endpointId } = await f.outputs();
    await f.tos().deleteObject({ bucket: 'models', key: `${PREFIX}config.json` });
    await new ArkClient({ settings: f.ark.providerSettings() }).call('StopEndpoint', { Id: endpointId });

    const refresh = await f.pulumiOk(['refresh', '--yes']);
    expect(refresh.stdout).toMatch(/~ 2 updated/);
    const exported = JSON.parse((await f.pulumiOk(['stack', 'export'])).stdout) as { deployment: { resources: { type: string; outputs?: { status?: string } }[] } };
    expect(exported.deployment.resources.find((r) => r.type === `${DYNAMIC}ModelUnitEndpoint`)?.outputs?.status).toBe('Stopped');

    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/~ 2 updated/);
    expect((await f.outputs()).endpointStatus).toBe('Running');
    await expect(f.tos().headObject({ bucket: 'models', key: `${PREFIX}config.json` })).resolves.toBeDefined();
    expect((await inventory(f.ark)).endpoints).toEqual([`${endpointId} Running`]);
  });

  it('drops an endpoint deleted out of band on refresh and recreates it on the next up', async () => {
    const oldId = (await f.outputs()).endpointId!;
    const client = new ArkClient({ settings: f.ark.providerSettings() });
    await client.call('StopEndpoint', { Id: oldId });
    await client.call('DeleteEndpoint', { Id: oldId });

    const refresh = await f.pulumiOk(['refresh', '--yes']);
    expect(refresh.stdout).toMatch(/- 1 deleted/);
    await f.pulumiOk(['up', '--yes']);
    const newId = (await f.outputs()).endpointId;
    expect(newId).not.toBe(oldId);
    expect((await inventory(f.ark)).endpoints).toEqual([`${newId} Running`]);
  });

  it('fails an up whose upload arrives damaged, naming the CRC64 mismatch, and keeps the damaged object in state', async () => {
    fs.writeFileSync(path.join(f.modelDir, 'README.md'), '# fine-tuned on our support tickets\n');
    await f.ark.admin.addFault({ service: 'tos', operation: 'PutObject', kind: 'corrupt-body', count: 1 });
    const up = await f.pulumi(['up', '--yes']);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/README\.md: expected the uploaded object's CRC64 to equal that of the bytes read from the local file/);
    const exported = JSON.parse((await f.pulumiOk(['stack', 'export'])).stdout) as {
      deployment: { resources: { type: string; outputs?: { files?: { path: string; crc64?: string }[] } }[] };
    };
    const files = exported.deployment.resources.find((r) => r.type === `${DYNAMIC}TosModelDir`)?.outputs?.files ?? [];
    expect(files.find((file) => file.path === 'README.md')).toEqual({ path: 'README.md', size: expect.any(Number) });
    // The destroy below must remove the damaged object with the others (ark-local left empty).
  });

  it('destroy --yes leaves ark-local empty', async () => {
    await f.pulumiOk(['destroy', '--yes']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
    await f.pulumiOk(['stack', 'rm', '--yes', STACK]);
  });
});
