/**
 * The GitOps example as a runner runs it: the `run:` steps of examples/gitops/workflow.yml itself, in the
 * workflow's order, in a checkout (a copy of examples/), with the committed Pulumi.production.yaml, whose
 * `ark-gitops:weights` names a training run's output in TOS. Main is deployed (up), a pull request points the
 * weights at the next run (the preview job's steps: credentials check, `preview --diff --stack production`),
 * the merge deploys it, then a pull request raises the rate limit and is merged. Only what a runner gets from
 * outside is stood in for: the training job's output (a Qwen3-8B-sized synthetic model, 16 GB sparse, seeded
 * into ark-local's TOS), the secrets (ark-local keys, the file:// backend) and ark-local's addresses (ARK_*).
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal, type EmulatorCredential } from '../../emulator';
import { seedSparseModel } from '../../emulator/seed-model';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, readTree, repoTempDir, type ExampleRun, requireBuiltPackage } from './cli-harness';
import { countTosRequests } from './tos-requests';
import { loadWorkflow, runStep, stepById, type StepResult, type Workflow, type WorkflowJob } from './workflow-steps';

jest.setTimeout(900_000);

const STACK_CONFIG = 'Pulumi.production.yaml';
/** Where the committed stack config says the training job left the weights, and where the next run leaves them. */
const ARTIFACTS = 'ml-artifacts';
const RUN_42 = 'support-bot/runs/42/final/';
const RUN_43 = 'support-bot/runs/43/final/';
/** Requests that carry weight bytes from the client (a runner) into TOS, and the server-side copies. */
const WRITES = ['PutObject', 'UploadPart', 'CopyObject', 'UploadPartCopy'];

let ark: ArkLocal;
let run: ExampleRun;
let dataDir: string;
let workflow: Workflow;
let context: Record<string, string>;
const credential: EmulatorCredential = {
  accessKeyId: `AKLTgitops${randomBytes(6).toString('hex')}`,
  secretAccessKey: `SKgitops${randomBytes(18).toString('hex')}`,
};

