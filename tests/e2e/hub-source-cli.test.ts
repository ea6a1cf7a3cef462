/**
 * Weights from a Hugging Face–compatible hub (`hf://owner/name@revision`), deployed by the real `pulumi` binary
 * against ark-local's hub and TOS, the way users run the two kinds of program:
 *
 * - examples/quickstart (TypeScript, the dynamic provider) from a private repo, the hub endpoint and token in
 *   stack config (the token a secret): created from the hub, a no-op preview, a new commit planned as an update
 *   and a replace chain, a stream killed with the CLI's process group and resumed per file by the next `up`,
 *   the token in neither state nor logs, destroy leaving nothing;
 * - examples/python (the native plugin) from a public repo, the hub from `HF_ENDPOINT`: a version pinned at
 *   review refuses a branch that moved since, deploying nothing; unpinned, the new commit deploys.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TosClient } from '@volcengine/tos-sdk';
import type { ArkLocal } from '../../emulator';
import { storedInLfs } from '../../emulator/hub/content';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { META_SOURCE } from '../../provider/sources/hub-transfer';
import { DEFAULT_PART_SIZE } from '../../provider/sync/engine';
import { countTosRequests } from '../integration/sync-helpers';
import { inventory } from './ark-inventory';
import { PROVIDER_EXIT_BOUND_MS, providerProcesses } from './ci-cancel';
import { readTree, repoTempDir, requireBuiltPackage } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { startPluginStack, type PluginStack } from './plugin-harness';
import { sleep, until } from './poll';
import { killQuietly, processesOfRun } from './processes';

jest.setTimeout(900_000);

const REPO = 'acme/support-bot';
const WEIGHTS = `hf://${REPO}@main`;
const BUCKET = 'models';
const SHARDS = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
/** The small change of the second commit: new sampling defaults, as a fine-tuner publishes them. */
const GENERATION_CONFIG = '{"eos_token_id": 151643, "temperature": 0.3}\n';

/** The published model (first commit), and the same model with one data byte of each shard changed. */
let models: string;
let modelDir: string;
let retrainedDir: string;

beforeAll(async () => {
  requireBuiltPackage();
  models = repoTempDir('hub-source-models');
  modelDir = path.join(models, 'support-bot');
  retrainedDir = path.join(models, 'support-bot-retrained');
  for (const dir of [modelDir, retrainedDir]) await writeSyntheticModel(dir, { base: 'Qwen2.5-0.5B', variant: 'w4a8', fill: 'sparse', shards: 2 });
  // Same size, same header (so the same validation), one byte of tensor data different: new LFS content, which
  // the hub serves and the provider must stream again, still costing no disk (one block of a sparse file).
  for (const shard of SHARDS) {
    const file = path.join(retrainedDir, shard);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([1]), 0, 1, fs.statSync(file).size - 1);
    fs.closeSync(fd);
  }
});
afterAll(() => {
  if (models) fs.rmSync(models, { recursive: true, force: true });
});

/** The hub's identity of a published file, as the provider records it: LFS sha256, else the git blob id. */
async function hubIdentity(file: string): Promise<string> {
  const size = fs.statSync(file).size;
  const lfs = storedInLfs(path.basename(file), size);
  const hash = lfs ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return `${lfs ? 'sha256' : 'git'}:${hash.digest('hex')}`;
}

async function sourceMeta(tos: TosClient, key: string): Promise<string | undefined> {
  return (await tos.headObject({ bucket: BUCKET, key })).data[`x-tos-meta-${META_SOURCE}`] as string | undefined;
}

async function openUploads(tos: TosClient, prefix?: string): Promise<string[]> {
  // No `prefix: undefined`: the TOS SDK signs the undefined parameter but leaves it out of the URL.
  const { data } = await tos.listMultipartUploads({ bucket: BUCKET, ...(prefix !== undefined && { prefix }) });
  return (data.Uploads ?? []).map((u) => u.Key);
}

/** The commit `main` of the repo points to now. */
async function headCommit(ark: ArkLocal): Promise<string> {
  return (await ark.admin.listHubRepos()).find((r) => r.Repo === REPO)!.Branches.main!;
}

const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

