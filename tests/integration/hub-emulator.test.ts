import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadFile, fileDownloadInfo, HubApiError, listFiles, modelInfo, whoAmI, type ListFileEntry } from '@huggingface/hub';
import { startArkLocal, type ArkLocal } from '../../emulator';

// ark-local's hub seen through @huggingface/hub itself: the calls the provider makes, in the hub's wire format.

const gitOid = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Deterministic bytes, so a range can be compared with the file. */
function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function failure(promise: Promise<unknown>): Promise<HubApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HubApiError) return err;
    throw err;
  }
  throw new Error('expected the hub call to fail, but it succeeded');
}

async function listAll(ark: ArkLocal, repo: string, revision: string, accessToken?: string): Promise<ListFileEntry[]> {
  const entries: ListFileEntry[] = [];
  for await (const e of listFiles({ repo, revision, recursive: true, expand: true, hubUrl: ark.hubUrl, ...(accessToken ? { accessToken } : {}) })) entries.push(e);
  return entries;
}

describe('ark-local hub through @huggingface/hub', () => {
  let ark: ArkLocal;
  let dir: string;
  const weights = pattern(300_000, 7);
  const config = Buffer.from(JSON.stringify({ architectures: ['Qwen2ForCausalLM'] }));

  beforeAll(async () => {
    ark = await startArkLocal({ quiet: true, hubTreePageSize: 2 });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hub-emulator-'));
    await fs.mkdir(path.join(dir, 'sub'));
    await fs.writeFile(path.join(dir, 'config.json'), config);
    await fs.writeFile(path.join(dir, 'model.safetensors'), weights);
    await fs.writeFile(path.join(dir, 'sub', 'notes.txt'), 'hello');
  });
  afterAll(async () => {
    await ark.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => ark.admin.reset());

  it('lists a revision with LFS metadata across pages, and model info names its commit', async () => {
    const published = await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const entries = await listAll(ark, 'acme/qwen-sft', 'main');
    // 4 entries (sub/ is listed as a directory) in pages of 2: the Link header was followed.
    expect(entries.map((e) => [e.type, e.path])).toEqual([
      ['file', 'config.json'],
      ['file', 'model.safetensors'],
      ['directory', 'sub'],
      ['file', 'sub/notes.txt'],
    ]);
    const byPath = Object.fromEntries(entries.map((e) => [e.path, e]));
    expect(byPath['config.json']).toMatchObject({ oid: gitOid(config), size: config.length });
    expect(byPath['config.json']!.lfs).toBeUndefined();
    expect(byPath['model.safetensors']!.lfs).toEqual({ oid: sha256(weights), size: weights.length, pointerSize: expect.any(Number) });
    expect(byPath['model.safetensors']!.lastCommit?.id).toBe(published.Commit);

    const info = await modelInfo({ name: 'acme/qwen-sft', revision: 'main', hubUrl: ark.hubUrl, additionalFields: ['sha'] });
    expect(info.sha).toBe(published.Commit);
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('answers RevisionNotFound and RepoNotFound the way the hub does', async () => {
    await ark.admin.publishHubCommit('acme/m', { files: { 'config.json': '{}' } });
    const badRev = await failure(modelInfo({ name: 'acme/m', revision: 'nope', hubUrl: ark.hubUrl }));
    expect([badRev.statusCode, badRev.message]).toEqual([404, expect.stringContaining('Invalid rev id: nope')]);
    const res = await fetch(`${ark.hubUrl}/api/models/acme/m/revision/nope`);
    expect([res.headers.get('x-error-code'), res.headers.get('x-error-message')]).toEqual(['RevisionNotFound', 'Invalid rev id: nope']);

    // Anonymous: 401 without a code (existence not revealed); signed in: 404 RepoNotFound.
    const anonymous = await fetch(`${ark.hubUrl}/api/models/acme/missing/revision/main`);
    expect([anonymous.status, anonymous.headers.get('x-error-code')]).toEqual([401, null]);
    const signedIn = await fetch(`${ark.hubUrl}/api/models/acme/missing/revision/main`, { headers: { authorization: `Bearer ${ark.hubToken}` } });
    expect([signedIn.status, signedIn.headers.get('x-error-code')]).toEqual([404, 'RepoNotFound']);
    const missingFile = await fetch(`${ark.hubUrl}/acme/m/resolve/main/none.json`);
    expect([missingFile.status, missingFile.headers.get('x-error-code')]).toEqual([404, 'EntryNotFound']);
    expect(await fileDownloadInfo({ repo: 'acme/m', path: 'none.json', hubUrl: ark.hubUrl })).toBeNull();
  });

  it('moves a branch: the old commit stays downloadable, the new listing differs, a cursor keeps its commit', async () => {
    const first = await ark.admin.publishHubCommit('acme/m', { files: { 'config.json': '{"v":1}', 'a.txt': 'a', 'b.txt': 'b' } });
    const firstPage = await fetch(`${ark.hubUrl}/api/models/acme/m/tree/main?recursive=true&expand=false`);
    const next = /<([^>]+)>; rel="next"/.exec(firstPage.headers.get('link') ?? '')?.[1];
    expect(next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_hub\/api\/models\/acme\/m\/tree\/main\?/);

    const second = await ark.admin.publishHubCommit('acme/m', { files: { 'config.json': '{"v":2}' }, delete: ['b.txt'] });
    expect(second.Commit).not.toBe(first.Commit);
    // The second page of the first listing is still the first commit's tree.
    expect(((await (await fetch(next!)).json()) as { path: string }[]).map((e) => e.path)).toEqual(['config.json']);

    expect((await listAll(ark, 'acme/m', 'main')).map((e) => e.path)).toEqual(['a.txt', 'config.json']);
    expect((await listAll(ark, 'acme/m', first.Commit)).map((e) => e.path)).toEqual(['a.txt', 'b.txt', 'config.json']);
    const old = await downloadFile({ repo: 'acme/m', path: 'config.json', revision: first.Commit, hubUrl: ark.hubUrl, xet: false });
    expect(await old!.text()).toBe('{"v":1}');
    const current = await downloadFile({ repo: 'acme/m', path: 'config.json', revision: 'main', hubUrl: ark.hubUrl, xet: false });
    expect(await current!.text()).toBe('{"v":2}');
  });

  it('redirects LFS downloads to a signed CDN link with the identity on the redirect; ranges work on both', async () => {
    const published = await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const resolveUrl = `${ark.hubUrl}/acme/qwen-sft/resolve/main/model.safetensors`;
    const redirect = await fetch(resolveUrl, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('x-linked-etag')).toBe(`"${sha256(weights)}"`);
    expect(redirect.headers.get('x-linked-size')).toBe(String(weights.length));
    expect(redirect.headers.get('x-repo-commit')).toBe(published.Commit);
    expect(redirect.headers.get('location')).toMatch(/\/_hub\/_cdn\/[0-9a-f]{64}\?Expires=\d+&Signature=[0-9a-f]+$/);
    expect([...redirect.headers.keys()].filter((k) => k.startsWith('x-xet'))).toEqual([]);

    const info = await fileDownloadInfo({ repo: 'acme/qwen-sft', path: 'model.safetensors', hubUrl: ark.hubUrl });
    expect(info!.size).toBe(weights.length);
    // After the redirect the client sees the CDN's own ETag, which is not the content sha256 (as on the hub).
    expect(info!.etag).not.toContain(sha256(weights));
    expect(info!.url).toContain('/_hub/_cdn/');

    const blob = await downloadFile({ repo: 'acme/qwen-sft', path: 'model.safetensors', hubUrl: ark.hubUrl, xet: false });
    expect(Buffer.from(await blob!.slice(1000, 70_000).arrayBuffer())).toEqual(weights.subarray(1000, 70_000));
    expect(sha256(Buffer.from(await blob!.arrayBuffer()))).toBe(sha256(weights));

    const ranged = await fetch(resolveUrl, { headers: { range: 'bytes=10-19' } });
    expect([ranged.status, ranged.headers.get('content-range')]).toEqual([206, `bytes 10-19/${weights.length}`]);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(weights.subarray(10, 20));

    const small = await fetch(`${ark.hubUrl}/acme/qwen-sft/resolve/${published.Commit}/config.json`, { headers: { range: 'bytes=2-5' } });
    expect([small.status, small.headers.get('etag'), small.headers.get('x-repo-commit')]).toEqual([206, `"${gitOid(config)}"`, published.Commit]);
    expect(Buffer.from(await small.arrayBuffer())).toEqual(config.subarray(2, 6));
    const head = await fetch(`${ark.hubUrl}/acme/qwen-sft/resolve/main/config.json`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(config.length)]);
  });

  it('refuses an expired or forged CDN link', async () => {
    let now = Date.now();
    const clockArk = await startArkLocal({ quiet: true, hubCdnTtlSeconds: 60, clock: () => now });
    try {
      await clockArk.admin.publishHubCommit('acme/m', { files: { 'w.safetensors': 'x'.repeat(100) } });
      const location = (await fetch(`${clockArk.hubUrl}/acme/m/resolve/main/w.safetensors`, { redirect: 'manual' })).headers.get('location')!;
      // Forged: the first hex digit of the signature changed (to another digit: replacing it with a fixed one
      // would leave one link in sixteen as it was).
      const forged = location.replace(/Signature=(.)/, (_, first: string) => `Signature=${first === '0' ? '1' : '0'}`);
      expect(forged).not.toBe(location);
      expect((await fetch(forged)).status).toBe(403);
      expect((await fetch(location)).status).toBe(200);
      now += 61_000;
      const expired = await fetch(location);
      expect([expired.status, await expired.text()]).toEqual([403, 'AccessDenied: Request has expired']);
    } finally {
      await clockArk.close();
    }
  });

  it('private repos: readable with an accepted token, 401 without one or with an unknown one; whoami', async () => {
    await ark.admin.publishHubCommit('acme/secret', { files: { 'config.json': '{}' } });
    await ark.admin.setHubRepoAccess('acme/secret', { private: true });
    const anonymous = await failure(listAll(ark, 'acme/secret', 'main'));
    expect(anonymous.statusCode).toBe(401);
    const wrong = await failure(listAll(ark, 'acme/secret', 'main', 'hf_not_a_known_token'));
    expect([wrong.statusCode, wrong.message]).toEqual([401, expect.stringContaining('Invalid credentials in Authorization header')]);
    expect((await listAll(ark, 'acme/secret', 'main', ark.hubToken)).map((e) => e.path)).toEqual(['config.json']);
    const file = await downloadFile({ repo: 'acme/secret', path: 'config.json', hubUrl: ark.hubUrl, accessToken: ark.hubToken, xet: false });
    expect(await file!.text()).toBe('{}');

    // A known token the repo does not list: the repo is invisible to it (404, as for a signed-in stranger).
    const other = await startArkLocal({ quiet: true, hubTokens: ['hf_first_token', 'hf_second_token'] });
    try {
      await other.admin.publishHubCommit('acme/secret', { files: { 'config.json': '{}' } });
      await other.admin.setHubRepoAccess('acme/secret', { private: true, tokens: ['hf_first_token'] });
      const stranger = await failure(modelInfo({ name: 'acme/secret', hubUrl: other.hubUrl, accessToken: 'hf_second_token', revision: 'main' }));
      expect(stranger.statusCode).toBe(404);
      expect((await modelInfo({ name: 'acme/secret', hubUrl: other.hubUrl, accessToken: 'hf_first_token', revision: 'main' })).private).toBe(true);
    } finally {
      await other.close();
    }

    const me = await whoAmI({ hubUrl: ark.hubUrl, accessToken: ark.hubToken });
    expect(me).toMatchObject({ type: 'user', name: 'ark-local', auth: { type: 'access_token' } });
    expect(JSON.stringify(me)).not.toContain(ark.hubToken);
    expect((await failure(whoAmI({ hubUrl: ark.hubUrl, accessToken: 'hf_not_a_known_token' }))).statusCode).toBe(401);
  });

  it('hub faults target one operation: a download cut mid-body fails the read', async () => {
    await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const blob = await downloadFile({ repo: 'acme/qwen-sft', path: 'model.safetensors', hubUrl: ark.hubUrl, xet: false });
    await ark.admin.addFault({ service: 'hub', operation: 'CdnGet', kind: 'truncate-body', bytes: 1000, count: 1 });
    await expect(blob!.arrayBuffer()).rejects.toThrow();
    // The rule fired once; the next read is whole.
    expect(sha256(Buffer.from(await blob!.arrayBuffer()))).toBe(sha256(weights));
    await ark.admin.addFault({ service: 'hub', operation: 'ListTree', kind: 'server-error', count: 1 });
    expect((await failure(listAll(ark, 'acme/qwen-sft', 'main'))).statusCode).toBe(500);
  });

  it('publishing the same directory again gives the same file ids; a missing directory is refused', async () => {
    const a = await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir });
    const b = await ark.admin.publishHubCommit('acme/qwen-sft', { directory: dir, branch: 'again' });
    expect(b.Files).toEqual(a.Files);
    expect((await ark.admin.listHubRepos())[0]).toMatchObject({ Repo: 'acme/qwen-sft', Branches: { main: a.Commit, again: b.Commit } });
    await expect(ark.admin.publishHubCommit('acme/x', { directory: path.join(dir, 'absent') })).rejects.toThrow(/does not exist/);
  });
});
