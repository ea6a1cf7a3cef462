import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { GatewayErrorCode } from '../../provider/api/errors';
import type { Credentials } from '../options';

/**
 * Verifies the Volcengine V4 signature (`HMAC-SHA256`) the Ark control plane requires, as `@volcengine/openapi`
 * 1.36.2 and the Go SDK send it (reference: tos-protocol.md §E.2, ark-api.md §1.1). The verifier recomputes the
 * signature over whatever `SignedHeaders` lists (the JS SDK signs `x-content-sha256;x-date`, the Go SDK adds
 * `content-type` and `host`), so both clients pass. Every rejection carries the gateway code the real service
 * answers with; the caller turns it into the error envelope.
 */

export const SIGNING_ALGORITHM = 'HMAC-SHA256';
/** Largest accepted distance between X-Date and the server clock (the gateway's 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignedRequest {
  method: string;
  /** Path exactly as received, without the query (`/` for Ark). */
  path: string;
  /** The raw query string without `?`, as received. */
  rawQuery: string;
  /** Node's lower-cased header map. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface VerifyOptions {
  credentials: Credentials;
  service: string;
  region: string;
  now: number;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string }
  | { ok: false; code: GatewayErrorCode; message: string };

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

export function verifyVolcSignature(req: SignedRequest, opts: VerifyOptions): VerifyResult {
  const authorization = headerValue(req.headers, 'authorization');
  if (!authorization) {
    return fail('MissingAuthenticationToken', 'The request has no Authorization header; expected "HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".');
  }
  const parsed = parseAuthorization(authorization);
  if ('code' in parsed) return parsed;

  const xDate = headerValue(req.headers, 'x-date');
  if (!xDate) return fail('MissingRequestInfo', 'The request has no X-Date header; expected YYYYMMDDTHHMMSSZ.');
  const signedAt = parseXDate(xDate);
  if (signedAt === undefined) {
    return fail('InvalidTimestamp', `X-Date "${xDate}" is not in the form YYYYMMDDTHHMMSSZ.`);
  }
  if (Math.abs(opts.now - signedAt) > MAX_CLOCK_SKEW_MS) {
    return fail('InvalidTimestamp', `X-Date ${xDate} is more than 15 minutes from the server time ${new Date(opts.now).toISOString()}.`);
  }

  const scopeProblem = checkScope(parsed, xDate, opts);
  if (scopeProblem) return fail('InvalidCredential', scopeProblem);

  const secret = opts.credentials.get(parsed.accessKeyId);
  if (secret === undefined) return fail('InvalidAccessKey', `The access key id "${parsed.accessKeyId}" does not exist.`);

  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const claimedHash = headerValue(req.headers, 'x-content-sha256');
  if (claimedHash !== undefined && claimedHash.toLowerCase() !== bodyHash) {
    return fail('SignatureDoesNotMatch', `X-Content-Sha256 is ${claimedHash} but the body's SHA-256 is ${bodyHash}; the body was changed after signing.`);
  }
  if (!parsed.signedHeaders.includes('x-date')) {
    return fail('SignatureDoesNotMatch', `SignedHeaders "${parsed.signedHeaders.join(';')}" must include x-date.`);
  }
  for (const name of parsed.signedHeaders) {
    if (headerValue(req.headers, name) === undefined) {
      return fail('SignatureDoesNotMatch', `SignedHeaders lists "${name}" but the request has no such header.`);
    }
  }

  const expected = computeSignature({
    secretKey: secret,
    method: req.method,
    path: req.path,
    canonicalQuery: canonicalQuery(req.rawQuery),
    headers: req.headers,
    signedHeaders: parsed.signedHeaders,
    payloadHash: claimedHash ?? bodyHash,
    xDate,
    region: parsed.region,
    service: parsed.service,
  });
  if (!constantTimeEqual(expected, parsed.signature.toLowerCase())) {
    return fail('SignatureDoesNotMatch', 'The signature computed from the request with the secret key of this access key does not match the Signature sent.');
  }
  return { ok: true, accessKeyId: parsed.accessKeyId };
}

export interface SignatureInput {
  secretKey: string;
  method: string;
  path: string;
  canonicalQuery: string;
  headers: Record<string, string | string[] | undefined>;
  signedHeaders: string[];
  payloadHash: string;
  xDate: string;
  region: string;
  service: string;
}

/** The signature a correct client computes for this request (exported for the unit test's known vector). */
export function computeSignature(input: SignatureInput): string {
  const canonicalHeaders = input.signedHeaders
    .map((name) => `${name}:${canonicalHeaderValue(name, headerValue(input.headers, name) ?? '')}`)
    .join('\n');
  const canonicalRequest = [
    input.method.toUpperCase(),
    input.path || '/',
    input.canonicalQuery,
    canonicalHeaders,
    '',
    input.signedHeaders.join(';'),
    input.payloadHash || EMPTY_SHA256,
  ].join('\n');
  const date = input.xDate.slice(0, 8);
  const scope = `${date}/${input.region}/${input.service}/request`;
  const stringToSign = [SIGNING_ALGORITHM, input.xDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(input.secretKey, date);
  key = hmac(key, input.region);
  key = hmac(key, input.service);
  key = hmac(key, 'request');
  return hmac(key, stringToSign).toString('hex');
}

/**
 * Canonical query: decode what the client put on the wire (querystring.stringify leaves `!*()` raw), re-encode
 * with RFC 3986 rules, sort by key then value.
 */
export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return [uriEscape(decodeQueryPart(key)), uriEscape(decodeQueryPart(value))] as const;
    });
  pairs.sort((a, b) => (a[0] === b[0] ? compare(a[1], b[1]) : compare(a[0], b[0])));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function parseAuthorization(value: string): ParsedAuthorization | { ok: false; code: GatewayErrorCode; message: string } {
  const malformed = (why: string) =>
    fail('InvalidAuthorization', `Authorization header is malformed: ${why}; expected "HMAC-SHA256 Credential=AK/YYYYMMDD/region/ark/request, SignedHeaders=…, Signature=…".`);
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== SIGNING_ALGORITHM) return malformed(`algorithm is "${algorithm}"`);
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential) return malformed('no Credential');
  if (!signedHeaders) return malformed('no SignedHeaders');
  if (!signature || !/^[0-9a-fA-F]{64}$/.test(signature)) return malformed('Signature is not 64 hex characters');
  const scope = credential.split('/');
  if (scope.length !== 5 || scope.some((s) => s.length === 0)) {
    return fail('InvalidCredential', `Credential "${credential}" does not have the form AK/YYYYMMDD/region/service/request.`);
  }
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean),
    signature,
  };
}

function checkScope(auth: ParsedAuthorization, xDate: string, opts: VerifyOptions): string | undefined {
  if (!/^\d{8}$/.test(auth.date)) return `Credential date "${auth.date}" is not YYYYMMDD.`;
  if (auth.date !== xDate.slice(0, 8)) return `Credential date ${auth.date} differs from the X-Date day ${xDate.slice(0, 8)}.`;
  if (auth.region !== opts.region) return `Credential region is "${auth.region}" but this service is in "${opts.region}".`;
  if (auth.service !== opts.service) return `Credential service is "${auth.service}", expected "${opts.service}".`;
  if (auth.terminator !== 'request') return `Credential ends in "${auth.terminator}", expected "request".`;
  return undefined;
}

function parseXDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : ms;
}

function canonicalHeaderValue(name: string, value: string): string {
  const collapsed = value.replace(/\s+/g, ' ').trim();
  // The Go signer strips default ports from host before signing.
  return name === 'host' ? collapsed.replace(/:(80|443)$/, '') : collapsed;
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function decodeQueryPart(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fail(code: GatewayErrorCode, message: string): { ok: false; code: GatewayErrorCode; message: string } {
  return { ok: false, code, message };
}
