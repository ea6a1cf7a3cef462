/**
 * The story both plugin examples (examples/yaml, examples/python) must tell through the real `pulumi` binary,
 * as one sequence on one stack (every engine start costs seconds): check failures stop at preview with one
 * line per problem, up, a no-op preview, the plan for a rate-limit change, new weights taken on the model unit's
 * one endpoint slot (delete first, the downtime warned of and logged), drift found by
 * refresh and repaired by up, `pulumi import` of resources made through the Ark API, credentials absent from
 * state, destroy leaving ark-local empty.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArkClient } from '../../provider/clients/ark/client';
import { findCustomModel } from '../../provider/clients/ark/finders';
import { resolveBaseModel } from '../../provider/model/catalogue';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { readTree } from './cli-harness';
import { BASE_MODEL } from './example-stack';
import { startPluginStack, type PluginStack } from './plugin-harness';

export function describePluginExample(example: 'yaml' | 'python'): void {
  const weightsPrefix = `${example}/e2e-plugin-${example}/`;
  let f: PluginStack;
  beforeAll(async () => {
    f = await startPluginStack({ example, name: `plugin-${example}` });
  });
  afterAll(async () => {
    await f?.close();
  });

  const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
  const arkClient = () => new ArkClient({ settings: f.ark.providerSettings() });

  it('refuses a LoRA adapter directory and an unknown base model at preview: one line per problem, no stack trace', async () => {
    const loraDir = path.join(f.run.stateDir, 'lora');
    await writeSyntheticModel(loraDir, { base: BASE_MODEL, variant: 'lora-adapter', fill: 'sparse' });
    for (const [overrides, problem] of [
      [{ modelDir: loraDir }, /TosModelDir resource 'weights': property source .* has a problem: .*a LORA adapter .*Ark needs merged full weights/],
      [{ baseModel: 'Qwen9-1T' }, /TosModelDir resource 'weights': property baseModel value \{Qwen9-1T\} has a problem: expected a supported base model/],
    ] as const) {
      await f.configure(overrides);
      const result = await f.pulumi(['preview']);
      expect(result.code).not.toBe(0);
      const text = output(result);
      const problems = text.split('\n').filter((line) => problem.test(line));
      // Once on the resource row, once under Diagnostics: each a single line.
      expect(problems.length).toBeGreaterThanOrEqual(1);
      expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    }
    await f.configure({});
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });

  it('up creates one custom model and one Running endpoint; a second preview changes nothing', async () => {
    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+ 4 created/);
    const state = await inventory(f.ark);
    expect(state.customModels).toHaveLength(1);
    expect(state.endpoints).toEqual([expect.stringMatching(/^ep-\S+ Running$/)]);
    // Progress lines are attributed to the resource, not printed as stderr of the stack.
    expect(up.stdout).toMatch(/ark:index:TosModelDir\s+weights\s+creating \(\d+s\) upload tos:\/\/models\//);
    expect(up.stdout).toMatch(/ark:index:ModelUnitEndpoint\s+chat\s+creating \(\d+s\) endpoint "\S+": created ep-\S+ on model unit /);
    expect(up.stdout).toMatch(/ark:index:ModelUnitEndpoint\s+chat\s+created \([\d.]+s\) endpoint ep-\S+: Running on model unit \S+ at /);
    expect(output(up)).not.toMatch(/\[ark /);

    await f.pulumiOk(['preview', '--expect-no-changes']);
  });

  it("keeps the credentials out of the state, the stack config file and the CLI's logs", async () => {
    const stored = readTree(path.join(f.run.stateDir, 'backend')) + fs.readFileSync(path.join(f.run.dir, `Pulumi.${f.stack}.yaml`), 'utf8');
    const logs = await f.run.readLogs();
    for (const text of [stored, logs]) {
      expect(text).toContain('ark:index:ModelUnitEndpoint'); // real state and real logs
      expect(text).not.toContain(f.credential.secretAccessKey);
      expect(text).not.toContain(f.credential.accessKeyId);
    }
  });

  it('plans a rate-limit change as an in-place update naming rateLimit', async () => {
    await f.configure({ rpm: '900' });
    const preview = await f.pulumiOk(['preview', '--diff']);
    expect(preview.stdout).toMatch(/~ ark:index:ModelUnitEndpoint: \(update\)/);
    expect(preview.stdout).toMatch(/~ rateLimit\s*: \{\s*~ rpm: 600 => 900/);
    expect(preview.stdout).not.toMatch(/\(replace\)/);
    await f.configure({});
  });

  it('takes new weights on its one-endpoint model unit: the replace chain, the endpoint deleted first with the downtime warned of', async () => {
    const [before] = (await inventory(f.ark)).endpoints;
    const oldId = before!.split(' ')[0]!;
    f.newWeights(0.3);
    const preview = await f.pulumiOk(['preview']);
    expect(preview.stdout).toMatch(/~\s+ark:index:TosModelDir\s+weights\s+update\s+\[diff: ~source\]/);
    expect(preview.stdout).toMatch(/\+-\s+ark:index:CustomModel\s+model\s+replace\s+\[diff: ~contentDigest/);
    expect(preview.stdout).toMatch(/\+-\s+ark:index:ModelUnitEndpoint\s+chat\s+replace\s+\[diff: ~customModelId\]/);
    expect(output(preview)).toMatch(new RegExp(`endpoint ${oldId} will be replaced by deleting it first: it is down from its delete until the new endpoint is Running`));

    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+-2 replaced/);
    const after = await inventory(f.ark);
    expect(after.customModels).toHaveLength(1);
    expect(after.endpoints).toEqual([expect.stringMatching(/^ep-\S+ Running$/)]);
    const newId = after.endpoints[0]!.split(' ')[0]!;
    expect(newId).not.toBe(oldId);
    expect(output(up)).toMatch(new RegExp(`endpoint ${oldId}: stopping before delete: down from \\d\\d:\\d\\d:\\d\\d UTC`));
    expect(output(up)).toMatch(new RegExp(`endpoint ${newId}: Running on model unit ${f.modelUnitId} at \\d\\d:\\d\\d:\\d\\d UTC, serving`));
    await f.pulumiOk(['preview', '--expect-no-changes']);
  });

  it('refresh finds an endpoint stopped out of band; up starts it again', async () => {
    const [endpoint] = (await inventory(f.ark)).endpoints;
    const id = endpoint!.split(' ')[0]!;
    await arkClient().call('StopEndpoint', { Id: id });
    const refresh = await f.pulumiOk(['refresh', '--yes']);
    expect(refresh.stdout).toMatch(/~\s+ark:index:ModelUnitEndpoint\s+chat\s+updated/);
    expect((await inventory(f.ark)).endpoints).toEqual([`${id} Stopped`]);
    await f.pulumiOk(['up', '--yes']);
    expect((await inventory(f.ark)).endpoints).toEqual([`${id} Running`]);
    await f.pulumiOk(['preview', '--expect-no-changes']);
  });

  it('imports a custom model and an endpoint made through the Ark API; up with the generated program changes nothing', async () => {
    const client = arkClient();
    const base = resolveBaseModel(BASE_MODEL)!;
    const { Id: modelId } = await client.call('UploadModel', {
      Name: 'made-by-hand',
      FoundationModel: base.ark,
      TosLocation: { BucketName: 'models', ObjectKey: weightsPrefix },
    });
    // ark-local's immediate transitions advance on a read: a few reads see it Ready.
    let status = '';
    // findCustomModel: GetCustomModel has no Status by default (F7); the finder reads it from ListCustomModels.
    for (let reads = 0; reads < 10 && status !== 'Ready'; reads++) status = (await findCustomModel(client, modelId))?.Status ?? '';
    expect(status).toBe('Ready');
    // A unit of its own, as the console makes one together with its endpoint (a unit hosts one endpoint).
    const unit = await f.ark.admin.createModelUnit({ name: 'by-hand' });
    const { Id: endpointId } = await client.call('CreateEndpoint', {
      Name: 'by-hand',
      ModelReference: { CustomModelId: modelId },
      ModelUnitId: unit.Id,
      RateLimit: { Rpm: 30, Tpm: 3000 },
    });
    await client.call('GetEndpoint', { Id: endpointId }); // immediate transitions advance on a read

    // A YAML project of its own; credentials and endpoints from the environment fallbacks.
    const project = path.join(f.run.stateDir, 'import');
    fs.mkdirSync(project);
    const header = `name: ark-import\nruntime: yaml\nplugins:\n  providers:\n    - name: ark\n      path: ${path.join(REPO_ROOT, 'bin')}\n`;
    fs.writeFileSync(path.join(project, 'Pulumi.yaml'), header);
    const other = await f.openProject(project);
    await other.pulumiOk(['stack', 'init', 'e2e-imported']);
    const resources = [
      { type: 'ark:index:CustomModel', name: 'model', id: modelId },
      { type: 'ark:index:ModelUnitEndpoint', name: 'chat', id: endpointId },
    ];
    fs.writeFileSync(path.join(project, 'import.json'), JSON.stringify({ resources }));
    const generated = path.join(project, 'generated.yaml');
    const imported = await other.pulumiOk(['import', '--file', path.join(project, 'import.json'), '--out', generated, '--protect=false', '--yes']);
    expect(imported.stdout).toMatch(/= 2 imported/);
    const code = fs.readFileSync(generated, 'utf8');
    expect(code).toContain(`contentDigest: imported:${modelId}`);
    expect(code).toMatch(/rpm: 30/);

    fs.writeFileSync(path.join(project, 'Pulumi.yaml'), header + code);
    await other.pulumiOk(['preview', '--expect-no-changes']);
    const up = await other.pulumiOk(['up', '--yes', '--expect-no-changes']);
    expect(up.stdout).toMatch(/Resources:\s+3 unchanged/); // the stack and the two imported resources

    await other.pulumiOk(['destroy', '--yes']);
    const left = await inventory(f.ark);
    expect(left.endpoints.join()).not.toContain(endpointId);
    expect(left.customModels).not.toContain(modelId);
  });

  if (example === 'yaml') {
    it('honours customTimeouts: a create that times out keeps its id in state, and the next up resumes it', async () => {
      const customModelId = (await f.pulumiOk(['stack', 'output', 'customModelId'])).stdout.trim();
      const unit = await f.ark.admin.createModelUnit({ name: 'partial' });
      const project = path.join(f.run.stateDir, 'partial');
      fs.mkdirSync(project);
      fs.writeFileSync(
        path.join(project, 'Pulumi.yaml'),
        [
          'name: ark-partial',
          'runtime: yaml',
          `plugins: { providers: [{ name: ark, path: ${path.join(REPO_ROOT, 'bin')} }] }`,
          'resources:',
          '  slow:',
          '    type: ark:index:ModelUnitEndpoint',
          `    properties: { name: slow, customModelId: ${customModelId}, modelUnitId: ${unit.Id} }`,
          '    options: { customTimeouts: { create: 2s } }',
          '',
        ].join('\n'),
      );
      const other = await f.openProject(project);
      await other.pulumiOk(['stack', 'init', 'e2e-partial']);
      await f.ark.admin.setTransitions({ mode: 'after-seconds', seconds: 600 });
      try {
        const failed = await other.pulumi(['up', '--yes']);
        expect(failed.code).not.toBe(0);
        // The engine's 2 s, not the resource's default of 1800 s.
        expect(failed.stdout).toMatch(/timed out after [\d.]+s waiting for endpoint ep-\S+ to become Running: .*the limit was 2s/);
        const id = /waiting for endpoint (ep-[a-z0-9-]+) to become Running/.exec(failed.stdout)![1];
        const state = (await other.pulumiOk(['stack', 'export'])).stdout;
        expect(state).toContain(`"id": "${id}"`);
        await f.ark.admin.setTransitions({ mode: 'immediate' });
        await other.pulumiOk(['up', '--yes']);
        expect((await inventory(f.ark)).endpoints).toContain(`${id} Running`);
        await other.pulumiOk(['destroy', '--yes']);
      } finally {
        await f.ark.admin.setTransitions({ mode: 'immediate' });
      }
    });
  }

  it('destroy leaves ark-local empty', async () => {
    await f.pulumiOk(['destroy', '--yes']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });
}
