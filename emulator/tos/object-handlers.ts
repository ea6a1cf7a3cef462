import { pipeline } from 'node:stream/promises';
import { TosHeaders } from '../../provider/api/tos';
import { bucketOf, declaredDigests, httpDate, keyOf, objectAttributes, sendEmpty, type TosContext } from './context';
import { baseHeaders, TosError } from './errors';
import type { ObjectRecord } from './records';

/** Largest object key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** `response-*` query parameters that override the stored header on GET (presigned download links use them). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-disposition': 'content-disposition',
  'response-cache-control': 'cache-control',
  'response-content-encoding': 'content-encoding',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
};

/** The key of a request that writes an object, checked against TOS's key length limit. */
export function newKeyOf(ctx: TosContext): string {
  const key = keyOf(ctx);
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new TosError('InvalidKey', `Keys are at most ${MAX_KEY_BYTES} UTF-8 bytes; this one is ${Buffer.byteLength(key)}.`, `/${bucketOf(ctx)}`);
  }
  return key;
}

export async function putObject(ctx: TosContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = newKeyOf(ctx);
  const object = await ctx.store.putObject(bucket, key, ctx.body, objectAttributes(ctx.req), declaredDigests(ctx.req));
  sendEmpty(ctx, 200, { etag: object.etag, [TosHeaders.crc64]: object.crc64 });
}

export async function headObject(ctx: TosContext): Promise<void> {
  const object = await ctx.store.getObject(bucketOf(ctx), keyOf(ctx));
  if (notModified(ctx, object)) return;
  ctx.res.writeHead(200, { ...objectHeaders(ctx, object), 'content-length': String(object.size) });
  ctx.res.end();
}

export async function getObject(ctx: TosContext): Promise<void> {
  const object = await ctx.store.getObject(bucketOf(ctx), keyOf(ctx));
  if (notModified(ctx, object)) return;
  const range = parseRange(ctx.req.headers.range, object.size, `/${object.bucket}/${object.key}`);
  const headers = objectHeaders(ctx, object);
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = ctx.target.query.get(param);
    if (v !== undefined) headers[name] = v;
  }
  const [start, end] = range ?? [0, object.size];
  headers['content-length'] = String(end - start);
  if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${object.size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  await pipeline(ctx.store.openObject(object, start, end), ctx.res);
}

export async function deleteObject(ctx: TosContext): Promise<void> {
  ctx.req.resume();
  await ctx.store.deleteObject(bucketOf(ctx), keyOf(ctx));
  sendEmpty(ctx, 204);
}

function objectHeaders(ctx: TosContext, object: ObjectRecord): Record<string, string> {
  return {
    ...baseHeaders(ctx.requestId),
    ...object.httpHeaders,
    ...object.meta,
    etag: object.etag,
    'last-modified': httpDate(object.lastModified),
    'accept-ranges': 'bytes',
    [TosHeaders.crc64]: object.crc64,
    [TosHeaders.storageClass]: 'STANDARD',
    'x-tos-object-type': 'Normal',
  };
}

/**
 * Applies If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304) in RFC 7232 order.
 * Returns true when it answered the request.
 */
function notModified(ctx: TosContext, object: ObjectRecord): boolean {
  const h = ctx.req.headers;
  const resource = `/${object.bucket}/${object.key}`;
  const modified = Math.floor(Date.parse(object.lastModified) / 1000) * 1000;
  const matches = (list: string): boolean => list.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === object.etag);
  if (h['if-match'] !== undefined && !matches(h['if-match'])) {
    throw new TosError('PreconditionFailed', `If-Match ${h['if-match']} does not match ETag ${object.etag}.`, resource);
  }
  if (h['if-match'] === undefined && h['if-unmodified-since'] !== undefined && modified > Date.parse(h['if-unmodified-since'])) {
    throw new TosError('PreconditionFailed', `The object was modified at ${httpDate(object.lastModified)}, after If-Unmodified-Since ${h['if-unmodified-since']}.`, resource);
  }
  const noneMatch = h['if-none-match'];
  const unchanged =
    noneMatch !== undefined ? matches(noneMatch) : h['if-modified-since'] !== undefined && modified <= Date.parse(h['if-modified-since']);
  if (!unchanged) return false;
  ctx.req.resume();
  ctx.res.writeHead(304, { ...baseHeaders(ctx.requestId), etag: object.etag, 'last-modified': httpDate(object.lastModified) });
  ctx.res.end();
  return true;
}

/**
 * A single `bytes=` range as [start, end). Multiple or malformed ranges are ignored (the whole object is sent),
 * as S3 does; a range starting past the end is `Requested Range Not Satisfiable` (the SDKs' code, spaces included).
 */
export function parseRange(header: string | undefined, size: number, resource: string): [number, number] | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new TosError('Requested Range Not Satisfiable', `Range ${header} asks for no bytes of a ${size}-byte object.`, resource);
    return [Math.max(0, size - suffix), size];
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) {
    throw new TosError('Requested Range Not Satisfiable', `Range ${header} starts at byte ${start} but the object has ${size} bytes.`, resource);
  }
  return [start, last + 1];
}