describe('examples/quickstart from a private hub repo (TypeScript, dynamic provider, hub settings in stack config)', () => {
  const STACK = 'e2e-hub-source';
  const PREFIX = `quickstart/${STACK}/`;
  let f: ExampleStack;
  let tos: TosClient;
  let first: string;
  let firstModel: string;

  beforeAll(async () => {
    f = await startExampleStack({ example: 'examples/quickstart', name: 'hub-source', stack: STACK, modelDir });
    tos = f.tos();
  });
  afterAll(async () => {
    await f?.close();
  });

  /** The deployed TosModelDir's outputs, from the state. */
  async function weightsState(): Promise<{ sourceVersion?: string; sourceKind?: string }> {
    const exported = JSON.parse((await f.pulumiOk(['stack', 'export'])).stdout) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
    const weights = exported.deployment.resources.find((r) => r.type.endsWith('ark:TosModelDir'));
    return (weights?.outputs ?? {}) as { sourceVersion?: string; sourceKind?: string };
  }

  it('up streams the private repo into TOS: three resources, each object carrying the hub identity of its content', async () => {
    first = (await f.ark.admin.publishHubCommit(REPO, { directory: modelDir })).Commit;
    await f.ark.admin.setHubRepoAccess(REPO, { private: true });
    await f.configure({ weights: WEIGHTS });
    await f.pulumiOk(['config', 'set', 'ark:hubEndpoint', f.ark.hubUrl]);
    // On stdin, as a user pipes a secret: on the command line it would be in the CLI's own log of the command.
    await f.run.pulumiOk(['config', 'set', '--secret', 'ark:hubToken'], { input: f.ark.hubToken });
    expect(fs.readFileSync(path.join(f.run.dir, `Pulumi.${STACK}.yaml`), 'utf8')).toMatch(/ark:hubToken:\s+secure: /);

    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+ 4 created/); // the stack and the three resources
    const outputs = await f.outputs();
    firstModel = outputs.customModelId!;
    expect(await inventory(f.ark)).toEqual({ customModels: [firstModel], endpoints: [`${outputs.endpointId} Running`], objects: fs.readdirSync(modelDir).length });
    expect(await weightsState()).toMatchObject({ sourceKind: 'hub', sourceVersion: first });
    for (const name of fs.readdirSync(modelDir)) {
      expect([name, await sourceMeta(tos, `${PREFIX}${name}`)]).toEqual([name, await hubIdentity(path.join(modelDir, name))]);
    }
  });

  it('previews no change while the branch stays', async () => {
    await f.pulumiOk(['preview', '--expect-no-changes']);
  });

  it('plans a new commit on the branch as an update of TosModelDir and a replace of CustomModel and the endpoint', async () => {
    const second = (await f.ark.admin.publishHubCommit(REPO, { files: { 'generation_config.json': GENERATION_CONFIG } })).Commit;
    const { stdout } = await f.pulumiOk(['preview', '--diff']);
    expect(stdout).toMatch(/~ pulumi-nodejs:dynamic\/ark:TosModelDir: \(update\)/);
    expect(stdout).toMatch(new RegExp(`~ sourceVersion\\s*: "${first}" => "${second}"`));
    expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:CustomModel: \(replace\)/);
    expect(stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(replace\)/);
    expect(stdout).toMatch(/~ 1 to update/);
    expect(stdout).toMatch(/\+-2 to replace/);
  });

  it('a stream killed with the CLI process group resumes: no provider survives, the finished shard is not streamed again, no upload left open', async () => {
    // New data in both shards (the small change above stays), so one shard can finish while the other streams.
    const third = (await f.ark.admin.publishHubCommit(REPO, { directory: retrainedDir, files: { 'generation_config.json': GENERATION_CONFIG } })).Commit;
    const retrained = await Promise.all(SHARDS.map((s) => hubIdentity(path.join(retrainedDir, s))));
    const streamed = async () => {
      const metas = await Promise.all(SHARDS.map((s) => sourceMeta(tos, `${PREFIX}${s}`)));
      return SHARDS.filter((_, i) => metas[i] === retrained[i]);
    };
    const home = path.join(f.run.stateDir, 'home');

    // Slow parts hold each shard's stream open for seconds: the kill lands between the two.
    await f.ark.admin.addFault({ service: 'tos', operation: 'UploadPart', kind: 'latency', latencyMs: 3_000 });
    const up = f.run.spawnPulumi(['up', '--yes', '--skip-preview']);
    let exited = false;
    void up.result.then(() => (exited = true));
    let done: string[] = [];
    try {
      await until('one shard streamed and the other under way', async () => {
        if (exited) return true;
        done = await streamed();
        return done.length === 1 && (await openUploads(tos, PREFIX)).length > 0;
      });
      if (exited) throw new Error(`pulumi up ended before the kill:\n${output(await up.result)}`);
      const providersAtKill = providerProcesses(home).length;
      up.signalGroup('SIGKILL');
      expect((await up.result).signal).toBe('SIGKILL');
      const killedAt = Date.now();
      while (providerProcesses(home).length > 0 && Date.now() - killedAt < PROVIDER_EXIT_BOUND_MS) await sleep(100);
      expect({ providersAtKill: providersAtKill > 0, survivors: providerProcesses(home) }).toEqual({ providersAtKill: true, survivors: [] });
    } finally {
      // Whatever of that run is left must not write on behind the next one.
      for (const pid of processesOfRun(home)) killQuietly(pid);
    }
    // Nothing finished after the kill: the stopped provider completed no upload.
    expect(await streamed()).toEqual(done);
    expect(await openUploads(tos, PREFIX)).toHaveLength(1);

    await f.ark.admin.clearFaults();
    f.run.removeLocks();
    const writes = await countTosRequests(f.ark, ['PutObject', 'UploadPart', 'CreateMultipartUpload', 'AbortMultipartUpload']);
    const resumed = await f.pulumiOk(['up', '--yes', '--skip-preview']);
    expect(resumed.stdout).toMatch(/\+-2 replaced/);
    const left = SHARDS.filter((s) => !done.includes(s));
    const parts = left.reduce((n, s) => n + Math.ceil(fs.statSync(path.join(retrainedDir, s)).size / DEFAULT_PART_SIZE), 0);
    // The small files were written before the shards; the finished shard holds its identity: neither is sent.
    expect(await writes()).toEqual({ PutObject: 0, UploadPart: parts, CreateMultipartUpload: left.length, AbortMultipartUpload: 1 });
    expect(await streamed()).toEqual(SHARDS);
    expect(await openUploads(tos, PREFIX)).toEqual([]);
    expect(await weightsState()).toMatchObject({ sourceVersion: third });
    const outputs = await f.outputs();
    expect(outputs.customModelId).not.toBe(firstModel);
    expect(await inventory(f.ark)).toEqual({ customModels: [outputs.customModelId], endpoints: [`${outputs.endpointId} Running`], objects: fs.readdirSync(modelDir).length });
    await f.pulumiOk(['preview', '--expect-no-changes']);
  });

  it("keeps the hub token out of the state, the stack config file and the CLI's logs", async () => {
    const stored = readTree(path.join(f.run.stateDir, 'backend')) + fs.readFileSync(path.join(f.run.dir, `Pulumi.${STACK}.yaml`), 'utf8');
    const logs = await f.run.readLogs();
    for (const text of [stored, logs]) {
      expect(text).toContain(WEIGHTS); // real state and real logs
      expect(text).not.toContain(f.ark.hubToken);
    }
  });

  it('destroys to nothing: no object, model, endpoint or open upload', async () => {
    await f.pulumiOk(['destroy', '--yes']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
    expect(await openUploads(tos)).toEqual([]);
  });
});

