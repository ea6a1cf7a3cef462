import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { runWithFaults, type FaultInjector } from '../faults';
import { sendJson } from '../http';
import type { EmulatorService } from '../service';
import type { Clock } from '../state/transitions';
import { ContentChangedError, openContent, type HubBlob } from './content';
import { entryNotFound, HubHttpError, invalidCredentials, repoNotFound, revisionNotFound, sendHubError } from './errors';
import { parseRange } from './ranges';
import { matchHubRoute, type HubRoute } from './routes';
import type { CommitRecord, HubRepoStore, RepoRecord } from './store';
import { treeEntries } from './tree';

/** Path prefix of the hub on ark-local's port: clients use `http://127.0.0.1:<port>/_hub` as their hub URL. */
export const HUB_PREFIX = '/_hub';
/** Tree entries per page [I: the hub pages its tree listing; 1000 is the size huggingface_hub's docs suggest]. */
export const DEFAULT_TREE_PAGE_SIZE = 1000;
/** Lifetime of a signed CDN URL [I: the hub's signed CDN URLs carry an Expires about an hour ahead]. */
export const DEFAULT_CDN_TTL_SECONDS = 3600;

export interface HubServiceOptions {
  store: HubRepoStore;
  /** Tokens ark-local accepts, read per request. */
  tokens: () => readonly string[];
  faults: FaultInjector;
  clock: Clock;
  treePageSize: number;
  cdnTtlSeconds: number;
  /** Signs CDN URLs, so a CDN link works without the caller's token, as the hub's signed links do. */
  cdnSigningKey: Buffer;
}

/**
 * The part of a Hugging Face–compatible hub the provider uses: model info at a revision, the tree listing,
 * file downloads (regular files served directly, LFS files redirected to a signed CDN URL on the same port) and
 * whoami. No xet headers anywhere, so clients download over plain HTTP.
 */
export function createHubService(opts: HubServiceOptions): EmulatorService {
  return {
    name: 'hub',
    async handle(req, res, url) {
      const route = matchHubRoute(req.method ?? 'GET', url.pathname.slice(HUB_PREFIX.length));
      const json = route?.op !== 'Resolve' && route?.op !== 'CdnGet';
      if (!route) {
        req.resume();
        return sendHubError(res, new HubHttpError(404, 'Not Found'), true);
      }
      const renderFault = (r: ServerResponse, kind: 'throttle' | 'server-error') =>
        sendHubError(r, kind === 'throttle' ? new HubHttpError(429, 'Too Many Requests') : new HubHttpError(500, 'Internal Error'), json);
      await runWithFaults(opts.faults, 'hub', route.op, req, res, renderFault, async () => {
        // Every hub route is a read: a body, if any, is drained and ignored.
        req.resume();
        try {
          await serve(opts, req, res, url, route);
        } catch (err) {
          if (res.headersSent) return void res.destroy();
          if (err instanceof HubHttpError) return sendHubError(res, err, json);
          if (err instanceof ContentChangedError) return sendHubError(res, new HubHttpError(500, `ark-local: ${err.message}`), json);
          throw err;
        }
      });
    },
  };
}

async function serve(opts: HubServiceOptions, req: IncomingMessage, res: ServerResponse, url: URL, route: HubRoute): Promise<void> {
  const origin = `http://${req.headers.host ?? 'ark-local.invalid'}${HUB_PREFIX}`;
  switch (route.op) {
    case 'WhoAmI':
      return whoAmI(opts, req, res);
    case 'CdnGet':
      return cdnGet(opts, req, res, url, route.sha256);
    case 'ModelInfo': {
      const repo = readableRepo(opts, req, route.repo);
      const commit = atRevision(opts, repo, route.revision);
      return sendJson(res, 200, modelInfo(repo, commit, url.searchParams.getAll('expand')));
    }
    case 'ListTree':
      return listTree(opts, req, res, url, route, origin);
    case 'Resolve': {
      const repo = readableRepo(opts, req, route.repo);
      const commit = atRevision(opts, repo, route.revision);
      const file = commit.files.find((f) => f.path === route.path);
      if (!file) throw entryNotFound(commit.id);
      if (file.blob.lfs) return redirectToCdn(opts, res, file.blob, commit.id, origin);
      return sendBlob(req, res, file.blob, { etag: `"${file.blob.gitOid}"`, 'x-repo-commit': commit.id });
    }
  }
}