beforeAll(async () => {
  requireBuiltPackage();
  // ark-local's data and the synthetic model, apart from the checkout: a runner's checkout never holds weights.
  dataDir = repoTempDir('gitops-cli-data');
  ark = await startArkLocal({ dataDir: path.join(dataDir, 'ark-local'), credentials: [credential], transitions: { mode: 'immediate' } });
  // Credentials are left out of the harness env on purpose: only the workflow's step env may provide them.
  run = await openExample({ example: 'examples/gitops', name: 'gitops-cli', copy: true, ark: { ark, via: 'env' } });
  workflow = loadWorkflow(path.join(run.dir, 'workflow.yml'));
  // ark-local has no read-only policies, so the read-only keys of the previews are the same pair here.
  context = {
    'secrets.VOLCENGINE_ACCESS_KEY': credential.accessKeyId,
    'secrets.VOLCENGINE_SECRET_KEY': credential.secretAccessKey,
    'secrets.VOLCENGINE_READONLY_ACCESS_KEY': credential.accessKeyId,
    'secrets.VOLCENGINE_READONLY_SECRET_KEY': credential.secretAccessKey,
    'secrets.PULUMI_BACKEND_URL': run.env.PULUMI_BACKEND_URL!,
    'secrets.PULUMI_READONLY_BACKEND_URL': run.env.PULUMI_BACKEND_URL!,
    'secrets.PULUMI_CONFIG_PASSPHRASE': run.env.PULUMI_CONFIG_PASSPHRASE!,
    // The weights are in TOS, not on a private hub repository: the secret is unset, as the workflow allows.
    'secrets.HF_TOKEN': '',
    'github.event.pull_request.head.repo.fork': 'false',
  };
});
afterAll(async () => {
  await run?.close();
  await ark?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The workspace root of the copy: `working-directory` in the workflow is relative to the checkout. */
const workspace = () => path.dirname(path.dirname(run.dir));

/** The runner's environment: the harness env minus what the workflow must supply itself. */
function runnerEnv(): Record<string, string> {
  const env = { ...run.env };
  for (const name of ['PULUMI_BACKEND_URL', 'PULUMI_CONFIG_PASSPHRASE']) delete env[name];
  return env;
}

/**
 * The run: steps a runner would run for the deployment, in the workflow's order. Left out: installing (npm ci
 * and the build, done by the test run already; the CLI, on PATH).
 */
const RUN_HERE = ['access', 'preview', 'up'];

async function runJob(jobName: string): Promise<Record<string, StepResult>> {
  const job = workflow.jobs[jobName]!;
  const results: Record<string, StepResult> = {};
  for (const step of job.steps) {
    if (!step.id || !RUN_HERE.includes(step.id)) continue;
    const result = await runStep(job, step, { workspace: workspace(), baseEnv: runnerEnv(), context, scratchDir: dataDir });
    results[step.id] = result;
    if (result.code !== 0) throw new Error(`step ${step.id} of job ${jobName} exited ${result.code}:\n${result.output}`);
  }
  return results;
}

function editStackConfig(edit: (text: string) => string): void {
  const file = path.join(run.dir, STACK_CONFIG);
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
}

function setConfigLine(text: string, key: string, value: string): string {
  const line = new RegExp(`^(  ark-gitops:${key}:) .*$`, 'm');
  if (!line.test(text)) throw new Error(`${STACK_CONFIG} has no ark-gitops:${key}`);
  return text.replace(line, `$1 ${value}`);
}

function runSteps(job: WorkflowJob): string[] {
  return job.steps.map((s) => s.id ?? s.uses?.split('@')[0] ?? s.name ?? '?');
}

/** Files under `dir` whose name ends with `suffix`, recursively. */
function filesEndingWith(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith(suffix));
}

describe('examples/gitops/workflow.yml', () => {
  it('runs on changes to the program, the package and the lockfile', () => {
    for (const trigger of ['pull_request', 'push']) {
      expect(workflow.on[trigger]?.paths).toEqual(expect.arrayContaining(['examples/gitops/**', 'examples/quickstart/**', 'package.json', 'package-lock.json']));
    }
  });

  it('keeps previews and deploys in separate concurrency groups, and never cancels a deploy', () => {
    const { preview, deploy } = workflow.jobs as Record<string, WorkflowJob>;
    expect(preview!.concurrency?.group).toContain('github.event.pull_request.number');
    expect(preview!.concurrency?.group).not.toEqual(deploy!.concurrency?.group);
    expect(deploy!.concurrency?.['cancel-in-progress']).toBe(false);
  });

  it('gives the write credentials only to the deploy job, through a protected environment', () => {
    const text = fs.readFileSync(path.join(run.dir, 'workflow.yml'), 'utf8');
    const { preview, deploy } = workflow.jobs as Record<string, WorkflowJob>;
    expect(workflow.env).toBeUndefined();
    expect(deploy!.environment).toBe('production');
    expect(JSON.stringify(preview)).not.toMatch(/secrets\.(VOLCENGINE_(ACCESS|SECRET)_KEY|PULUMI_BACKEND_URL)\b/);
    expect(JSON.stringify(deploy)).toContain('secrets.VOLCENGINE_SECRET_KEY');
    expect(text.match(/secrets\.VOLCENGINE_SECRET_KEY\b/g)).toHaveLength(1);
  });

  it('sets up the Node and Pulumi CLI versions CI tests (scripts/node-runtime.sh, scripts/pulumi-cli.sh)', () => {
    const pinned = (script: string, pattern: RegExp) => pattern.exec(fs.readFileSync(path.join(REPO_ROOT, 'scripts', script), 'utf8'))?.[1];
    const node = pinned('node-runtime.sh', /^\s*24\) version="(\d+\.\d+\.\d+)"/m);
    const cli = pinned('pulumi-cli.sh', /^PULUMI_VERSION="(\d+\.\d+\.\d+)"/m);
    for (const job of Object.values(workflow.jobs)) {
      const withOf = (action: string) => job.steps.find((step) => step.uses?.startsWith(`${action}@`))?.with;
      expect([withOf('actions/setup-node')?.['node-version'], withOf('pulumi/actions')?.['pulumi-version']]).toEqual([node, cli]);
    }
    expect([node, cli]).toEqual([expect.stringMatching(/^24\./), expect.any(String)]);
  });

  it('downloads no weights in either job: the preview and the up read them where the stack config says', () => {
    for (const job of Object.values(workflow.jobs)) {
      const scripts = job.steps.map((step) => step.run ?? '').join('\n');
      expect(scripts).not.toMatch(/hf download|huggingface-cli|pip install|aws s3 cp|tosutil/);
      expect(runSteps(job)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(download|validate)$/)]));
    }
    expect(runSteps(workflow.jobs.preview!).filter((id) => ['access', 'preview'].includes(id))).toEqual(['access', 'preview']);
    expect(runSteps(workflow.jobs.deploy!)).toContain('up');
  });

  it('previews with `pulumi preview --diff --stack production` and applies with `up`, both given HF_TOKEN', () => {
    const preview = stepById(workflow.jobs.preview!, 'preview');
    const up = stepById(workflow.jobs.deploy!, 'up');
    expect(preview.run).toMatch(/^pulumi preview --diff --stack production\b/);
    expect(up.run).toMatch(/^pulumi up --yes --stack production\b/);
    for (const step of [preview, up]) expect(step.env?.HF_TOKEN).toBe('${{ secrets.HF_TOKEN }}');
  });

  it('tells a pull request from a fork why it gets no preview', async () => {
    const job = workflow.jobs.preview!;
    const forkContext = { ...context, 'secrets.VOLCENGINE_READONLY_ACCESS_KEY': '', 'github.event.pull_request.head.repo.fork': 'true' };
    const access = await runStep(job, stepById(job, 'access'), { workspace: workspace(), baseEnv: runnerEnv(), context: forkContext, scratchDir: dataDir });
    expect(access.code).toBe(0);
    expect(access.outputs.available).toBe('false');
    expect(access.output).toMatch(/::notice .*No preview: this pull request comes from a fork, and GitHub gives forks no secrets/);
    expect(access.summary).toMatch(/No preview: this pull request comes from a fork/);
  });
});

