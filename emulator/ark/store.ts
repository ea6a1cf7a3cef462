import { newResourceId, type IdPrefix } from '../../provider/api/ids';
import { arkCompat, type ArkCompat } from './compat';
import { emptyControlPlaneState, type ControlPlaneState } from '../state/control-plane';
import type { StatePersistence } from '../state/persistence';
import type { Clock, TransitionPolicy } from '../state/transitions';

export interface ControlPlaneStoreDeps {
  persistence: StatePersistence;
  clock: Clock;
  policy: TransitionPolicy;
  random?: () => number;
  /** Permissive readings asked for (compat.ts); absent ones take the restrictive default. */
  compat?: Partial<ArkCompat>;
}

/**
 * What every resource module of the control plane shares: the one persisted state, the clock, the transition
 * policy and id generation. Modules read `state` afresh on every access, because a reset replaces it (a step
 * that awaited an import must notice its record is gone).
 */
export class ControlPlaneStore {
  state: ControlPlaneState;
  policy: TransitionPolicy;
  readonly compat: ArkCompat;
  private readonly initialPolicy: TransitionPolicy;

  constructor(private readonly deps: ControlPlaneStoreDeps) {
    this.state = deps.persistence.load();
    this.policy = deps.policy;
    this.initialPolicy = deps.policy;
    this.compat = arkCompat(deps.compat);
  }

  now(): number {
    return this.deps.clock();
  }

  newId(prefix: IdPrefix, now: number): string {
    return newResourceId(prefix, new Date(now), this.deps.random);
  }

  persist(): void {
    this.deps.persistence.save(this.state);
  }

  /** Empty state and the start-up transition policy, persisted. */
  reset(): void {
    this.state = emptyControlPlaneState();
    this.policy = this.initialPolicy;
    this.persist();
  }
}

/**
 * The Get/mutation path of one lazily advancing record: take the steps due (persisting if any happened) and
 * return the record, or `notFound()` when it is absent or went away while advancing (a finished delete).
 */
export async function advanceFound<R>(
  store: ControlPlaneStore,
  find: () => R | undefined,
  advanceRecord: (record: R) => Promise<boolean>,
  notFound: () => Error,
): Promise<R> {
  const record = find();
  if (!record) throw notFound();
  if (await advanceRecord(record)) store.persist();
  const after = find();
  if (!after) throw notFound();
  return after;
}

/** The List path: takes the steps due for every record without persisting; returns whether anything changed. */
export async function advanceEvery<R>(records: readonly R[], advanceRecord: (record: R) => Promise<boolean>): Promise<boolean> {
  let changed = false;
  // A copy: a finished delete removes its record from the live array.
  for (const record of [...records]) changed = (await advanceRecord(record)) || changed;
  return changed;
}

/** RFC 3339 without milliseconds, as the Ark docs show (`2024-01-01T00:00:00Z`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Callers get copies: the records in the store are live state. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}
