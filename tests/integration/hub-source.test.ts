import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { resolveBaseModel } from '../../provider/model/catalogue';
import { IssueLog } from '../../provider/model/report';
import { readSafetensorsHeader } from '../../provider/model/safetensors';
import { syntheticConfig, writeSafetensorsFile } from '../../provider/model/synthetic';
import { HubError, HubSourceChangedError, hubModelFileSource, openHubRange, resolveHubModel, type HubRef, type ResolvedHubModel } from '../../provider/sources/hub';

// The provider's hub source (provider/sources/hub.ts) against ark-local's hub.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const gitOid = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure, but the call succeeded');
}

const TENSORS = [
  { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [64, 32] },
  { name: 'model.norm.weight', dtype: 'BF16', shape: [32] },
];

describe('provider hub source against ark-local', () => {
  let ark: ArkLocal;
  let dir: string;
  let weights: Buffer;
  let config: Buffer;
  const ref = (over: Partial<HubRef> = {}): HubRef => ({ hubUrl: ark.hubUrl, repo: 'acme/qwen-sft', revision: 'main', ...over });

  beforeAll(async () => {
    ark = await startArkLocal({ quiet: true, hubTreePageSize: 2 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hub-source-'));
    config = Buffer.from(JSON.stringify(syntheticConfig(resolveBaseModel('Qwen2.5-7B')!), null, 2));
    await fs.writeFile(path.join(dir, 'config.json'), config);
    await writeSafetensorsFile(path.join(dir, 'model.safetensors'), TENSORS, 'random', 3);
    weights = await fs.readFile(path.join(dir, 'model.safetensors'));
  });
  afterAll(async () => {
    await ark.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await ark.admin.reset();
  });

  it('resolves a revision to its commit and lists the files with their identities', async () => {
    const published = await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir, files: { 'tokenizer_config.json': '{}' } });
    const model = await resolveHubModel(ref(), {});
    expect(model.commit).toBe(published.Commit);
    expect(model.files).toEqual([
      { path: 'config.json', size: config.length, oid: `git:${gitOid(config)}` },
      { path: 'model.safetensors', size: weights.length, oid: `sha256:${sha256(weights)}` },
      { path: 'tokenizer_config.json', size: 2, oid: `git:${gitOid(Buffer.from('{}'))}` },
    ]);
  });

  it('gives the validator a file source: safetensors header and config read through ranges', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const model = await resolveHubModel(ref(), {});
    const source = hubModelFileSource(model, {});
    expect(source.describe()).toBe(`hf://acme/qwen-sft@${model.commit}`);
    expect(await source.list()).toEqual([
      { path: 'config.json', size: config.length },
      { path: 'model.safetensors', size: weights.length },
    ]);
    const log = new IssueLog();
    const header = await readSafetensorsHeader(source, { path: 'model.safetensors', size: weights.length }, log);
    expect(log.errors).toEqual([]);
    expect(header?.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(TENSORS.map((t) => [t.name, t.dtype, t.shape]));
    expect(JSON.parse((await source.read('config.json', 0, 1_000_000)).toString())).toEqual(JSON.parse(config.toString()));
    expect(await source.read('config.json', config.length, 10)).toEqual(Buffer.alloc(0));
  });

  it('streams exact byte ranges of LFS and regular files, pinned to the commit after the branch moves', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const model = await resolveHubModel(ref(), {});
    await ark.admin.publishHubCommit('acme/qwen-sft', { files: { 'config.json': '{"moved":true}', 'model.safetensors': 'other weights' } });

    expect(await drain(await openHubRange(model, 'model.safetensors', 100, 3000, {}))).toEqual(weights.subarray(100, 3000));
    expect(await drain(await openHubRange(model, 'model.safetensors', 0, weights.length, {}))).toEqual(weights);
    expect(await drain(await openHubRange(model, 'config.json', 5, 50, {}))).toEqual(config.subarray(5, 50));
    expect(await drain(await openHubRange(model, 'config.json', 7, 7, {}))).toEqual(Buffer.alloc(0));
    await expect(openHubRange(model, 'config.json', 0, config.length + 1, {})).rejects.toThrow(RangeError);
    await expect(openHubRange(model, 'absent.bin', 0, 1, {})).rejects.toThrow(/found no absent\.bin/);

    // The listing taken at the new head differs.
    const moved = await resolveHubModel(ref(), {});
    expect(moved.commit).not.toBe(model.commit);
    expect(moved.files.find((f) => f.path === 'config.json')!.oid).toBe(`git:${gitOid(Buffer.from('{"moved":true}'))}`);
  });

  it('reads an empty file without a request that an empty file cannot satisfy', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { files: { 'empty.txt': '' } });
    const model = await resolveHubModel(ref(), {});
    expect(model.files).toEqual([{ path: 'empty.txt', size: 0, oid: `git:${gitOid(Buffer.alloc(0))}` }]);
    expect(await drain(await openHubRange(model, 'empty.txt', 0, 0, {}))).toEqual(Buffer.alloc(0));
    expect(await hubModelFileSource(model, {}).read('empty.txt', 0, 10)).toEqual(Buffer.alloc(0));
  });

  it('streams a large range without holding it in memory', async () => {
    const size = 96 * 1024 * 1024;
    const bigDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hub-source-big-'));
    try {
      await fs.writeFile(path.join(bigDir, 'big.safetensors'), '');
      await fs.truncate(path.join(bigDir, 'big.safetensors'), size);
      await ark.admin.publishHubCommit('acme/big', { directory: bigDir });
      const model = await resolveHubModel(ref({ repo: 'acme/big' }), {});
      const before = (await ark.admin.traffic()).hub;
      let received = 0;
      let servedAtFirstChunk: number | undefined;
      for await (const chunk of await openHubRange(model, 'big.safetensors', 1024, size, {})) {
        servedAtFirstChunk ??= (await ark.admin.traffic()).hub - before;
        received += (chunk as Buffer).length;
      }
      expect(received).toBe(size - 1024);
      // Streamed: the first bytes reach the consumer while the hub has sent only what the sockets hold. A client
      // that buffered the range would yield nothing before all ~96 MiB had arrived. (In-process memory figures
      // cannot tell: the hub here shares the heap, and garbage not yet collected counts.)
      expect(servedAtFirstChunk).toBeLessThan(32 * 1024 * 1024);
    } finally {
      await fs.rm(bigDir, { recursive: true, force: true });
    }
  });

  it('fails with HubSourceChangedError naming the file and both identities when the hub serves another file', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const model = await resolveHubModel(ref(), {});
    const listed = (p: string, oid: string): ResolvedHubModel => ({ ...model, files: model.files.map((f) => (f.path === p ? { ...f, oid } : f)) });
    const wrongLfs = `sha256:${'0'.repeat(64)}`;
    const lfs = await rejection(openHubRange(listed('model.safetensors', wrongLfs), 'model.safetensors', 0, 10, {}));
    expect(lfs).toBeInstanceOf(HubSourceChangedError);
    expect(lfs.message).toBe(
      `hf://acme/qwen-sft@${model.commit}: model.safetensors changed on the hub: listed as ${wrongLfs}, served as sha256:${sha256(weights)}; resolve the revision again`,
    );
    const regular = await rejection(openHubRange(listed('config.json', `git:${'1'.repeat(40)}`), 'config.json', 0, 10, {}));
    expect(regular).toBeInstanceOf(HubSourceChangedError);
    expect(regular.message).toContain(`served as git:${gitOid(config)}`);
  });

  it('private repos: a clear 401 without a token or with a wrong one, never printing the token', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    await ark.admin.setHubRepoAccess('acme/qwen-sft', { private: true });

    const anonymous = await rejection(resolveHubModel(ref(), {}));
    expect(anonymous).toBeInstanceOf(HubError);
    expect((anonymous as HubError).status).toBe(401);
    expect(anonymous.message).toMatch(/^hf:\/\/acme\/qwen-sft@main \(hub http:\/\/127\.0\.0\.1:\d+\/_hub\), resolving the revision: 401 .*private or gated and needs a token: set HF_TOKEN or ark:hubToken$/);

    const secret = 'hf_wrong0secret0value0that0must0not0leak';
    const wrong = await rejection(resolveHubModel(ref({ token: secret }), {}));
    expect([(wrong as HubError).status, wrong.message]).toEqual([401, expect.stringContaining('the hub refused the token (401 Invalid credentials in Authorization header); set a valid one in HF_TOKEN or ark:hubToken')]);
    const malformed = await rejection(resolveHubModel(ref({ token: 'not-a-hub-token-secret' }), {}));
    expect(malformed.message).toContain('the hub token (HF_TOKEN or ark:hubToken) must start with hf_');
    for (const [err, token] of [[wrong, secret], [malformed, 'not-a-hub-token-secret']] as const) {
      expect(`${err.message}\n${err.stack}\n${JSON.stringify(err)}\n${String((err as { cause?: unknown }).cause)}`).not.toContain(token);
    }

    const model = await resolveHubModel(ref({ token: ark.hubToken }), {});
    expect(await drain(await openHubRange(model, 'model.safetensors', 0, 16, {}))).toEqual(weights.subarray(0, 16));
    // A resolved model whose token was revoked: the range read fails the same clear way, without the token.
    const revoked = await rejection(openHubRange({ ...model, ref: { ...model.ref, token: secret } }, 'config.json', 0, 4, {}));
    expect([(revoked as HubError).status, revoked.message.includes(secret)]).toEqual([401, false]);
  });

  it('names a missing repo, a missing revision and an unreachable hub in one line', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { files: { 'config.json': '{}' } });
    const revision = await rejection(resolveHubModel(ref({ revision: 'v9' }), {}));
    expect([(revision as HubError).status, revision.message]).toEqual([404, expect.stringMatching(/^hf:\/\/acme\/qwen-sft@v9 .*no such revision \(404 Invalid rev id: v9\)$/)]);
    const repo = await rejection(resolveHubModel(ref({ repo: 'acme/none', token: ark.hubToken }), {}));
    expect([(repo as HubError).status, repo.message]).toEqual([404, expect.stringContaining('no such repo, or the token cannot read it (404 Repository not found)')]);

    const closed = await startArkLocal({ quiet: true });
    const deadUrl = closed.hubUrl;
    await closed.close();
    const network = await rejection(resolveHubModel(ref({ hubUrl: deadUrl, token: ark.hubToken }), {}));
    expect(network).toBeInstanceOf(HubError);
    expect(network.message).toMatch(/cannot reach the hub: ECONNREFUSED$/);
    expect(network.message).not.toContain(ark.hubToken);
    expect(network.message.split('\n')).toHaveLength(1);
  });

  it('a connection dropped mid-download or before the answer fails the read with a HubError', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const model = await resolveHubModel(ref(), {});
    // The first CdnGet is the client's 1-byte probe; the second is the ranged body, cut after 1000 bytes.
    await ark.admin.addFault({ service: 'hub', operation: 'CdnGet', kind: 'truncate-body', bytes: 1000, after: 1, count: 1 });
    const cut = await rejection(drain(await openHubRange(model, 'model.safetensors', 0, weights.length, {})));
    expect(cut).toBeInstanceOf(HubError);
    expect(cut.message).toMatch(/reading model\.safetensors bytes 0-\d+: the download (broke off|ended) after \d+ of \d+ bytes/);

    await ark.admin.addFault({ service: 'hub', operation: 'Resolve', kind: 'drop-connection', count: 1 });
    const dropped = await rejection(openHubRange(model, 'config.json', 0, 4, {}));
    expect(dropped).toBeInstanceOf(HubError);
    expect(dropped.message).toContain('cannot reach the hub');
    // Faults spent: the same reads succeed.
    expect(await drain(await openHubRange(model, 'model.safetensors', 0, weights.length, {}))).toEqual(weights);
  });

  it('an aborted signal ends a read with the signal reason', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const model = await resolveHubModel(ref(), {});
    const controller = new AbortController();
    controller.abort(new Error('engine gone'));
    await expect(openHubRange(model, 'config.json', 0, 4, { signal: controller.signal })).rejects.toThrow('engine gone');
    await expect(resolveHubModel(ref(), { signal: controller.signal })).rejects.toThrow('engine gone');
  });
});
