/**
 * The GitOps example as a runner runs it: the `run:` steps of examples/gitops/workflow.yml itself, in the
 * workflow's order, in a checkout (a copy of examples/), with the committed Pulumi.production.yaml. Main is
 * deployed (validate, up), a pull request changes the stack config (the preview job's steps: credentials
 * check, validate, `preview --diff --stack production`), the merge deploys it (validate, up). Only what a
 * runner gets from outside is stood in for: the weights download (a synthetic model in `weights/`), the
 * secrets (ark-local keys, the file:// backend) and ark-local's addresses (ARK_* variables).
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal, type EmulatorCredential } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, readTree, repoTempDir, type ExampleRun, requireBuiltPackage } from './cli-harness';
import { loadWorkflow, runStep, stepById, type StepResult, type Workflow, type WorkflowJob } from './workflow-steps';

jest.setTimeout(900_000);

const STACK_CONFIG = 'Pulumi.production.yaml';
/** A small base instead of the example's Qwen2.5-7B: the synthetic 7B weights would be ~15 GB on disk. */
const TEST_BASE_MODEL = 'Qwen2.5-0.5B';

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
 * and the build, done by the test run already; the CLI, on PATH) and the weights download, the one step that
 * needs the internet, whose output (weights/) the test writes before the job runs.
 */
const RUN_HERE = ['access', 'validate', 'preview', 'up'];

async function runJob(jobName: string, extraContext: Record<string, string> = {}): Promise<Record<string, StepResult>> {
  const job = workflow.jobs[jobName]!;
  const results: Record<string, StepResult> = {};
  for (const step of job.steps) {
    if (!step.id || !RUN_HERE.includes(step.id)) continue;
    const result = await runStep(job, step, { workspace: workspace(), baseEnv: runnerEnv(), context: { ...context, ...extraContext }, scratchDir: dataDir });
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

  it('downloads the weights with a pinned huggingface_hub and its hf CLI, before validating', () => {
    for (const job of Object.values(workflow.jobs)) {
      const download = stepById(job, 'download').run!;
      expect(download).toMatch(/pip install --quiet "huggingface_hub==\d+\.\d+\.\d+"/);
      expect(download).toMatch(/hf download "\$HF_MODEL_REPO" --revision "\$\(cat model-revision\)" --local-dir weights/);
      const order = runSteps(job);
      expect(order.indexOf('download')).toBeLessThan(order.indexOf('validate'));
    }
    expect(runSteps(workflow.jobs.preview!).filter((id) => ['access', 'download', 'validate', 'preview'].includes(id))).toEqual(['access', 'download', 'validate', 'preview']);
    expect(runSteps(workflow.jobs.deploy!).filter((id) => ['download', 'validate', 'up'].includes(id))).toEqual(['download', 'validate', 'up']);
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
  it('deploys main: validate, then up --yes --stack production', async () => {
    // What the README asks for before the first run: the stack, the bucket and the model unit exist.
    await run.pulumiOk(['stack', 'init', 'production']);
    const tos = new TosClient({ accessKeyId: credential.accessKeyId, accessKeySecret: credential.secretAccessKey, region: ark.region, endpoint: ark.tosEndpoint, secure: false });
    await tos.createBucket({ bucket: 'my-models' });
    const unit = await ark.admin.createModelUnit({ name: 'support-bot' });
    // The reviewed file, with the two values that must name ark-local's things: its model unit, and a base
    // small enough for a synthetic model on this disk.
    editStackConfig((text) => setConfigLine(setConfigLine(text, 'modelUnitId', unit.Id), 'baseModel', TEST_BASE_MODEL));
    await writeSyntheticModel(path.join(run.dir, 'weights'), { base: TEST_BASE_MODEL, fill: 'sparse' });

    const steps = await runJob('deploy');
    expect(steps.validate!.output).toMatch(/valid/i);
    expect(steps.up!.output).toMatch(/\+ 4 created/);
    const state = await ark.admin.state();
    expect(state.endpoints.map((e) => [e.Name, e.Status, e.RateLimit?.Rpm])).toEqual([['support-bot', 'Running', 600]]);
    // A custom model's name carries a digest suffix, so a replacement can exist next to the one it replaces.
    expect(state.customModels.map((m) => m.Name)).toEqual([expect.stringMatching(/^support-bot-[0-9a-f]+$/)]);
  });

  it('previews a pull request that raises the rate limit as one in-place update', async () => {
    editStackConfig((text) => setConfigLine(text, 'rpm', '"900"'));
    const steps = await runJob('preview');
    expect(steps.access!.outputs.available).toBe('true');
    const preview = fs.readFileSync(path.join(run.dir, 'preview.txt'), 'utf8');
    expect(preview).toBe(steps.preview!.output); // the file the comment step posts
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

  it('is cleaned up by destroy', async () => {
    await run.pulumiOk(['destroy', '--yes', '--stack', 'production'], { env: { VOLCENGINE_ACCESS_KEY: credential.accessKeyId, VOLCENGINE_SECRET_KEY: credential.secretAccessKey } });
    const state = await ark.admin.state();
    expect([state.endpoints.length, state.customModels.length]).toEqual([0, 0]);
  });
});
