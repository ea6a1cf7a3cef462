import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import type { FaultRuleInput } from '../../emulator/faults';

/**
 * ark-local on an ephemeral 127.0.0.1 port, seen through the official TOS SDK, plus the admin side door the TOS
 * tests need: fault rules, and request counting per operation (a latency-0 fault rule matches without changing
 * anything, and its `fired` count is the number of requests).
 */
export interface TosHarness {
  ark: ArkLocal;
  client(overrides?: Partial<ConstructorParameters<typeof TosClient>[0]>): TosClient;
  addFault(rule: FaultRuleInput): Promise<string>;
  /** How many times a rule fired so far. */
  fired(ruleId: string): Promise<number>;
  /** Starts counting requests of one TOS operation; the returned function reads the count. */
  counter(operation: string): Promise<() => Promise<number>>;
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

export async function startTosHarness(opts: { dataDir?: string } = {}): Promise<TosHarness> {
  const ark = await startArkLocal({ quiet: true, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  const fired = async (ruleId: string): Promise<number> => (await ark.admin.listFaults()).find((r) => r.id === ruleId)?.fired ?? 0;
  const addFault = async (rule: FaultRuleInput): Promise<string> => (await ark.admin.addFault(rule)).id;
  return {
    ark,
    client: (overrides = {}) =>
      new TosClient({
        accessKeyId: ark.credential.accessKeyId,
        accessKeySecret: ark.credential.secretAccessKey,
        region: ark.region,
        endpoint: ark.tosEndpoint,
        secure: false,
        enableCRC: true,
        ...overrides,
      }),
    addFault,
    fired,
    async counter(operation) {
      const id = await addFault({ service: 'tos', operation, kind: 'latency', latencyMs: 0 });
      return () => fired(id);
    },
    clearFaults: () => ark.admin.clearFaults(),
    close: () => ark.close(),
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
