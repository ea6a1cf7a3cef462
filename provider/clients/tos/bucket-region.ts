/**
 * Ark imports only from TOS buckets in its own region (C-cli "cross-region imports fail"; the ListFoundationModels
 * doc says the same for cn-beijing). HeadBucket reports a bucket's region in `x-tos-bucket-region` (tos-protocol.md
 * §B), so the mismatch is found at preview, not by the import after the upload.
 */

export const BUCKET_REGION_HEADER = 'x-tos-bucket-region';

/** The reason to refuse, or undefined when the regions match or the bucket's region is not reported. */
export function regionMismatch(bucket: string, bucketRegion: string | undefined, arkRegion: string): string | undefined {
  if (!bucketRegion || bucketRegion === arkRegion) return undefined;
  return (
    `expected TOS bucket ${bucket} in Ark's region ${arkRegion}, found it in ${bucketRegion}; Ark imports only from ` +
    `buckets in its own region. Use a bucket in ${arkRegion}, or set ark:region to ${bucketRegion} if Ark runs there`
  );
}
