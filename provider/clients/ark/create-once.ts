import type { ProgressLog } from '../../resources/controller';
import { sleepUnlessAborted, systemClock, type Clock } from '../retry';
import { isAmbiguousFailure } from './client';

/**
 * Creates a resource through an action that has no idempotency token (CreateEndpoint, UploadModel) without ever
 * making two. When an attempt fails ambiguously (the answer was lost, a 5xx after sending), the resource is
 * looked up by name + owner tag first: found means the create took effect and its id is returned; not found
 * means it did not, so trying again is safe.
 *
 * "Not found" is only believed after several lookups spaced apart: list APIs of real clouds can lag behind a
 * create that just succeeded, and trusting a single stale listing would create a second billed endpoint.
 */
export const MAX_CREATE_ATTEMPTS = 4;
export const DEFAULT_LOOKUP_ATTEMPTS = 3;
export const DEFAULT_LOOKUP_DELAY_MS = 3_000;

export interface CreateOnceOptions {
  /** e.g. `endpoint "support-bot"`; used in log lines. */
  what: string;
  create(): Promise<string>;
  /** The id of a resource this owner already made with these inputs, if any. */
  lookup(): Promise<string | undefined>;
  log: ProgressLog;
  maxAttempts?: number;
  /** Lookups after an ambiguous failure before concluding nothing was created (default 3). */
  lookupAttempts?: number;
  /** Pause between those lookups (default 3 s). */
  lookupDelayMs?: number;
  clock?: Clock;
  /** ControllerContext.signal: the pause between lookups ends at once when it aborts. */
  signal?: AbortSignal;
}

export async function createOnce(options: CreateOnceOptions): Promise<string> {
  const maxAttempts = options.maxAttempts ?? MAX_CREATE_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.create();
    } catch (error) {
      if (!isAmbiguousFailure(error)) throw error;
      const existing = await settledLookup(options);
      if (existing) {
        options.log.info(`${options.what}: the create call failed (${(error as Error).message}) but had taken effect; using ${existing}`);
        return existing;
      }
      if (attempt >= maxAttempts) throw error;
      options.log.warn(`${options.what}: the create call failed (${(error as Error).message}) and nothing was created; trying again`);
    }
  }
}

async function settledLookup(options: CreateOnceOptions): Promise<string | undefined> {
  const attempts = options.lookupAttempts ?? DEFAULT_LOOKUP_ATTEMPTS;
  const clock = options.clock ?? systemClock;
  for (let lookup = 1; ; lookup++) {
    const existing = await options.lookup();
    if (existing || lookup >= attempts) return existing;
    await sleepUnlessAborted(clock, options.lookupDelayMs ?? DEFAULT_LOOKUP_DELAY_MS, options.signal);
  }
}
