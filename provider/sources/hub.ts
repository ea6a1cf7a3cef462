import { Readable } from 'node:stream';
import { downloadFile, fileDownloadInfo, listFiles, modelInfo } from '@huggingface/hub';
import type { ModelFile, ModelFileSource } from '../model/source';
import { HubError, HubSourceChangedError, mask, toHubError, type HubErrorContext } from './hub-errors';
import { fetchWithSignal, identityTrackingFetch } from './hub-fetch';

export { HubError, HubSourceChangedError } from './hub-errors';

export interface HubRef {
  /** The hub's base URL, e.g. `https://huggingface.co` or ark-local's `http://127.0.0.1:9000/_hub`. */
  hubUrl: string;
  /** `owner/name`. */
  repo: string;
  /** A branch, tag or commit. */
  revision: string;
  token?: string;
}

export interface HubFile {
  path: string;
  size: number;
  /** `sha256:<hex>` for LFS files, `git:<sha1>` otherwise. */
  oid: string;
}

export interface ResolvedHubModel {
  ref: HubRef;
  /** The 40-hex commit the revision named when it was resolved; every later read is pinned to it. */
  commit: string;
  files: HubFile[];
}

interface Options {
  signal?: AbortSignal;
}

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * The commit a revision names and the files at that commit: one revision call and one listing (all its pages),
 * no file content. The listing asks for the commit, not the revision, so a branch moving meanwhile cannot mix
 * two trees. Without `expand`: the LFS identities are in every entry; `lastCommit` is not needed.
 */
export async function resolveHubModel(ref: HubRef, opts: Options): Promise<ResolvedHubModel> {
  const hubUrl = ref.hubUrl.replace(/\/+$/, '');
  const pinned = { ...ref, hubUrl };
  const common = clientParams(pinned, opts.signal);
  const info = await hubCall(opts, context(pinned, ref.revision, 'resolving the revision'), () =>
    modelInfo({ name: ref.repo, revision: ref.revision, additionalFields: ['sha'], ...common }),
  );
  if (typeof info.sha !== 'string' || !COMMIT.test(info.sha)) {
    throw new HubError(`${describeRef(pinned, ref.revision)} (hub ${hubUrl}), resolving the revision: the hub named no 40-hex commit (sha: ${JSON.stringify(info.sha)})`);
  }
  const commit = info.sha;
  const files = await hubCall(opts, context(pinned, commit, 'listing files'), async () => {
    const found: HubFile[] = [];
    for await (const entry of listFiles({ repo: ref.repo, revision: commit, recursive: true, ...common })) {
      if (entry.type !== 'file') continue;
      if (entry.lfs) found.push({ path: entry.path, size: entry.lfs.size, oid: `sha256:${entry.lfs.oid}` });
      else if (entry.oid) found.push({ path: entry.path, size: entry.size, oid: `git:${entry.oid}` });
      // Without an id no read of the file could be checked, so the listing is refused rather than trusted.
      else throw new HubError(`${describeRef(pinned, commit)} (hub ${hubUrl}), listing files: the hub gave no oid for ${entry.path}`);
    }
    return found;
  });
  return { ref: pinned, commit, files };
}

