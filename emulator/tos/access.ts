import { TosError } from './errors';
import { isForeignBucket } from './records';
import type { TosOperation } from './routing';
import type { ObjectStore } from './store';

/**
 * Every key ark-local accepts is one account's (the one its listings name as owner), so a bucket another
 * account owns answers every request with 403 AccessDenied, as TOS answers a bucket without a policy granting
 * the caller anything. CreateBucket is the exception: the name is taken, which its own code says.
 */
export async function checkBucketAccess(store: ObjectStore, operation: TosOperation, bucket: string | undefined): Promise<void> {
  if (bucket === undefined || operation === 'CreateBucket') return;
  const record = await store.findBucket(bucket);
  if (record && isForeignBucket(record)) {
    throw new TosError('AccessDenied', `Bucket "${bucket}" belongs to another account; this request's credentials have no access to it.`, `/${bucket}`);
  }
}
