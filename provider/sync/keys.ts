/**
 * Object keys under a sync prefix. Every key the sync writes or deletes goes through here, so "never touch
 * anything outside the prefix" is enforced in one place rather than trusted to each caller.
 */

export class PrefixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefixError';
  }
}

/**
 * `models/qwen` and `/models/qwen/` both become `models/qwen/`. An empty prefix (the bucket root) is refused:
 * deleting "everything not in the directory" there would mean the whole bucket.
 */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  const withSlash = trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
  if (withSlash === '/') {
    throw new PrefixError(`prefix "${prefix}": expected a non-empty key prefix such as "models/qwen/", found the bucket root`);
  }
  const segments = withSlash.slice(0, -1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new PrefixError(`prefix "${prefix}": expected '/'-separated names without empty, "." or ".." segments, found "${withSlash}"`);
  }
  return withSlash;
}

function isSafeRelativePath(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.includes('\\')) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** The object key for a relative file path; throws if the result could leave the prefix. */
export function keyFor(prefix: string, rel: string): string {
  if (!isSafeRelativePath(rel)) {
    throw new PrefixError(`file "${rel}": expected a relative path inside the directory, found one that would leave prefix "${prefix}"`);
  }
  return `${prefix}${rel}`;
}

/** The relative path of a key under `prefix`, or undefined for keys outside it and for "directory" markers. */
export function relativeKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rel = key.slice(prefix.length);
  return isSafeRelativePath(rel) ? rel : undefined;
}

/** Last line of defence before any delete: the key must lie strictly inside the prefix. */
export function assertInsidePrefix(prefix: string, key: string): void {
  if (relativeKey(prefix, key) === undefined) {
    throw new PrefixError(`refusing to delete "${key}": expected a key strictly inside prefix "${prefix}"`);
  }
}