/** The caller's token: none, or one ark-local accepts; any other Authorization is refused outright. */
function callerToken(opts: HubServiceOptions, req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth === undefined) return undefined;
  const token = /^Bearer (\S+)$/.exec(auth)?.[1];
  if (!token || !opts.tokens().includes(token)) throw invalidCredentials();
  return token;
}

function readableRepo(opts: HubServiceOptions, req: IncomingMessage, repoId: string): RepoRecord {
  const token = callerToken(opts, req);
  const repo = opts.store.find(repoId);
  if (!repo || (repo.private && (token === undefined || !(repo.readers ?? opts.tokens()).includes(token)))) throw repoNotFound(token === undefined);
  return repo;
}

function atRevision(opts: HubServiceOptions, repo: RepoRecord, revision: string): CommitRecord {
  const commit = opts.store.resolve(repo, revision);
  if (!commit) throw revisionNotFound(revision);
  return commit;
}

/**
 * `GET /api/models/{repo}/revision/{revision}`: `sha` is the commit. With `expand` parameters the hub answers
 * only those fields besides `_id` and `id` [I]; ark-local does the same for the fields it has.
 */
function modelInfo(repo: RepoRecord, commit: CommitRecord, expand: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    author: repo.id.split('/')[0],
    private: repo.private,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    lastModified: commit.date,
    createdAt: repo.createdAt,
    sha: commit.id,
    siblings: commit.files.map((f) => ({ rfilename: f.path })),
  };
  const fields = expand.length ? Object.fromEntries(Object.entries(all).filter(([k]) => expand.includes(k))) : all;
  return { _id: repo.objectId, id: repo.id, ...fields };
}

/**
 * `GET /api/models/{repo}/tree/{revision}[/{path}]`, paged. The `cursor` pins the commit of the first page, so a
 * branch that moves between pages never mixes two trees. Page links are absolute, as clients require.
 */
function listTree(opts: HubServiceOptions, req: IncomingMessage, res: ServerResponse, url: URL, route: Extract<HubRoute, { op: 'ListTree' }>, origin: string): void {
  const repo = readableRepo(opts, req, route.repo);
  const cursor = url.searchParams.get('cursor');
  const position = cursor === null ? { commit: atRevision(opts, repo, route.revision).id, offset: 0 } : decodeCursor(cursor);
  const commit = repo.commits.get(position.commit);
  if (!commit) throw new HubHttpError(400, 'Invalid cursor');
  const truthy = (name: string) => ['true', '1'].includes(url.searchParams.get(name) ?? '');
  const entries = treeEntries(commit, route.path, truthy('recursive'), truthy('expand'));
  if (!entries) throw entryNotFound(commit.id);
  const end = position.offset + opts.treePageSize;
  const headers: Record<string, string> = {};
  if (end < entries.length) {
    const next = new URL(`${origin}${url.pathname.slice(HUB_PREFIX.length)}`);
    for (const [k, v] of url.searchParams) if (k !== 'cursor') next.searchParams.append(k, v);
    next.searchParams.set('cursor', encodeCursor({ commit: commit.id, offset: end }));
    headers.link = `<${next.href}>; rel="next"`;
  }
  sendJson(res, 200, entries.slice(position.offset, end), headers);
}

function encodeCursor(c: { commit: string; offset: number }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(cursor: string): { commit: string; offset: number } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { commit?: unknown; offset?: unknown };
    if (typeof c.commit === 'string' && Number.isInteger(c.offset) && (c.offset as number) >= 0) return { commit: c.commit, offset: c.offset as number };
  } catch {
    // falls through to the refusal below
  }
  throw new HubHttpError(400, 'Invalid cursor');
}

/**
 * An LFS file: 302 to a signed CDN URL, with the file's identity on the redirect itself (`X-Linked-Etag` is the
 * quoted sha256, `X-Linked-Size` its size; `ETag` the pointer's git id) [C: huggingface_hub reads X-Linked-Etag
 * and X-Linked-Size before ETag and Content-Length].
 */