/** The validator's view of a resolved model: its listing, and byte ranges read through openHubRange. */
export function hubModelFileSource(model: ResolvedHubModel, opts: Options): ModelFileSource {
  return {
    describe: () => describeRef(model.ref, model.commit),
    list: async (): Promise<ModelFile[]> => model.files.map((f) => ({ path: f.path, size: f.size })),
    async read(path, start, length) {
      const file = fileAt(model, path);
      const end = Math.min(start + length, file.size);
      if (start >= end) return Buffer.alloc(0);
      const chunks: Buffer[] = [];
      for await (const chunk of await openHubRange(model, path, start, end, opts)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

/**
 * Bytes [start, end) of one file at the resolved commit, streamed (never buffered whole). The hub's answer is
 * checked first: the identity it states for the file (`X-Linked-Etag`, else `ETag`) must be the listed oid, or
 * HubSourceChangedError. The bytes then come through the client's WebBlob as one ranged GET of the download URL
 * (the CDN link after the redirect), which must answer 206 and exactly end - start bytes.
 */
export async function openHubRange(model: ResolvedHubModel, path: string, start: number, end: number, opts: Options): Promise<Readable> {
  const file = fileAt(model, path);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= file.size)) {
    throw new RangeError(`${describeRef(model.ref, model.commit)}: ${path} has ${file.size} bytes; cannot read [${start}, ${end})`);
  }
  // Nothing to read, nothing to check; and the client's first probe (`Range: bytes=0-0`) is one an empty file
  // cannot satisfy (416).
  if (start === end) return Readable.from([]);
  const ctx = context(model.ref, model.commit, `reading ${path} bytes ${start}-${end}`);
  const common = clientParams(model.ref, opts.signal);
  const tracking = identityTrackingFetch(fetchWithSignal(opts.signal));
  const info = await hubCall(opts, ctx, () => fileDownloadInfo({ repo: model.ref.repo, path, revision: model.commit, ...common, fetch: tracking.fetch }));
  if (!info) throw new HubError(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the hub has no such file at this commit`, 404);
  const served = servedIdentity(tracking.identity(), file);
  if (served !== file.oid) throw new HubSourceChangedError(describeRef(model.ref, model.commit), path, file.oid, served);

  // WebBlob reports a failed fetch to its stream only as a message string; the wrapper keeps the real error.
  let failure: HubError | undefined;
  const base = fetchWithSignal(opts.signal);
  const checked: typeof fetch = async (input, init) => {
    const res = await base(input, init);
    if (!res.ok) failure = new HubError(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the download answered ${res.status}`, res.status);
    else if (new Headers(init?.headers).has('range') && res.status !== 206) {
      await res.body?.cancel();
      failure = new HubError(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the download ignored the Range header (status ${res.status})`);
      throw failure;
    }
    return res;
  };
  const blob = await hubCall(opts, ctx, () =>
    downloadFile({ repo: model.ref.repo, path, revision: model.commit, xet: false, downloadInfo: info, ...common, fetch: checked }),
  );
  if (!blob) throw new HubError(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the hub has no such file at this commit`, 404);
  const web = blob.slice(start, end).stream();
  return Readable.from(exactly(web, end - start, ctx, opts, () => failure), { objectMode: false });
}

/** The stream's chunks, failing with a HubError when it breaks or ends short or long of `expected` bytes. */
async function* exactly(web: ReadableStream<Uint8Array>, expected: number, ctx: HubErrorContext, opts: Options, failure: () => HubError | undefined): AsyncGenerator<Buffer> {
  let received = 0;
  let finished = false;
  const reader = web.getReader();
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        throw failure() ?? new HubError(mask(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the download broke off after ${received} of ${expected} bytes: ${reason(err)}`, ctx.token));
      }
      if (next.done) {
        finished = true;
        break;
      }
      received += next.value.byteLength;
      if (received > expected) throw new HubError(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the download sent more than the ${expected} bytes asked for`);
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  } finally {
    // A consumer that stops early (an aborted part upload) must not leave the download's connection open.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  if (received !== expected) throw new HubError(`${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}: the download ended after ${received} of ${expected} bytes`);
}

function reason(err: unknown): string {
  if (typeof err === 'string') return err;
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ') || String(err);
}

/** The served identity in the listing's spelling: `sha256:` for a 64-hex ETag, `git:` for a 40-hex one. */
function servedIdentity(identity: { etag?: string } | undefined, file: HubFile): string {
  const etag = identity?.etag?.replace(/^W\//, '').replace(/"/g, '').trim();
  if (!etag) return 'no ETag';
  if (/^[0-9a-f]{64}$/.test(etag)) return `sha256:${etag}`;
  if (/^[0-9a-f]{40}$/.test(etag)) return `git:${etag}`;
  return `ETag ${etag}${file.oid.startsWith('sha256:') ? ' (no X-Linked-Etag)' : ''}`;
}

function fileAt(model: ResolvedHubModel, path: string): HubFile {
  const file = model.files.find((f) => f.path === path);
  if (!file) throw new HubError(`${describeRef(model.ref, model.commit)}: expected a file listed at this commit, found no ${path}`);
  return file;
}

/** `hf://owner/name@revision`. */
function describeRef(ref: HubRef, revision: string): string {
  return `hf://${ref.repo}@${revision}`;
}

function context(ref: HubRef, revision: string, doing: string): HubErrorContext {
  return { source: describeRef(ref, revision), hubUrl: ref.hubUrl, ...(ref.token ? { token: ref.token } : {}), doing };
}

function clientParams(ref: HubRef, signal: AbortSignal | undefined) {
  return { hubUrl: ref.hubUrl, fetch: fetchWithSignal(signal), ...(ref.token ? { accessToken: ref.token } : {}) };
}

/** Runs a client call, turning its failures into HubErrors (an abort stays the signal's own reason). */
async function hubCall<T>(opts: Options, ctx: HubErrorContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw toHubError(err, ctx);
  }
}
