import { type Clock, systemClock } from '../retry';

/**
 * A generic poller for long-running operations: poll a status until it is in the table's success set, fail
 * fast on a failure status (with the service's reason), give up at a deadline with the last status observed,
 * and report progress after every poll. Backoff between polls grows geometrically up to a cap.
 *
 * A status in none of the lists is one the service added after this code was written (newer SDKs treat the
 * status as a free string). It is waited through like a pending one, shown raw in the progress line, and
 * named in the timeout error: only the deadline ends a wait that never leaves it.
 */

/** Pseudo-status a status function reports when the resource no longer exists. */
export const GONE = 'Gone';

export interface Acceptors {
  /** Statuses that end the wait successfully. */
  success: readonly string[];
  /** Statuses from which the goal can no longer be reached. */
  failure: readonly string[];
  /** Known statuses to keep waiting through. A status in no list is unknown and waited through as well. */
  pending: readonly string[];
}

export interface Observation<T> {
  status: string;
  /** The service's explanation (StatusReason), reported in failures and timeouts. */
  reason?: string;
  /** The object read, handed back to the caller on success. Absent when GONE. */
  value?: T;
}

export interface PollInterval {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/** The real service takes minutes to import a model or schedule an endpoint; ≥10 s between polls is advised. */
export const DEFAULT_POLL_INTERVAL: PollInterval = { initialMs: 2_000, maxMs: 15_000, factor: 1.5 };

/** Poll interval for an explicit first interval (e.g. a few ms against ark-local). */
export function pollIntervalFrom(initialMs: number | undefined): PollInterval {
  if (initialMs === undefined) return DEFAULT_POLL_INTERVAL;
  return { initialMs, maxMs: Math.max(initialMs, Math.min(DEFAULT_POLL_INTERVAL.maxMs, initialMs * 8)), factor: 1.5 };
}

export interface Progress {
  status: string;
  elapsedMs: number;
  /** The status is in none of the acceptor lists. */
  unknown?: true;
}

/** True when no acceptor list names `status`. */
export function isUnknownStatus(acceptors: Acceptors, status: string): boolean {
  return !acceptors.success.includes(status) && !acceptors.failure.includes(status) && !acceptors.pending.includes(status);
}

export interface WaitOptions<T> {
  /** The thing waited for, e.g. `endpoint ep-20250101000000-abcde`. */
  what: string;
  /** The goal in words, e.g. `Running`. */
  goal: string;
  poll(): Promise<Observation<T>>;
  acceptors: Acceptors;
  timeoutMs: number;
  interval?: PollInterval;
  clock?: Clock;
  onProgress?(progress: Progress): void;
}

export interface WaitResult<T> {
  status: string;
  value?: T;
  elapsedMs: number;
}

export class WaitTimeoutError<T = unknown> extends Error {
  constructor(
    readonly what: string,
    readonly goal: string,
    readonly lastStatus: string,
    readonly lastReason: string | undefined,
    readonly elapsedMs: number,
    readonly timeoutMs: number,
    /** The object as last read, so a caller can still report what it knows. */
    readonly lastValue?: T,
    /** Statuses seen that no acceptor list names, in order of first sight. */
    readonly unknownStatuses: readonly string[] = [],
  ) {
    super(
      `timed out after ${formatSeconds(elapsedMs)} waiting for ${what} to become ${goal}: ` +
        `its last status was ${lastStatus}${lastReason ? ` (${lastReason})` : ''}; the limit was ${formatSeconds(timeoutMs)}` +
        (unknownStatuses.length
          ? `. Ark reported ${unknownStatuses.length === 1 ? 'a status' : 'statuses'} pulumi-ark does not know ` +
            `(${unknownStatuses.join(', ')}) and waited through ${unknownStatuses.length === 1 ? 'it' : 'them'}`
          : ''),
    );
    this.name = 'WaitTimeoutError';
  }
}

export class WaitFailedError<T = unknown> extends Error {
  constructor(
    readonly what: string,
    readonly goal: string,
    readonly status: string,
    readonly reason: string | undefined,
    readonly value: T | undefined,
  ) {
    super(`${what} reached status ${status} while waiting for ${goal}` + (reason ? `: ${reason}` : ''));
    this.name = 'WaitFailedError';
  }
}

export async function waitFor<T>(options: WaitOptions<T>): Promise<WaitResult<T>> {
  const clock = options.clock ?? systemClock;
  const interval = options.interval ?? DEFAULT_POLL_INTERVAL;
  const started = clock.now();
  let delayMs = interval.initialMs;
  const unknownStatuses: string[] = [];
  for (;;) {
    const observed = await options.poll();
    const elapsedMs = clock.now() - started;
    const { success, failure } = options.acceptors;
    if (success.includes(observed.status)) return { status: observed.status, value: observed.value, elapsedMs };
    if (failure.includes(observed.status)) {
      throw new WaitFailedError(options.what, options.goal, observed.status, observed.reason, observed.value);
    }
    const unknown = isUnknownStatus(options.acceptors, observed.status);
    if (unknown && !unknownStatuses.includes(observed.status)) unknownStatuses.push(observed.status);
    options.onProgress?.({ status: observed.status, elapsedMs, ...(unknown ? { unknown: true as const } : {}) });
    if (elapsedMs >= options.timeoutMs) {
      throw new WaitTimeoutError(
        options.what,
        options.goal,
        observed.status,
        observed.reason,
        elapsedMs,
        options.timeoutMs,
        observed.value,
        unknownStatuses,
      );
    }
    // Never sleep past the deadline: the last poll happens at the deadline, so a late success still counts.
    await clock.sleep(Math.min(delayMs, options.timeoutMs - elapsedMs));
    delayMs = Math.min(interval.maxMs, delayMs * interval.factor);
  }
}

export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
