import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TosClient } from '@volcengine/tos-sdk';
import { FaultInjector } from '../../emulator/faults';
import { credentialMap, DEFAULT_CREDENTIAL } from '../../emulator/options';
import { createObjectStore, createTosService, type ObjectStore } from '../../emulator/tos';

/**
 * The TOS service alone on an ephemeral 127.0.0.1 port, with direct access to its store and fault injector, so
 * the TOS tests can count requests per operation (a latency-0 fault rule's `fired`) and restart the store.
 */
export interface TosHarness {
  endpoint: string;
  store: ObjectStore;
  faults: FaultInjector;
  client(overrides?: Partial<ConstructorParameters<typeof TosClient>[0]>): TosClient;
  close(): Promise<void>;
}

export async function startTosHarness(opts: { dataDir?: string } = {}): Promise<TosHarness> {
  const store = createObjectStore(opts.dataDir ? { dataDir: opts.dataDir } : {});
  const faults = new FaultInjector();
  const service = createTosService({ store, credentials: credentialMap([DEFAULT_CREDENTIAL]), faults });
  const server: Server = createServer((req, res) => {
    void service.handle(req, res, new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    store,
    faults,
    client: (overrides = {}) =>
      new TosClient({
        accessKeyId: DEFAULT_CREDENTIAL.accessKeyId,
        accessKeySecret: DEFAULT_CREDENTIAL.secretAccessKey,
        region: 'cn-beijing',
        endpoint,
        secure: false,
        enableCRC: true,
        ...overrides,
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The SDK error's status/code pair, or a failure naming what resolved instead. */
export async function tosFailure(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; ec?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { statusCode?: number; code?: string; ec?: string; message: string };
    return { statusCode: e.statusCode, code: e.code, ec: e.ec, message: e.message };
  }
  throw new Error('expected the TOS call to fail, but it succeeded');
}
