import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, seedSparseModel, type ArkLocal } from '../../emulator';
import { main } from '../../provider/cli/main';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { rawTos, tempDir } from './sync-helpers';

/**
 * `pulumi-ark validate` on weights that are not on this machine: a tos:// prefix and an hf:// revision, read
 * through ranged requests with the environment's settings, as a CI step before `pulumi preview` can run it.
 */
describe('pulumi-ark validate tos:// and hf://', () => {
  let ark: ArkLocal;
  let work: string;

  beforeAll(async () => {
    ark = await startArkLocal({ quiet: true });
    work = await tempDir('validate-remote');
    const model = path.join(work, 'model');
    await writeSyntheticModel(model, { base: 'Qwen2.5-0.5B', fill: 'sparse', shards: 2 });
    await rawTos(ark).createBucket({ bucket: 'ml-artifacts' });
    await seedSparseModel(ark.admin, model, 'ml-artifacts', 'runs/7/');
    await ark.admin.publishHubCommit('acme/sft', { directory: model });
    await ark.admin.setHubRepoAccess('acme/sft', { private: true });
  });
  afterAll(async () => {
    await ark.close();
    await fs.rm(work, { recursive: true, force: true });
  });

  const env = (overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
    ARK_ENDPOINT: ark.url,
    ARK_TOS_ENDPOINT: ark.tosEndpoint,
    ARK_CHAT_BASE_URL: ark.chatBaseUrl,
    VOLCENGINE_ACCESS_KEY: ark.credential.accessKeyId,
    VOLCENGINE_SECRET_KEY: ark.credential.secretAccessKey,
    HF_ENDPOINT: ark.hubUrl,
    HF_TOKEN: ark.hubToken,
    ...overrides,
  });

  async function validate(processEnv: NodeJS.ProcessEnv, ...args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(['validate', ...args], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: processEnv });
    return { code, stdout, stderr };
  }

  it('validates a TOS prefix and prints the version a TosModelDir would pin', async () => {
    const out = await validate(env(), 'tos://ml-artifacts/runs/7/', '--base', 'Qwen2.5-0.5B');
    expect(out).toEqual({ code: 0, stdout: expect.stringMatching(/^OK tos:\/\/ml-artifacts\/runs\/7\/: valid for Ark[\s\S]*version sha256:[0-9a-f]{64}\n$/), stderr: '' });
  });

  it('validates a private hub revision with HF_TOKEN, and says what to set without it', async () => {
    const out = await validate(env(), 'hf://acme/sft@main', '--base', 'Qwen2.5-0.5B', '--json');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, source: expect.stringMatching(/^hf:\/\/acme\/sft@[0-9a-f]{40}\/$/), version: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const anonymous = await validate(env({ HF_TOKEN: undefined }), 'hf://acme/sft');
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/HF_TOKEN/);
  });

  it('refuses a malformed source as a usage error and a wrong base as invalid', async () => {
    expect((await validate(env(), 'hf://no-owner')).code).toBe(2);
    const wrong = await validate(env(), 'tos://ml-artifacts/runs/7/', '--base', 'Qwen3-8B');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^INVALID tos:\/\/ml-artifacts\/runs\/7\/: not importable by Ark/);
  });
});
