import { z } from 'zod';

/**
 * How fast ark-local's asynchronous states (endpoint Scheduling, model import Preparing/Processing, Deleting)
 * move on. There are no background timers: a resource advances only when it is read (GetX / ListX), which
 * keeps tests deterministic and lets a restarted emulator carry on where it stopped.
 *
 * - `immediate`: the first read already sees the settled state (equivalent to `after-reads:0`).
 * - `after-reads N`: each transitional state is observed by exactly N reads; read N+1 sees the next state.
 * - `after-seconds S`: each transitional state lasts S seconds of the (injectable) clock.
 */
export const TransitionPolicySchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('immediate') }),
  z.strictObject({ mode: z.literal('after-reads'), reads: z.number().int().min(0).max(1_000_000) }),
  z.strictObject({ mode: z.literal('after-seconds'), seconds: z.number().min(0).max(86_400) }),
]);
export type TransitionPolicy = z.infer<typeof TransitionPolicySchema>;

export const DEFAULT_TRANSITION_POLICY: TransitionPolicy = { mode: 'immediate' };

/** Milliseconds since the epoch; injectable so tests can move time without waiting. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** Parses the CLI form: `immediate`, `after-reads:3`, `after-seconds:20`. */
export function parseTransitionPolicy(text: string): TransitionPolicy {
  const [mode, arg, ...rest] = text.trim().split(':');
  const number = arg === undefined ? NaN : Number(arg);
  const candidate =
    mode === 'immediate' && arg === undefined
      ? { mode }
      : mode === 'after-reads'
        ? { mode, reads: number }
        : mode === 'after-seconds'
          ? { mode, seconds: number }
          : undefined;
  const parsed = rest.length === 0 && candidate ? TransitionPolicySchema.safeParse(candidate) : undefined;
  if (!parsed?.success) {
    throw new Error(`transition policy "${text}" is not valid; expected "immediate", "after-reads:N" (N >= 0) or "after-seconds:S" (0 <= S <= 86400)`);
  }
  return parsed.data;
}

export function formatTransitionPolicy(policy: TransitionPolicy): string {
  switch (policy.mode) {
    case 'immediate':
      return 'immediate';
    case 'after-reads':
      return `after-reads:${policy.reads}`;
    case 'after-seconds':
      return `after-seconds:${policy.seconds}`;
  }
}

/** Where a resource stands in its current (transitional) state. Persisted with the resource. */
export interface Progress {
  /** When the current state began (clock ms). */
  enteredAt: number;
  /** Reads that have observed the current state. */
  reads: number;
}

export function freshProgress(now: number): Progress {
  return { enteredAt: now, reads: 0 };
}

/** Whether a resource in a transitional state is due to take its next step at this read. */
export function isDue(progress: Progress, policy: TransitionPolicy, now: number): boolean {
  switch (policy.mode) {
    case 'immediate':
      return true;
    case 'after-reads':
      return progress.reads >= policy.reads;
    case 'after-seconds':
      return now - progress.enteredAt >= policy.seconds * 1000;
  }
}

/**
 * Progress of the state entered by a step taken at `now`. Under after-seconds the new state is dated from the
 * moment the old one ended, so a read long after creation sees every step that has elapsed, not just one.
 */
export function progressAfterStep(previous: Progress, policy: TransitionPolicy, now: number): Progress {
  if (policy.mode === 'after-seconds') return { enteredAt: previous.enteredAt + policy.seconds * 1000, reads: 0 };
  return freshProgress(now);
}

/**
 * Drives one resource at a read: takes every step that is due (each via `step`), then, when `countRead`, counts
 * the read against the state it ends in (mutating actions take due steps without counting a read).
 * `isTransitional` says whether the current state moves on by itself; `step` performs one transition and
 * returns false when the resource is gone (e.g. Deleting -> removed).
 * Returns whether anything changed (so the caller persists).
 */
export async function advanceOnRead(
  policy: TransitionPolicy,
  now: number,
  countRead: boolean,
  resource: {
    progress: () => Progress;
    setProgress: (p: Progress) => void;
    isTransitional: () => boolean;
    step: () => Promise<boolean>;
  },
): Promise<boolean> {
  let changed = false;
  // Bounded: a state machine has a handful of steps; the bound guards against a cycle.
  for (let i = 0; i < 16 && resource.isTransitional(); i++) {
    const before = resource.progress();
    if (!isDue(before, policy, now)) {
      if (!countRead) return changed;
      resource.setProgress({ ...before, reads: before.reads + 1 });
      return true;
    }
    const exists = await resource.step();
    changed = true;
    if (!exists) return true;
    resource.setProgress(progressAfterStep(before, policy, now));
  }
  return changed;
}
