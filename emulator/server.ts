import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CHAT_BASE_PATH } from '../provider/api/chat';
import { HUB_PREFIX } from './hub/service';
import { sendJson } from './http';
import type { EmulatorService, ServiceName } from './service';
import type { TrafficMeter } from './traffic';

/** Path prefix of the admin routes. */
export const ADMIN_PREFIX = '/_ark-local/';
/** Largest request header block accepted (Node's default is 16 KiB); larger ones get 431, never a crash. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Picks the surface a request is for. One port serves everything: `/_ark-local/*` admin, `/_hub/*` the model
 * hub (TOS bucket names cannot start with "_", so neither prefix can shadow a path-style bucket), `/api/v3/*`
 * chat, anything with `?Action=` the Ark control plane (any Host, as the real gateway accepts both ark.* and
 * open.*), everything else TOS.
 */
export function route(url: URL): ServiceName {
  if (url.pathname.startsWith(ADMIN_PREFIX) || url.pathname === ADMIN_PREFIX.slice(0, -1)) return 'admin';
  if (url.pathname.startsWith(`${HUB_PREFIX}/`)) return 'hub';
  if (url.pathname === CHAT_BASE_PATH || url.pathname.startsWith(`${CHAT_BASE_PATH}/`)) return 'chat';
  if (url.searchParams.has('Action')) return 'ark';
  return 'tos';
}

/** How long a request's header block may take to arrive, by default; a slower sender is answered 408 and cut. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;

export interface ServerOptions {
  /** Bound on the arrival of a request's headers (default DEFAULT_HEADERS_TIMEOUT_MS); bodies have none. */
  headersTimeoutMs?: number;
  /** Counts the response bytes each service sends (admin `GET /_ark-local/traffic`). */
  traffic?: TrafficMeter;
}

export function createArkLocalServer(services: Record<ServiceName, EmulatorService>, options: ServerOptions = {}): Server {
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      // 0: Node's default (300 s for the whole request) would cut a multi-GB single PUT on a slow disk; real TOS
      // accepts objects up to 5 GiB in one PUT.
      requestTimeout: 0,
      // Explicit, because Node's default is min(requestTimeout, 60 s), which is 0 (off) once requestTimeout is
      // 0: a client trickling header lines would hold its connection forever.
      headersTimeout,
      // Node checks the bound on this period (default 30 s); a fraction of the bound keeps the cut prompt.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      void dispatch(services, req, res, options.traffic);
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed requests and oversized headers: answer if the socket still can, never throw.
    if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

async function dispatch(services: Record<ServiceName, EmulatorService>, req: IncomingMessage, res: ServerResponse, traffic: TrafficMeter | undefined): Promise<void> {
  try {
    // Absolute-form targets (proxy mode) parse too; the Host header is irrelevant to routing.
    const url = new URL(req.url ?? '/', 'http://ark-local.invalid');
    const service = route(url);
    traffic?.meter(service, res);
    await services[service].handle(req, res, url);
  } catch (err) {
    // Services answer their own errors; reaching here is an emulator bug. Answer instead of crashing.
    if (!res.headersSent) {
      sendJson(res, 500, { error: { code: 'InternalError', message: `ark-local failed: ${(err as Error)?.message ?? String(err)}` } });
    } else {
      res.destroy();
    }
  }
}