describe('examples/python from a public hub repo (native plugin, the hub from HF_ENDPOINT)', () => {
  let f: PluginStack;
  let first: string;
  let firstModel: string;
  // A W4A8 checkpoint: the Python example takes its quantization from config (its README says why).
  const config = { weights: WEIGHTS, quantization: 'W4A8' };

  beforeAll(async () => {
    f = await startPluginStack({ example: 'python', name: 'hub-source-python', env: (ark) => ({ HF_ENDPOINT: ark.hubUrl }) });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('up creates the pipeline from the hub revision and reports the commit it deployed', async () => {
    first = (await f.ark.admin.publishHubCommit(REPO, { directory: modelDir })).Commit;
    await f.configure(config);
    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+ 4 created/);
    const outputs = await f.outputs();
    firstModel = outputs.customModelId!;
    expect(outputs).toMatchObject({ sourceVersion: first, weightsLocation: `tos://${BUCKET}/python/${f.stack}/` });
    expect(await inventory(f.ark)).toEqual({ customModels: [firstModel], endpoints: [`${outputs.endpointId} Running`], objects: fs.readdirSync(modelDir).length });
  });

  it('a version pinned at review refuses a branch that moved since, deploying nothing', async () => {
    await f.configure({ ...config, weightsVersion: first });
    await f.pulumiOk(['preview', '--expect-no-changes']);
    const before = await inventory(f.ark);
    const moved = (await f.ark.admin.publishHubCommit(REPO, { files: { 'generation_config.json': GENERATION_CONFIG } })).Commit;
    expect(await headCommit(f.ark)).toBe(moved);

    const up = await f.pulumi(['up', '--yes']);
    expect(up.code).not.toBe(0);
    expect(output(up)).toMatch(new RegExp(`property sourceVersion value \\{${first}\\} has a problem: expected hf://${REPO}@\\S+ at version ${first}, found it at ${moved}`));
    expect(await inventory(f.ark)).toEqual(before);
    expect((await f.outputs()).customModelId).toBe(firstModel);
  });

  it('unpinned, up deploys the new commit: a new custom model and endpoint', async () => {
    await f.configure(config);
    const up = await f.pulumiOk(['up', '--yes']);
    expect(up.stdout).toMatch(/\+-2 replaced/);
    const outputs = await f.outputs();
    expect(outputs.sourceVersion).toBe(await headCommit(f.ark));
    expect(outputs.sourceVersion).not.toBe(first);
    expect(outputs.customModelId).not.toBe(firstModel);
    expect(await inventory(f.ark)).toEqual({ customModels: [outputs.customModelId], endpoints: [`${outputs.endpointId} Running`], objects: fs.readdirSync(modelDir).length });
  });

  it('destroy leaves ark-local empty', async () => {
    await f.pulumiOk(['destroy', '--yes']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });
});
