import { ZERO_BLOB, type Segment } from './blobs';

/**
 * How many object and part segments reference each stored blob. Copies make objects share blobs (a copy
 * references its source's ranges), so a blob is freed only once nothing references it any more. Counted per
 * segment: an object that references one blob twice holds two references. ZERO_BLOB is never stored and never
 * counted.
 */
export class BlobRefs {
  private readonly counts = new Map<string, number>();

  retain(segments: readonly Segment[]): void {
    for (const { blob } of segments) {
      if (blob !== ZERO_BLOB) this.counts.set(blob, (this.counts.get(blob) ?? 0) + 1);
    }
  }

  /** Drops one reference per segment; returns the blobs nothing references any more (the caller removes them). */
  release(segments: readonly Segment[]): string[] {
    const freed: string[] = [];
    for (const { blob } of segments) {
      if (blob === ZERO_BLOB) continue;
      const left = (this.counts.get(blob) ?? 0) - 1;
      if (left > 0) {
        this.counts.set(blob, left);
      } else {
        this.counts.delete(blob);
        freed.push(blob);
      }
    }
    return freed;
  }

  isReferenced(blob: string): boolean {
    return this.counts.has(blob);
  }

  /** Every referenced blob: what a restart keeps. */
  live(): Set<string> {
    return new Set(this.counts.keys());
  }

  clear(): void {
    this.counts.clear();
  }
}