describe('the workflow run against ark-local', () => {
  let tos: TosClient;
  let modelDir: string;

  it('deploys main: up copies the weights server-side, and the checkout gets none', async () => {
    // What the README asks for before the first run: the stack, the bucket and the model unit exist. And
    // what the training job left: run 42's output in the artifacts bucket.
    await run.pulumiOk(['stack', 'init', 'production']);
    tos = new TosClient({ accessKeyId: credential.accessKeyId, accessKeySecret: credential.secretAccessKey, region: ark.region, endpoint: ark.tosEndpoint, secure: false });
    await tos.createBucket({ bucket: 'my-models' });
    await ark.admin.createBucket({ name: ARTIFACTS, region: ark.region });
    modelDir = path.join(dataDir, 'run-42');
    await writeSyntheticModel(modelDir, { base: 'Qwen3-8B', fill: 'sparse', shards: 4 });
    const seeded = await seedSparseModel(ark.admin, modelDir, ARTIFACTS, RUN_42);
    expect(seeded.bytes).toBeGreaterThan(15e9); // the example's own base, at its real size
    const unit = await ark.admin.createModelUnit({ name: 'support-bot' });
    // The reviewed file as committed, but for the one value that must name ark-local's thing: its model unit.
    editStackConfig((text) => setConfigLine(text, 'modelUnitId', unit.Id));

    const writes = await countTosRequests(ark, WRITES);
    const steps = await runJob('deploy');
    expect(steps.up!.output).toMatch(/\+ 4 created/);
    const counts = await writes();
    expect({ PutObject: counts.PutObject, UploadPart: counts.UploadPart }).toEqual({ PutObject: 0, UploadPart: 0 });
    expect(counts.CopyObject + counts.UploadPartCopy).toBeGreaterThan(0);
    expect(filesEndingWith(workspace(), '.safetensors')).toEqual([]);

    const state = await ark.admin.state();
    expect(state.endpoints.map((e) => [e.Name, e.Status, e.RateLimit?.Rpm])).toEqual([['support-bot', 'Running', 600]]);
    // A custom model's name carries a digest suffix, so a replacement can exist next to the one it replaces.
    expect(state.customModels.map((m) => m.Name)).toEqual([expect.stringMatching(/^support-bot-[0-9a-f]+$/)]);
    const copied = await tos.listObjectsType2({ bucket: 'my-models', prefix: 'support-bot/', maxKeys: 1000 });
    expect(copied.data.Contents.map((c) => c.Key)).toContain('support-bot/model-00004-of-00004.safetensors');
  });

  it("previews a pull request pointing the weights at the next run as new weights, reading only the model's headers", async () => {
    // Run 43 differs from run 42 in one small file.
    const generation = path.join(modelDir, 'generation_config.json');
    fs.writeFileSync(generation, JSON.stringify({ ...JSON.parse(fs.readFileSync(generation, 'utf8')), temperature: 0.3 }, null, 2));
    await seedSparseModel(ark.admin, modelDir, ARTIFACTS, RUN_43);
    editStackConfig((text) => setConfigLine(text, 'weights', `tos://${ARTIFACTS}/${RUN_43}`));

    const requests = await countTosRequests(ark, ['GetObject', ...WRITES]);
    const steps = await runJob('preview');
    expect(steps.access!.outputs.available).toBe('true');
    const preview = fs.readFileSync(path.join(run.dir, 'preview.txt'), 'utf8');
    expect(preview).toBe(steps.preview!.output); // the file the comment step posts
    expect(preview).toMatch(/~ pulumi-nodejs:dynamic\/ark:TosModelDir: \(update\)/);
    expect(preview).toMatch(/~ source\s*: "tos:\/\/ml-artifacts\/support-bot\/runs\/42\/final\/" => "tos:\/\/ml-artifacts\/support-bot\/runs\/43\/final\/"/);
    expect(preview).toMatch(/\+-pulumi-nodejs:dynamic\/ark:CustomModel: \(replace\)/);
    expect(preview).toMatch(/\+-pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(replace\)/);
    expect(preview).toMatch(/~ 1 to update/);
    expect(preview).toMatch(/\+-2 to replace/);
    // Headers by ranged reads, never the 16 GB: a handful of GETs, and nothing written.
    const counts = await requests();
    expect(counts.GetObject).toBeGreaterThan(0);
    expect(counts.GetObject).toBeLessThan(30);
    expect(counts.PutObject + counts.UploadPart + counts.CopyObject + counts.UploadPartCopy).toBe(0);
    expect((await ark.admin.state()).customModels).toHaveLength(1); // a preview changes nothing
  });

  it('deploys the merge, copying only the object that changed', async () => {
    const before = await ark.admin.state();
    const writes = await countTosRequests(ark, WRITES);
    const steps = await runJob('deploy');
    expect(steps.up!.output).toMatch(/~ 1 updated/);
    expect(steps.up!.output).toMatch(/\+-2 replaced/);
    expect(await writes()).toEqual({ PutObject: 0, UploadPart: 0, CopyObject: 1, UploadPartCopy: 0 });
    const state = await ark.admin.state();
    expect(state.customModels.map((m) => m.Id)).not.toEqual(before.customModels.map((m) => m.Id));
    expect(state.customModels).toHaveLength(1);
    expect(state.endpoints.map((e) => [e.Name, e.Status, e.ModelReference?.CustomModelId])).toEqual([['support-bot', 'Running', state.customModels[0]!.Id]]);
    expect(filesEndingWith(workspace(), '.safetensors')).toEqual([]);
  });

  it('previews a pull request that raises the rate limit as one in-place update', async () => {
    editStackConfig((text) => setConfigLine(text, 'rpm', '"900"'));
    const steps = await runJob('preview');
    const preview = fs.readFileSync(path.join(run.dir, 'preview.txt'), 'utf8');
    expect(preview).toBe(steps.preview!.output);
    expect(preview).toMatch(/~ pulumi-nodejs:dynamic\/ark:ModelUnitEndpoint: \(update\)/);
    expect(preview).toMatch(/~ rateLimit\s*: \{\s*~ rpm: 600 => 900/);
    expect(preview).toMatch(/~ 1 to update/);
    expect((await ark.admin.state()).endpoints[0]?.RateLimit?.Rpm).toBe(600); // a preview changes nothing
  });

  it("deploys the merge, and kept the credentials out of the state and the CLI's logs", async () => {
    const steps = await runJob('deploy');
    expect(steps.up!.output).toMatch(/~ 1 updated/);
    expect((await ark.admin.state()).endpoints.map((e) => [e.Status, e.RateLimit?.Rpm])).toEqual([['Running', 900]]);

    const stored = readTree(path.join(run.stateDir, 'backend')) + fs.readFileSync(path.join(run.dir, STACK_CONFIG), 'utf8');
    const logs = await run.readLogs();
    for (const text of [stored, logs]) {
      expect(text).toContain('ark-gitops'); // real state and real logs
      expect(text).not.toContain(credential.accessKeyId);
      expect(text).not.toContain(credential.secretAccessKey);
    }
  });

  it('is cleaned up by destroy, which leaves the training runs alone', async () => {
    await run.pulumiOk(['destroy', '--yes', '--stack', 'production'], { env: { VOLCENGINE_ACCESS_KEY: credential.accessKeyId, VOLCENGINE_SECRET_KEY: credential.secretAccessKey } });
    const state = await ark.admin.state();
    expect([state.endpoints.length, state.customModels.length]).toEqual([0, 0]);
    expect((await tos.listObjectsType2({ bucket: 'my-models', maxKeys: 1000 })).data.Contents ?? []).toEqual([]);
    const artifacts = await tos.listObjectsType2({ bucket: ARTIFACTS, maxKeys: 1000 });
    expect(artifacts.data.Contents.length).toBe(2 * fs.readdirSync(modelDir).length);
  });
});