function redirectToCdn(opts: HubServiceOptions, res: ServerResponse, blob: HubBlob, commit: string, origin: string): void {
  const sha256 = blob.lfs!.sha256;
  const expires = Math.floor(opts.clock() / 1000) + opts.cdnTtlSeconds;
  const location = `${origin}/_cdn/${sha256}?Expires=${expires}&Signature=${cdnSignature(opts, sha256, expires)}`;
  res.writeHead(302, {
    location,
    etag: `"${blob.gitOid}"`,
    'x-linked-etag': `"${sha256}"`,
    'x-linked-size': String(blob.size),
    'x-repo-commit': commit,
    'content-length': 0,
  });
  res.end();
}

function cdnSignature(opts: HubServiceOptions, sha256: string, expires: number): string {
  return createHmac('sha256', opts.cdnSigningKey).update(`${sha256}:${expires}`).digest('hex');
}

/**
 * `GET|HEAD /_cdn/{sha256}?Expires&Signature`: the bytes, ranged. Its `ETag` is the CDN's own and NOT the
 * sha256 [I: the hub's xet-bridge CDN answers with the xet hash], so identity must be read on the redirect.
 */
async function cdnGet(opts: HubServiceOptions, req: IncomingMessage, res: ServerResponse, url: URL, sha256: string): Promise<void> {
  const expires = Number(url.searchParams.get('Expires'));
  const given = Buffer.from(url.searchParams.get('Signature') ?? '', 'utf8');
  const expected = Buffer.from(Number.isInteger(expires) ? cdnSignature(opts, sha256, expires) : '', 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw cdnDenied('Invalid signature');
  if (expires * 1000 <= opts.clock()) throw cdnDenied('Request has expired');
  const blob = opts.store.lfsBlob(sha256);
  if (!blob) throw new HubHttpError(404, 'NoSuchKey');
  await sendBlob(req, res, blob, { etag: `"${createHash('md5').update(sha256).digest('hex')}"` });
}

const cdnDenied = (why: string) => new HubHttpError(403, `AccessDenied: ${why}`);

/** 200 or 206 with the blob's bytes (HEAD: the headers only); 416 for a range past the end. */
async function sendBlob(req: IncomingMessage, res: ServerResponse, blob: HubBlob, headers: Record<string, string>): Promise<void> {
  const range = parseRange(req.headers.range, blob.size);
  const common = { ...headers, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'content-range': `bytes */${blob.size}`, 'content-length': 0 });
    return void res.end();
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? blob.size - 1;
  const status = range ? 206 : 200;
  const rangeHeaders = range ? { 'content-range': `bytes ${start}-${end}/${blob.size}` } : {};
  if (req.method === 'HEAD') {
    res.writeHead(status, { ...common, ...rangeHeaders, 'content-length': end - start + 1 });
    return void res.end();
  }
  const body = await openContent(blob, start, end);
  res.writeHead(status, { ...common, ...rangeHeaders, 'content-length': Math.max(0, end - start + 1) });
  await pipeline(body, res).catch(() => res.destroy());
}

/** `GET /api/whoami-v2`: who the token belongs to; never echoes the token. */
function whoAmI(opts: HubServiceOptions, req: IncomingMessage, res: ServerResponse): void {
  const token = callerToken(opts, req);
  if (token === undefined) throw new HubHttpError(401, 'Invalid username or password.');
  const index = opts.tokens().indexOf(token);
  sendJson(res, 200, {
    type: 'user',
    id: `ark-local-user-${index}`,
    name: 'ark-local',
    fullname: 'ark-local hub user',
    email: 'ark-local@localhost',
    emailVerified: true,
    isPro: false,
    canPay: false,
    avatarUrl: '',
    periodEnd: null,
    billingMode: 'prepaid',
    orgs: [],
    auth: { type: 'access_token', accessToken: { displayName: `ark-local token ${index + 1}`, role: 'read', createdAt: new Date(0).toISOString() } },
  });
}

