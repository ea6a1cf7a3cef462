import { promises as fs } from 'node:fs';
import type { HttpTransport } from '../../clients/ark/transport';

/**
 * `--wire FILE`: every exchange the doctor makes, with credentials and signatures removed, so the first user with
 * a real account can send us the exact answers. Ark exchanges are recorded at the HTTP layer (request line, headers,
 * body; status, headers, body). TOS exchanges go through the TOS SDK, so they are recorded per operation with
 * the status and response headers the SDK hands back.
 */

export interface WireExchange {
  service: 'ark' | 'tos';
  operation: string;
  request: { method?: string; url?: string; headers?: Record<string, string>; body?: unknown };
  response?: { status: number; headers: Record<string, string>; body?: unknown };
  /** A socket error instead of an answer. */
  error?: string;
}

const REDACTED = '<redacted>';

/** Header names whose values are secret whatever they look like. */
const SECRET_HEADERS = new Set(['x-security-token', 'x-tos-security-token', 'cookie', 'set-cookie']);
/** Body fields that carry a credential (GetApiKey answers one; the doctor never calls it, this is a safety net). */
const SECRET_FIELDS = new Set(['ApiKey', 'SecretAccessKey', 'SecretKey', 'SessionToken']);

/**
 * Keeps what helps debugging (algorithm, date, region, service, signed header names) and drops the access key
 * and the signature: `HMAC-SHA256 Credential=<redacted>/20260101/cn-beijing/ark/request, SignedHeaders=…, Signature=<redacted>`.
 */
export function redactAuthorization(value: string): string {
  return value.replace(/Credential=[^/,\s]+/g, `Credential=${REDACTED}`).replace(/Signature=[0-9a-fA-F]+/g, `Signature=${REDACTED}`);
}

export function redactHeaders(headers: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    const lower = name.toLowerCase();
    out[name] = lower === 'authorization' ? redactAuthorization(text) : SECRET_HEADERS.has(lower) ? REDACTED : text;
  }
  return out;
}

/** A URL with presigned-query credentials removed (TOS presigned URLs carry them in the query). */
export function redactUrl(url: string): string {
  return url.replace(/(X-Tos-Credential|X-Tos-Signature|X-Tos-Security-Token)=[^&]*/gi, `$1=${REDACTED}`);
}

export function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = SECRET_FIELDS.has(key) ? REDACTED : redactBody(field);
  return out;
}

function parsedOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export class WireLog {
  readonly exchanges: WireExchange[] = [];

  /** Wraps an Ark transport so each exchange is recorded, redacted, as it happens. */
  recordArk(inner: HttpTransport): HttpTransport {
    return async (request) => {
      const entry: WireExchange = {
        service: 'ark',
        operation: request.url.searchParams.get('Action') ?? '(none)',
        request: {
          method: request.method,
          url: redactUrl(request.url.toString()),
          headers: redactHeaders(request.headers),
          body: redactBody(parsedOrText(request.body)),
        },
      };
      this.exchanges.push(entry);
      try {
        const response = await inner(request);
        entry.response = { status: response.status, headers: redactHeaders(response.headers), body: redactBody(parsedOrText(response.body)) };
        return response;
      } catch (error) {
        entry.error = (error as Error).message;
        throw error;
      }
    };
  }

  recordTos(operation: string, bucket: string | undefined, outcome: { status: number; headers: Record<string, unknown> } | { error: string }): void {
    this.exchanges.push({
      service: 'tos',
      operation,
      request: bucket ? { body: { bucket } } : {},
      ...('error' in outcome ? { error: outcome.error } : { response: { status: outcome.status, headers: redactHeaders(outcome.headers) } }),
    });
  }

  async write(file: string): Promise<void> {
    const document = { tool: 'pulumi-ark doctor', writtenAt: new Date().toISOString(), exchanges: this.exchanges };
    await fs.writeFile(file, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
  }
}
