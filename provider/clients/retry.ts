/**
 * Retry with exponential backoff and full jitter, shared by the Ark and TOS clients. The caller decides per
 * error whether it may be retried (`classify`); this module only owns the loop, the delays and the clock, so
 * the same rules can be unit-tested with a fake clock.
 */

/** Time source and sleeper; injected so waits and backoffs run instantly under test. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * `clock.sleep(ms)` that ends early, rejecting with the signal's reason, when `signal` aborts (the engine went
 * away): a long wait must not keep a provider alive whose caller is gone.
 */
export async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return clock.sleep(ms);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([clock.sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

export interface RetryPolicy {
  /** Attempts allowed to fail with a server or network error (the call gives up at this many). */
  maxAttempts: number;
  /**
   * Attempts allowed to fail with throttling, counted separately. Throttling means "slow down", not "broken": the request
   * was refused, so it is safe and useful to keep trying longer than for 5xx.
   */
  maxThrottleAttempts: number;
  /** Delay cap of the first retry; doubles each attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  maxThrottleAttempts: 20,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
};

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff And Jitter): a uniformly random delay in
 * [0, min(cap, base * 2^retry)). It spreads concurrent clients apart better than equal or no jitter.
 * `retry` is 0 for the first retry.
 */
export function fullJitterDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/** What to do with a failure: give up, retry, or retry under the throttling budget. */
export type RetryDecision = 'fail' | 'retry' | 'retry-throttled';

export interface RetryOptions {
  policy: RetryPolicy;
  classify(error: unknown): RetryDecision;
  clock?: Clock;
  random?: () => number;
  /** Called before each sleep; for logs and tests. */
  onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
  /**
   * Once aborted (ControllerContext.signal), no attempt starts and a backoff sleep ends at once: the loop
   * rejects with the signal's reason, so a throttled call never outlives a cancelled operation.
   */
  signal?: AbortSignal;
}

/**
 * Runs `operation(attempt)` (attempt counts from 1) until it succeeds, `classify` says "fail", or the budget
 * of a failure kind is spent (each kind counts its own failures); then the last error is thrown unchanged.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  // Each kind spends its own budget: a few throttles must not use up the allowance for a 5xx, or vice versa.
  const failures = { retry: 0, 'retry-throttled': 0 };
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      // The failure of an attempt the abort cut short is the abort, not something to retry or report.
      options.signal?.throwIfAborted();
      const decision = options.classify(error);
      if (decision === 'fail') throw error;
      failures[decision] += 1;
      const budget = decision === 'retry-throttled' ? options.policy.maxThrottleAttempts : options.policy.maxAttempts;
      if (failures[decision] >= budget) throw error;
      const delayMs = fullJitterDelay(attempt - 1, options.policy, options.random);
      options.onRetry?.({ attempt, delayMs, error });
      await sleepUnlessAborted(clock, delayMs, options.signal);
    }
  }
}

/** HTTP statuses that mean "try again later" whatever the service: throttled, or a transient server fault. */
export function isRetryableHttpStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Socket error codes raised before anything reached the server: a retry cannot duplicate work. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Socket error codes of a connection that broke or timed out; the server may or may not have acted. */
const BROKEN_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT']);

export interface NetworkFailure {
  code: string;
  /** False only when the request certainly never reached the server. */
  maybeSent: boolean;
}

/** Recognises Node socket errors; undefined for anything else (HTTP answers, programming errors). */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
  // Duck-typed, not `instanceof Error`: Node core errors come from another realm under test runners (jest's vm).
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return { code, maybeSent: false };
  if (typeof code === 'string' && BROKEN_CONNECTION_CODES.has(code)) return { code, maybeSent: true };
  if (message === 'socket hang up') return { code: 'ECONNRESET', maybeSent: true };
  return undefined;
}
