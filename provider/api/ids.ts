/**
 * Resource id formats (reference: ark-api.md §6). The timestamp is the creation time in UTC+8 in the real
 * service; ark-local uses UTC, which no client can tell apart.
 */
export const ENDPOINT_ID_PATTERN = /^ep-\d{14}-[a-z0-9]{5}$/;
export const CUSTOM_MODEL_ID_PATTERN = /^cm-\d{14}-[a-z0-9]{5}$/;

/**
 * Base-model (model card) ids, `fm-…` [C-cli] ark-cli (`--base-model <fm-id>`, `--base-model-ids fm-xxxxx`;
 * reference ark-api-2026.md F6). Their shape after the prefix is not documented, so only the prefix and a
 * character set without spaces or slashes are checked.
 */
export const FOUNDATION_MODEL_ID_PATTERN = /^fm-[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * `eprol` ids name a rolling model switch of an endpoint (provider/api/ark-rolling.ts). Model units have no public
 * API; ark-local invents `mu-` ids in the same shape, and the provider accepts any id (docs/api-assumptions.md).
 */
export type IdPrefix = 'ep' | 'cm' | 'mu' | 'eprol';

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function newResourceId(prefix: IdPrefix, now: Date, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[Math.floor(random() * SUFFIX_ALPHABET.length)];
  return `${prefix}-${compactTimestamp(now)}-${suffix}`;
}
