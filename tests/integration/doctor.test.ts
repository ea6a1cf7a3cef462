import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { main } from '../../provider/cli/main';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { ensurePulumiCli } from '../../scripts/pulumi-workspace';

/**
 * `pulumi-ark doctor` against ark-local: every check passes with the right settings, and each way of getting
 * them wrong (stopped service, wrong secret, wrong region, missing bucket, bucket elsewhere) fails clearly.
 */
jest.setTimeout(60_000);

let ark: ArkLocal;
let work: string;

beforeAll(async () => {
  ark = await startArkLocal();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'doctor-'));
  const s = ark.providerSettings();
  const tos = (region: string) => new TosClient({ accessKeyId: s.accessKeyId, accessKeySecret: s.secretAccessKey, region, endpoint: s.tosEndpoint, secure: false });
  await tos(ark.region).createBucket({ bucket: 'weights' });
  await tos('cn-shanghai').createBucket({ bucket: 'weights-shanghai' });
});
afterAll(async () => {
  await ark?.close();
  await fs.rm(work, { recursive: true, force: true });
});

/** The environment of docs/configuration.md pointing at `target`, plus overrides. */
function envFor(target: ArkLocal, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ARK_ENDPOINT: target.url,
    ARK_TOS_ENDPOINT: target.tosEndpoint,
    ARK_CHAT_BASE_URL: target.chatBaseUrl,
    VOLCENGINE_ACCESS_KEY: target.credential.accessKeyId,
    VOLCENGINE_SECRET_KEY: target.credential.secretAccessKey,
    ...overrides,
  };
}

async function doctor(env: NodeJS.ProcessEnv, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['doctor', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd: work,
  });
  return { code, stdout, stderr };
}

type Check = { id: string; status: string; detail: string; notes?: string[] };
async function doctorJson(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; checks: Record<string, Check> }> {
  const r = await doctor(env, '--json', ...args);
  const parsed = JSON.parse(r.stdout) as { checks: Check[] };
  return { code: r.code, checks: Object.fromEntries(parsed.checks.map((c) => [c.id, c])) };
}

test('passes every check against ark-local, and the wire log holds no credential', async () => {
  const unit = await ark.admin.createModelUnit();
  const wire = path.join(work, 'wire.json');
  const r = await doctor(envFor(ark), '--bucket', 'weights', '--model-unit', unit.Id, '--wire', wire);
  expect(r.stdout).toMatch(/^pulumi-ark doctor: OK \(8 passed, 0 failed, 1 skipped\)/);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('SKIP  stack config read');
  expect(r.stdout).toContain(`Ark ${ark.url} (environment variable ARK_ENDPOINT)`);
  expect(r.stdout).toContain(`Ark would accept an endpoint for foundation model`);
  expect(r.stdout).toContain('weights is in cn-beijing');
  // The reference each base imports against, with the catalogue's confidence and its source.
  expect(r.stdout).toContain('PASS  base model references (UploadModel FoundationModel)');
  expect(r.stdout).toContain('Qwen3-8B -> qwen3-8b/20250429 [C-cli+3P]; ');
  expect(r.stdout).toContain('Qwen2.5-7B -> qwen2-5-7b/20240919 [I]; ');
  expect(r.stdout).toContain('Meta-Llama-3-8B -> llama3-8b/20240418 [I, unverified]');
  expect(r.stdout).toContain('note: Qwen3-8B: qwen3-8b/20250429 [C-cli+3P] F17: ark-cli');

  const text = await fs.readFile(wire, 'utf8');
  expect(text).not.toContain(ark.credential.secretAccessKey);
  expect(text).not.toContain(ark.credential.accessKeyId);
  expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
  const log = JSON.parse(text) as { exchanges: { service: string; operation: string; response?: { status: number; body?: unknown } }[] };
  expect(log.exchanges.map((e) => `${e.service}:${e.operation}`)).toEqual(
    expect.arrayContaining(['ark:ListEndpoints', 'ark:ListCustomModels', 'ark:CreateEndpoint', 'tos:ListBuckets', 'tos:HeadBucket']),
  );
  // One ListEndpoints serves both the credentials check and the list check.
  expect(log.exchanges.filter((e) => e.operation === 'ListEndpoints')).toHaveLength(1);
  const list = log.exchanges.find((e) => e.operation === 'ListEndpoints')!;
  expect(list.response).toMatchObject({ status: 200, body: { Result: { Items: [] } } });
  // The dry run created nothing.
  expect((await ark.admin.state()).endpoints).toEqual([]);
});

