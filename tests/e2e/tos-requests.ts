/**
 * Counts the TOS requests ark-local receives, per operation, with latency fault rules: a rule fires on every
 * matching request and counts it, and with latencyMs 0 changes nothing. Only the first matching rule fires, so
 * a counter that should also slow its operation down (to hold a copy open for a kill) is that same rule.
 */
import type { ArkLocal } from '../../emulator';

export type TosCounts = Record<string, number>;

/**
 * Replaces every fault rule of `ark` with one counter per operation (delayed by `slowMs[operation]` ms when
 * given); the returned function reads the counts since this call.
 */
export async function countTosRequests(ark: ArkLocal, operations: readonly string[], slowMs: Record<string, number> = {}): Promise<() => Promise<TosCounts>> {
  await ark.admin.clearFaults();
  const ids = new Map<string, string>();
  for (const operation of operations) {
    const rule = await ark.admin.addFault({ service: 'tos', operation, kind: 'latency', latencyMs: slowMs[operation] ?? 0 });
    ids.set(rule.id, operation);
  }
  return async () => {
    const counts: TosCounts = Object.fromEntries(operations.map((o) => [o, 0]));
    for (const rule of await ark.admin.listFaults()) {
      const operation = ids.get(rule.id);
      if (operation) counts[operation] = rule.fired;
    }
    return counts;
  };
}
