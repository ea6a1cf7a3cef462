import { z } from 'zod';

/**
 * Input fields several resources declare the same way. Each takes its own description, because what a field
 * does differs per resource even when its shape does not.
 */

/** The longest wait any resource accepts: a day. */
export const MAX_WAIT_SECONDS = 86_400;

/** An optional wait limit in whole seconds. */
export function waitSecondsInput(description: string) {
  return z.number().int().positive().max(MAX_WAIT_SECONDS).optional().describe(description);
}

/** User tags as a map; key and value limits are Ark's tag limits (provider/api/ark.ts TagSchema). */
export function tagsInput(description: string) {
  return z.record(z.string().min(1).max(128), z.string().max(256)).describe(description);
}

/** The owner tag value the resource class fills in (see ownerTagFor in dynamic-shim.ts). */
export function ownerInput(description: string) {
  return z.string().min(1).describe(description);
}