test('reports what the reader tolerated: unknown statuses and fields (variance mode)', async () => {
  await ark.admin.setVariance(true);
  try {
    const s = ark.providerSettings();
    const { ArkClient } = await import('../../provider/clients/ark/client');
    await new ArkClient({ settings: s }).call('CreateEndpoint', { Name: 'e', ModelReference: { FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' } } });
    const { code, checks } = await doctorJson(envFor(ark));
    expect(code).toBe(0);
    expect(checks['list-endpoints']!.notes).toEqual([
      'statuses pulumi-ark does not know (waited through like transitional ones): Pending',
      'fields pulumi-ark does not know (kept, not used): ArkLocalVarianceField',
      'PaymentType: 1 Token',
    ]);
  } finally {
    await ark.admin.setVariance(false);
  }
});

test('reports the PaymentType ListEndpoints gives each endpoint, also for those on the --model-unit', async () => {
  // Two slots: the doctor's dry run asks for a second endpoint on the unit that already hosts one.
  const unit = await ark.admin.createModelUnit({ slots: 2 });
  const s = ark.providerSettings();
  const { ArkClient } = await import('../../provider/clients/ark/client');
  const { Id } = await new ArkClient({ settings: s }).call('CreateEndpoint', {
    Name: 'on-unit',
    ModelReference: { FoundationModel: { Name: 'qwen3-8b', ModelVersion: '20250429' } },
    ModelUnitId: unit.Id,
  });
  const { code, checks } = await doctorJson(envFor(ark), '--model-unit', unit.Id);
  expect(code).toBe(0);
  // Earlier tests leave endpoints of their own (not on a unit) in this ark-local.
  expect(checks['list-endpoints']!.notes).toContainEqual(expect.stringMatching(/^PaymentType: (\d+ Token, )?1 ModelUnit \(on a model unit\)(, \d+ Token)?$/));
  expect(checks['model-unit']!.notes).toEqual([expect.stringMatching(new RegExp(`^endpoints already on it: ${Id} \\(\\w+, PaymentType ModelUnit\\)$`))]);
});

test('a stopped ark-local: the refused connection names the URL and the setting that chose it', async () => {
  const stopped = await startArkLocal();
  await stopped.close();
  const { code, checks } = await doctorJson(envFor(stopped));
  expect(code).toBe(1);
  expect(checks.credentials).toMatchObject({ status: 'fail' });
  expect(checks.credentials!.detail).toContain(`cannot reach the Ark control plane at ${stopped.url} (set by environment variable ARK_ENDPOINT`);
  expect(checks.credentials!.detail).toContain('ECONNREFUSED');
  expect(checks['list-endpoints']).toMatchObject({ status: 'skip' });
  expect(checks.tos!.detail).toContain(`cannot reach TOS at http://${stopped.tosEndpoint} (set by environment variable ARK_TOS_ENDPOINT`);
});

test('a wrong secret key is named as such, with where the key came from', async () => {
  const { code, checks } = await doctorJson(envFor(ark, { VOLCENGINE_SECRET_KEY: 'not-the-secret' }));
  expect(code).toBe(1);
  expect(checks.credentials!.detail).toMatch(/^the secret key does not belong to access key AKLTar…al; check environment variables VOLCENGINE_ACCESS_KEY \/ VOLCENGINE_SECRET_KEY\. Ark said: .*SignatureDoesNotMatch/);
  expect(checks.tos).toMatchObject({ status: 'fail' });
});

test('a wrong region is named as the likely cause', async () => {
  const { code, checks } = await doctorJson(envFor(ark, { VOLCENGINE_REGION: 'cn-shanghai' }));
  expect(code).toBe(1);
  expect(checks.credentials!.detail).toMatch(/region cn-shanghai \(environment variable VOLCENGINE_REGION\) is not the region .* serves; set ark:region or VOLCENGINE_REGION/);
});

test('a missing bucket and a bucket in another region fail the bucket check', async () => {
  const missing = await doctorJson(envFor(ark), '--bucket', 'no-such-bucket');
  expect(missing.code).toBe(1);
  expect(missing.checks.bucket!.detail).toBe(`no bucket no-such-bucket at http://${ark.tosEndpoint}; create it (or let TosModelDir do so with createBucket: true)`);
  const elsewhere = await doctorJson(envFor(ark), '--bucket', 'weights-shanghai');
  expect(elsewhere.code).toBe(1);
  expect(elsewhere.checks.bucket!.detail).toMatch(/^expected TOS bucket weights-shanghai in Ark's region cn-beijing, found it in cn-shanghai/);
});

test('a model unit that does not exist fails the model-unit check', async () => {
  const { code, checks } = await doctorJson(envFor(ark), '--model-unit', 'mu-20200101000000-zzzzz');
  expect(code).toBe(1);
  expect(checks['model-unit']!.detail).toMatch(/refused an endpoint .* NotFound\.ModelUnit/);
});

test('reads the stack config with the pulumi CLI in a stack directory', async () => {
  const root = await ensurePulumiCli();
  const project = path.join(work, 'project');
  await fs.mkdir(project, { recursive: true });
  await fs.writeFile(path.join(project, 'Pulumi.yaml'), 'name: doctor-test\nruntime: nodejs\n');
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.join(root, 'bin')}:${process.env.PATH}`,
    HOME: work,
    PULUMI_HOME: path.join(work, '.pulumi'),
    PULUMI_BACKEND_URL: `file://${work}`,
    PULUMI_CONFIG_PASSPHRASE: 'doctor',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
  };
  const pulumi = (...args: string[]) => promisify(execFile)(path.join(root, 'bin', 'pulumi'), args, { cwd: project, env });
  await pulumi('stack', 'init', 'dev');
  await pulumi('config', 'set', 'ark:endpoint', ark.url);
  await pulumi('config', 'set', 'ark:tosEndpoint', ark.tosEndpoint);
  await pulumi('config', 'set', '--secret', 'ark:accessKey', ark.credential.accessKeyId);
  await pulumi('config', 'set', '--secret', 'ark:secretKey', ark.credential.secretAccessKey);
  // A deployed CustomModel that names its base's model card (baseModelRef is an input, so it is in the state).
  const stack = 'urn:pulumi:dev::doctor-test::pulumi:pulumi:Stack::doctor-test-dev';
  const deployment = {
    version: 3,
    deployment: {
      manifest: { time: '2026-12-07T00:00:00Z', magic: '', version: '' },
      resources: [
        { urn: stack, custom: false, type: 'pulumi:pulumi:Stack' },
        {
          urn: 'urn:pulumi:dev::doctor-test::pulumi-nodejs:dynamic/ark:CustomModel::sft',
          custom: true,
          id: 'cm-20250101000000-abcde',
          type: 'pulumi-nodejs:dynamic/ark:CustomModel',
          inputs: { baseModel: 'Qwen3-8B', baseModelRef: { id: 'fm-shared-card' } },
          parent: stack,
        },
      ],
    },
  };
  await fs.writeFile(path.join(work, 'deployment.json'), JSON.stringify(deployment));
  await pulumi('stack', 'import', '--file', path.join(work, 'deployment.json'));
  let stdout = '';
  const code = await main(['doctor'], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env, cwd: project });
  expect(stdout).toContain(`PASS  stack config read\n        ${project}: ark:accessKey, ark:secretKey, ark:endpoint, ark:tosEndpoint`);
  expect(stdout).toContain(`Ark ${ark.url} (stack config ark:endpoint)`);
  expect(stdout).toContain('credentials from stack config ark:accessKey / ark:secretKey');
  expect(stdout).not.toContain(ark.credential.secretAccessKey);
  expect(stdout).toContain("note: stack CustomModel sft: baseModelRef fm-shared-card instead of the catalogue's qwen3-8b/20250429 for Qwen3-8B");
  expect(code).toBe(0);
});

test('prints the CreateEndpointRolling body a rolling model update would send, without calling Ark', async () => {
  const r = await doctor({ PATH: process.env.PATH }, '--rolling-request', 'ep-20250101000000-abcde', '--custom-model', 'cm-20250102000000-fghij');
  expect(r.code).toBe(0);
  // No RollingStrategy: the server's defaults (+2% of traffic a minute) apply, as in the live record.
  expect(JSON.parse(r.stdout)).toEqual({ EndpointId: 'ep-20250101000000-abcde', ModelReference: { CustomModelId: 'cm-20250102000000-fghij' } });
});

test.each([
  [['--custom-model', 'cm-20250102000000-fghij'], /--custom-model only goes with --rolling-request/],
  [['--rolling-request', 'ep-20250101000000-abcde'], /--rolling-request needs --custom-model/],
  [['--rolling-request', 'my-endpoint', '--custom-model', 'cm-20250102000000-fghij'], /expected an endpoint id/],
  [['--prefix', 'p'], /--prefix only goes with --upload-model-request/],
  [['--upload-model-request', '.'], /needs --bucket/],
  [['--base-ref', 'fm-card'], /--base-ref only goes with --upload-model-request/],
  [['--upload-model-request', '.', '--bucket', 'b', '--prefix', 'p', '--name', 'n', '--base-ref', 'qwen3-8b'], /--base-ref: expected NAME\/VERSION/],
  [['--upload-model-request', '.', '--bucket', 'b', '--prefix', 'p', '--name', 'n', '--base-ref', 'fm-a b'], /--base-ref: fm-a b is not a model card id/],
  [['--frobnicate'], /unknown option --frobnicate/],
])('usage error %j exits 2', async (args, pattern) => {
  const r = await doctor(envFor(ark), ...args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
});

test('prints the UploadModel body with the base reference a CustomModel names (--base-ref), without calling Ark', async () => {
  const dir = path.join(work, 'qwen3-model');
  await writeSyntheticModel(dir, { base: 'Qwen3-8B' });
  const common = ['--upload-model-request', dir, '--bucket', 'weights', '--prefix', 'sft/', '--name', 'sft', '--content-digest', 'sha256:abc'];
  const catalogue = await doctor({ PATH: process.env.PATH }, ...common);
  expect(catalogue.code).toBe(0);
  expect(JSON.parse(catalogue.stdout).FoundationModel).toEqual({ Name: 'qwen3-8b', ModelVersion: '20250429' });
  const card = await doctor({ PATH: process.env.PATH }, ...common, '--base-ref', 'fm-shared-card');
  expect(JSON.parse(card.stdout).FoundationModel).toEqual({ Id: 'fm-shared-card' });
  expect(JSON.parse(card.stdout).Name).not.toBe(JSON.parse(catalogue.stdout).Name);
  const pair = await doctor({ PATH: process.env.PATH }, ...common, '--base-ref', 'qwen3-8b/20250601');
  expect(JSON.parse(pair.stdout).FoundationModel).toEqual({ Name: 'qwen3-8b', ModelVersion: '20250601' });
});
