import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One of the surfaces ark-local serves on its single port. The server picks the service from the request
 * (see `route` in server.ts) and hands it the parsed URL; each service owns its parsing, its behaviour and
 * its error envelope.
 */
export interface EmulatorService {
  readonly name: ServiceName;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export type ServiceName = 'ark' | 'tos' | 'chat' | 'admin' | 'hub';
