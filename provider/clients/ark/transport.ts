import * as http from 'node:http';
import * as https from 'node:https';

/**
 * One HTTP exchange, nothing more: no signing, no retries, no parsing. Injected into the client so unit tests
 * can script answers and failures without a server.
 */
export interface HttpRequest {
  url: URL;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Aborting it destroys the request (the caller turns that into the signal's reason). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

/*
 * No keep-alive: a pooled socket the server already closed fails on reuse with ECONNRESET, which for a
 * non-idempotent action is an "ambiguous" failure that costs a lookup. Control-plane calls are few and slow
 * anyway, so a fresh connection per call is the simpler, more predictable choice.
 */
const httpAgent = new http.Agent({ keepAlive: false });
const httpsAgent = new https.Agent({ keepAlive: false });

/** Node http(s) transport. Socket errors reject with the Node error (its `code` is classified by the caller). */
export const nodeHttpTransport: HttpTransport = (request) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const secure = request.url.protocol === 'https:';
    const send = secure ? https.request : http.request;
    const req = send(
      request.url,
      {
        method: request.method,
        headers: { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) },
        agent: secure ? httpsAgent : httpAgent,
        signal: request.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.setTimeout(request.timeoutMs, () => {
      const error: NodeJS.ErrnoException = new Error(
        `no answer from ${request.url.host} within ${request.timeoutMs} ms`,
      );
      error.code = 'ETIMEDOUT';
      req.destroy(error);
    });
    req.on('error', reject);
    req.end(request.body);
  });
