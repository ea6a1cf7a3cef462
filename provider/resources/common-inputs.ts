import { z } from 'zod';
import { OWNER_TAG_KEY } from './dynamic-shim';

/**
 * Input fields several resources declare the same way, and the documented service limits they enforce. Each
 * field takes its own description, because what a field does differs per resource even when its shape does not.
 * Every limit names its source; the descriptions repeat them, so schema.json and the preview's check failures
 * show them before anything is created.
 */

/** The longest wait any resource accepts: a day (our own bound, not a service limit). */
export const MAX_WAIT_SECONDS = 86_400;

/**
 * Volcengine resource tags (TagResources, e.g. volcengine.com/docs/6406/129519 and /docs/6405/129346): at most 50
 * user tags per resource, keys 1-128 characters not starting with `volc:` or `sys:` in any case, values 0-256
 * characters. Ark's own pages state no tag limits (ark-api.md §2.1); applying the platform's is an assumption,
 * see docs/api-assumptions.md.
 */
export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
const RESERVED_TAG_KEY = /^(volc|sys):/i;

/** The owner tag (`pulumi-ark-owner`) is one of the resource's tags, so users get one fewer. */
export const MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - 1;

/**
 * TOS object keys are 1-1024 bytes of UTF-8 (TOS object naming rules: docs.byteplus.com/api/docs/tos/
 * docs-common-concepts, the same service as Volcengine TOS). A prefix can therefore hold at most 1023 bytes.
 */
export const MAX_OBJECT_KEY_BYTES = 1024;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** An optional wait limit in whole seconds. */
export function waitSecondsInput(description: string) {
  return z.number().int().positive().max(MAX_WAIT_SECONDS).optional().describe(description);
}

/** User tags as a map, checked against the Volcengine tag limits above with the owner tag counted. */
export function tagsInput(description: string) {
  const key = z
    .string()
    .min(1)
    .max(MAX_TAG_KEY_LENGTH)
    .refine((k) => !RESERVED_TAG_KEY.test(k), 'tag keys starting with "volc:" or "sys:" are reserved by Volcengine')
    .refine((k) => k !== OWNER_TAG_KEY, `"${OWNER_TAG_KEY}" is the owner tag this package sets itself`);
  return z
    .record(key, z.string().max(MAX_TAG_VALUE_LENGTH))
    .refine((tags) => Object.keys(tags).length <= MAX_USER_TAGS, {
      message: `at most ${MAX_USER_TAGS} tags: Volcengine allows ${MAX_TAGS_PER_RESOURCE} per resource and the owner tag is one of them`,
    })
    .describe(
      `${description} At most ${MAX_USER_TAGS} (Volcengine allows ${MAX_TAGS_PER_RESOURCE} tags per resource, one is the owner tag); ` +
        `keys 1-${MAX_TAG_KEY_LENGTH} characters, not starting with "volc:" or "sys:"; values up to ${MAX_TAG_VALUE_LENGTH} characters.`,
    );
}

/**
 * The owner tag value the resource class fills in (see ownerTagFor in dynamic-shim.ts): `project/stack/name`. It
 * is a Volcengine tag value on Ark resources (≤ 256 characters, above) and travels as the HTTP header
 * `x-tos-meta-pulumi-ark-owner` on every object; TOS states no user-metadata limit, and the same bound keeps the
 * header far below every server's header limit (a 1 MB owner made requests fail with 431).
 */
export function ownerInput(description: string) {
  return z
    .string()
    .min(1)
    .max(MAX_TAG_VALUE_LENGTH, `the owner (project/stack/resource name) must fit a Volcengine tag value of ${MAX_TAG_VALUE_LENGTH} characters; shorten the resource name`)
    .describe(`${description} At most ${MAX_TAG_VALUE_LENGTH} characters (a Volcengine tag value).`);
}
