import type { ProgressLog } from '../../resources/controller';
import { isAmbiguousFailure } from './client';

/**
 * Creates a resource through an action that has no idempotency token (CreateEndpoint, UploadModel) without ever
 * making two. When an attempt fails ambiguously (the answer was lost, a 5xx after sending), the resource is
 * looked up by name + owner tag first: found means the create took effect and its id is returned; not found
 * means it did not, so trying again is safe.
 */
export const MAX_CREATE_ATTEMPTS = 4;

export interface CreateOnceOptions {
  /** e.g. `endpoint "support-bot"`; used in log lines. */
  what: string;
  create(): Promise<string>;
  /** The id of a resource this owner already made with these inputs, if any. */
  lookup(): Promise<string | undefined>;
  log: ProgressLog;
  maxAttempts?: number;
}

export async function createOnce(options: CreateOnceOptions): Promise<string> {
  const maxAttempts = options.maxAttempts ?? MAX_CREATE_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await options.create();
    } catch (error) {
      if (!isAmbiguousFailure(error)) throw error;
      const existing = await options.lookup();
      if (existing) {
        options.log.info(`${options.what}: the create call failed (${(error as Error).message}) but had taken effect; using ${existing}`);
        return existing;
      }
      if (attempt >= maxAttempts) throw error;
      options.log.warn(`${options.what}: the create call failed (${(error as Error).message}) and nothing was created; trying again`);
    }
  }
}
