import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../options';

/**
 * Verifies TOS4-HMAC-SHA256 signatures (tos-protocol.md §B), both header-signed requests and presigned URLs.
 * The canonical request is rebuilt from what arrived: path and query are percent-decoded and re-encoded the
 * RFC 3986 way, because the SDK's wire encoding (axios) differs from its signing encoding.
 */

export const TOS_ALGORITHM = 'TOS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Header-signed requests older or newer than this are refused (S3's window; the SDK never sends a skewed date). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export type TosAuthFailureCode =
  | 'AccessDenied'
  | 'InvalidAccessKeyId'
  | 'SignatureDoesNotMatch'
  | 'RequestTimeTooSkewed'
  | 'AuthorizationQueryParametersError';

export type TosAuthResult =
  | { ok: true; accessKeyId: string; region: string }
  | { ok: false; code: TosAuthFailureCode; message: string };

export interface TosSignedRequest {
  method: string;
  /** `req.url` as received: origin form (`/b/k?x=1`) or absolute form (`http://host/b/k?x=1`). */
  rawUrl: string;
  headers: IncomingHttpHeaders;
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  requestTime: string;
  presigned?: { expiresSeconds: number };
}

const AUTH_HEADER_RE =
  /^TOS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;
const CREDENTIAL_RE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/request$/;
const TIME_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function verifyTosSignature(req: TosSignedRequest, credentials: Credentials, now: Date = new Date()): TosAuthResult {
  const target = splitTarget(req.rawUrl);
  let query: [string, string][];
  let path: string;
  try {
    query = decodeQuery(target.rawQuery);
    path = decodeURIComponent(target.rawPath);
  } catch {
    return fail('SignatureDoesNotMatch', `the request target ${req.rawUrl} is not valid percent-encoding, so its signature cannot be checked`);
  }

  const parsed = parseAuthorization(req, query);
  if ('code' in parsed) return parsed;
  const secret = credentials.get(parsed.accessKeyId);
  if (secret === undefined) {
    return fail('InvalidAccessKeyId', `access key id ${parsed.accessKeyId} is not one of the keys ark-local was started with`);
  }
  if (parsed.service !== 'tos') {
    return fail('SignatureDoesNotMatch', `credential scope service is "${parsed.service}", expected "tos"`);
  }
  if (!parsed.requestTime.startsWith(parsed.date)) {
    return fail('SignatureDoesNotMatch', `credential scope date ${parsed.date} does not match request time ${parsed.requestTime}`);
  }
  const timeError = checkTime(parsed, now);
  if (timeError) return timeError;

  // `needProxyParams` proxies send the real signed host in the query (§A.2 B); it is not part of the signature.
  const proxyHost = query.find(([k]) => k === 'x-proxy-tos-host')?.[1];
  const signedQuery = query.filter(([k]) => k !== 'x-proxy-tos-host' && !(parsed.presigned && k === 'X-Tos-Signature'));
  const headerValue = (name: string): string | undefined => {
    if (name === 'host' && proxyHost !== undefined) return proxyHost;
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const missing = parsed.signedHeaders.filter((h) => headerValue(h) === undefined);
  if (missing.length > 0) {
    return fail('SignatureDoesNotMatch', `signed header(s) ${missing.join(', ')} are listed in SignedHeaders but absent from the request`);
  }

  const canonical = canonicalRequest(req.method, path, signedQuery, parsed.signedHeaders.map((h) => [h, headerValue(h)!]));
  const expected = tosSignature(secret, parsed.date, parsed.region, parsed.requestTime, canonical);
  const given = Buffer.from(parsed.signature, 'hex');
  if (given.length !== 32 || !timingSafeEqual(given, Buffer.from(expected, 'hex'))) {
    return fail(
      'SignatureDoesNotMatch',
      `the request signature we calculated does not match the signature you provided (check the secret key for ${parsed.accessKeyId}); canonical request was: ${JSON.stringify(canonical)}`,
    );
  }
  return { ok: true, accessKeyId: parsed.accessKeyId, region: parsed.region };
}

/** RFC 3986 encoding: everything but A-Za-z0-9-._~ is %XX with upper-case hex; `keepSlash` for paths. */
export function uriEncode(value: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

export function canonicalRequest(
  method: string,
  decodedPath: string,
  decodedQuery: readonly [string, string][],
  signedHeaders: readonly [string, string][],
): string {
  const query = decodedQuery
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort((a, b) => (a[0] === b[0] ? compare(a[1], b[1]) : compare(a[0], b[0])))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerLines = signedHeaders.map(([name, value]) => `${name}:${value.replace(/\s+/g, ' ').trim()}`).join('\n');
  const names = signedHeaders.map(([name]) => name).join(';');
  return [method.toUpperCase(), uriEncode(decodedPath, true), query, headerLines, '', names, UNSIGNED_PAYLOAD].join('\n');
}

export function tosSignature(secret: string, date: string, region: string, requestTime: string, canonical: string): string {
  const scope = `${date}/${region}/tos/request`;
  const stringToSign = [TOS_ALGORITHM, requestTime, scope, sha256Hex(canonical)].join('\n');
  const kDate = hmac(secret, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, 'tos');
  const kSigning = hmac(kService, 'request');
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

/** Splits `req.url`, stripping `scheme://host` from absolute-form targets (forward-proxy mode). */
export function splitTarget(rawUrl: string): { rawPath: string; rawQuery: string } {
  const origin = rawUrl.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/, '');
  const target = origin === '' ? '/' : origin;
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

/** Query pairs in order, decoded; `+` is a space here (axios encodes spaces that way) but never in the path. */
export function decodeQuery(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      const v = eq < 0 ? '' : part.slice(eq + 1);
      return [decodeQueryComponent(k), decodeQueryComponent(v)];
    });
}

function decodeQueryComponent(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

function parseAuthorization(req: TosSignedRequest, query: [string, string][]): ParsedAuth | Extract<TosAuthResult, { ok: false }> {
  const authHeader = req.headers.authorization;
  if (authHeader !== undefined) {
    const m = AUTH_HEADER_RE.exec(authHeader.trim());
    if (!m) {
      return fail('AccessDenied', `the Authorization header is not of the form "TOS4-HMAC-SHA256 Credential=AK/date/region/tos/request, SignedHeaders=..., Signature=<64 hex>"; found "${authHeader}"`);
    }
    const requestTime = req.headers['x-tos-date'];
    if (typeof requestTime !== 'string' || !TIME_RE.test(requestTime)) {
      return fail('AccessDenied', `the x-tos-date header must be YYYYMMDDTHHMMSSZ; found ${JSON.stringify(requestTime ?? null)}`);
    }
    return {
      accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!,
      signedHeaders: m[5]!.split(';'), signature: m[6]!, requestTime,
    };
  }
  const q = new Map(query);
  if (!q.has('X-Tos-Signature')) {
    return fail('AccessDenied', 'the request is anonymous: it has neither an Authorization header nor an X-Tos-Signature query parameter');
  }
  const credential = CREDENTIAL_RE.exec(q.get('X-Tos-Credential') ?? '');
  const requestTime = q.get('X-Tos-Date') ?? '';
  const expires = Number(q.get('X-Tos-Expires') ?? '');
  const signature = q.get('X-Tos-Signature') ?? '';
  if (q.get('X-Tos-Algorithm') !== TOS_ALGORITHM || !credential || !TIME_RE.test(requestTime) || !Number.isInteger(expires) || expires <= 0 || !/^[0-9a-f]{64}$/.test(signature)) {
    return fail(
      'AuthorizationQueryParametersError',
      'a presigned URL needs X-Tos-Algorithm=TOS4-HMAC-SHA256, X-Tos-Credential=AK/date/region/tos/request, X-Tos-Date=YYYYMMDDTHHMMSSZ, a positive integer X-Tos-Expires and a 64-hex X-Tos-Signature',
    );
  }
  return {
    accessKeyId: credential[1]!, date: credential[2]!, region: credential[3]!, service: credential[4]!,
    signedHeaders: (q.get('X-Tos-SignedHeaders') ?? 'host').split(';'), signature, requestTime,
    presigned: { expiresSeconds: expires },
  };
}

function checkTime(parsed: ParsedAuth, now: Date): Extract<TosAuthResult, { ok: false }> | undefined {
  const m = TIME_RE.exec(parsed.requestTime)!;
  const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (parsed.presigned) {
    const expiresAt = signedAt + parsed.presigned.expiresSeconds * 1000;
    if (now.getTime() > expiresAt) {
      return fail('AccessDenied', `the presigned URL expired at ${new Date(expiresAt).toISOString()}; it is now ${now.toISOString()}`);
    }
    return undefined;
  }
  if (Math.abs(now.getTime() - signedAt) > MAX_CLOCK_SKEW_MS) {
    return fail(
      'RequestTimeTooSkewed',
      `x-tos-date ${parsed.requestTime} is more than ${MAX_CLOCK_SKEW_MS / 60000} minutes from the server time ${now.toISOString()}`,
    );
  }
  return undefined;
}

function fail(code: TosAuthFailureCode, message: string): Extract<TosAuthResult, { ok: false }> {
  return { ok: false, code, message };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
