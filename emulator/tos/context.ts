import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { Crc64Schema, TosHeaders } from '../../provider/api/tos';
import { BodyTooLargeError, readBody } from '../http';
import { baseHeaders, TosError } from './errors';
import { STORED_HTTP_HEADERS, type DeclaredDigests, type ObjectAttributes } from './records';
import type { TosTarget } from './routing';
import type { ObjectStore } from './store';

/** Everything a TOS operation handler needs about one request. */
export interface TosContext {
  req: IncomingMessage;
  /** The request body: `req` itself unless an injected fault changed it. */
  body: Readable;
  res: ServerResponse;
  target: TosTarget;
  store: ObjectStore;
  requestId: string;
  /** Region of the request's credential scope. */
  region: string;
}

export type TosHandler = (ctx: TosContext) => Promise<void>;

/** The bucket of a bucket or object operation (routing guarantees it is present for those). */
export function bucketOf(ctx: TosContext): string {
  if (ctx.target.bucket === undefined) throw new TosError('InvalidBucketName', 'The request names no bucket.');
  return ctx.target.bucket;
}

export function keyOf(ctx: TosContext): string {
  if (ctx.target.key === undefined) throw new TosError('InvalidKey', 'The request names no object key.');
  return ctx.target.key;
}

export function sendTosJson(ctx: TosContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    ...baseHeaders(ctx.requestId),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  ctx.res.end(text);
}

export function sendEmpty(ctx: TosContext, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { ...baseHeaders(ctx.requestId), 'content-length': '0', ...headers });
  ctx.res.end();
}

/** A small JSON request body validated against `schema`; shape errors become MalformedBody naming the field. */
export async function readJsonBody<S extends z.ZodType>(ctx: TosContext, schema: S, what: string): Promise<z.infer<S>> {
  let raw: Buffer;
  try {
    raw = await readBody(ctx.req);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new TosError('MalformedBody', `The ${what} body exceeds ${err.limit} bytes.`);
    throw err;
  }
  if (raw.length === 0) throw new TosError('MissingRequestBody', `${what} needs a JSON body.`);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new TosError('MalformedBody', `The ${what} body is not JSON; found ${JSON.stringify(raw.subarray(0, 80).toString('utf8'))}.`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TosError('MalformedBody', `The ${what} body is not of the expected shape at ${issue.path.join('.') || '(root)'}: ${issue.message}.`);
  }
  return parsed.data;
}

/** An optional non-negative integer query parameter, bounded by `max`. */
export function intParam(ctx: TosContext, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.target.query.get(name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min) throw new TosError('InvalidArgument', `Query parameter ${name} must be an integer >= ${min}; found ${JSON.stringify(raw)}.`);
  return Math.min(n, max);
}

/** Content-Type and the other stored HTTP headers, plus `x-tos-meta-*` values exactly as received. */
export function objectAttributes(req: IncomingMessage): ObjectAttributes {
  const httpHeaders: Record<string, string> = { 'content-type': 'application/octet-stream' };
  for (const name of STORED_HTTP_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string') httpHeaders[name] = v;
  }
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(TosHeaders.metaPrefix) && value !== undefined) meta[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return { httpHeaders, meta };
}

export function declaredDigests(req: IncomingMessage): DeclaredDigests {
  const crc = req.headers[TosHeaders.crc64];
  if (typeof crc === 'string' && !Crc64Schema.safeParse(crc).success) {
    throw new TosError('InvalidArgument', `${TosHeaders.crc64} must be an unsigned 64-bit decimal; found ${JSON.stringify(crc)}.`);
  }
  const md5 = req.headers['content-md5'];
  return { ...(typeof crc === 'string' ? { crc64: crc } : {}), ...(typeof md5 === 'string' ? { contentMd5: md5 } : {}) };
}

/** HTTP-date form of an ISO timestamp, for Last-Modified. */
export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
