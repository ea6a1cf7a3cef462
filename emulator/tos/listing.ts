/**
 * One page of a prefix/delimiter listing over keys in sorted order, as ListObjectsType2 and
 * ListMultipartUploads define it: keys under `prefix` whose remainder contains `delimiter` roll up into one
 * common prefix, and each key or common prefix counts once against `maxKeys`.
 */
export interface ListPageRequest {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  /** Resume after this entry (a key, or a common prefix, whose whole group is then skipped). */
  marker?: string;
}

export type ListEntry<T> = { kind: 'item'; key: string; item: T } | { kind: 'prefix'; prefix: string };

export interface ListPage<T> {
  entries: ListEntry<T>[];
  isTruncated: boolean;
  /** The last entry's key or prefix, when truncated: pass it back as `marker`. */
  nextMarker?: string;
}

export function listPage<T>(sorted: readonly { key: string; item: T }[], req: ListPageRequest): ListPage<T> {
  const { prefix, delimiter, maxKeys, marker } = req;
  if (maxKeys <= 0) return { entries: [], isTruncated: false };
  const markerIsGroup = marker !== undefined && !!delimiter && marker.length > prefix.length && marker.startsWith(prefix) && marker.endsWith(delimiter);
  const from = firstIndexAbove(sorted, marker !== undefined && marker > prefix ? marker : prefix, marker !== undefined && marker >= prefix);
  const entries: ListEntry<T>[] = [];
  let lastGroup: string | undefined = markerIsGroup ? marker : undefined;
  for (let i = from; i < sorted.length; i++) {
    const { key, item } = sorted[i]!;
    if (!key.startsWith(prefix)) {
      if (key > prefix) break;
      continue;
    }
    if (lastGroup !== undefined && key.startsWith(lastGroup)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry: ListEntry<T> = cut >= 0 ? { kind: 'prefix', prefix: key.slice(0, cut + delimiter!.length) } : { kind: 'item', key, item };
    if (entries.length === maxKeys) {
      const last = entries[entries.length - 1];
      return { entries, isTruncated: true, nextMarker: last === undefined ? undefined : last.kind === 'item' ? last.key : last.prefix };
    }
    entries.push(entry);
    lastGroup = entry.kind === 'prefix' ? entry.prefix : undefined;
  }
  return { entries, isTruncated: false };
}

/** Index of the first key > bound (or >= bound when `exclusive` is false), by binary search. */
function firstIndexAbove(sorted: readonly { key: string }[], bound: string, exclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = sorted[mid]!.key;
    if (k < bound || (exclusive && k === bound)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Continuation tokens are opaque to clients; ours wrap the marker so a client cannot mistake it for a key. */
export function encodeContinuationToken(marker: string): string {
  return Buffer.from(marker, 'utf8').toString('base64url');
}

export function decodeContinuationToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  return Buffer.from(token, 'base64url').toString('utf8');
}
