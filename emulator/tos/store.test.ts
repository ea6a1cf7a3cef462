/**
 * CompleteMultipartUpload is idempotent and crash-safe: a retried Complete of a finished upload answers with the
 * same object and keeps its data, also after a restart that finds the upload still recorded because the server
 * died between writing the object record and removing the upload record.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createObjectStore, TOS_DATA_SUBDIR, type ObjectStore } from './store';

const BUCKET = 'models';
const KEY = 'sft/model.safetensors';
const DATA = Buffer.from('the weights of a fine-tuned model');

async function uploadedOnePart(store: ObjectStore): Promise<{ uploadId: string; etag: string }> {
  await store.createBucket(BUCKET, 'cn-beijing');
  const upload = await store.createUpload(BUCKET, KEY, { httpHeaders: {}, meta: { 'x-tos-meta-pulumi-ark-owner': 'p/s/w' } });
  const part = await store.uploadPart(BUCKET, KEY, upload.uploadId, 1, Readable.from([DATA]), {});
  return { uploadId: upload.uploadId, etag: part.etag };
}

describe('CompleteMultipartUpload', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tos-store-'));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  it('answers a retried Complete with the same object and keeps its data', async () => {
    const store = createObjectStore();
    const { uploadId, etag } = await uploadedOnePart(store);
    const first = await store.completeUpload(BUCKET, KEY, uploadId, [{ PartNumber: 1, ETag: etag }]);
    const retried = await store.completeUpload(BUCKET, KEY, uploadId, [{ PartNumber: 1, ETag: etag }]);
    expect(retried).toEqual(first);
    expect(await store.readRange(BUCKET, KEY, 0, DATA.length)).toEqual(DATA);
    expect(await store.listUploads(BUCKET)).toEqual([]);
  });

  it('still refuses an upload id that never completed here', async () => {
    const store = createObjectStore();
    await uploadedOnePart(store);
    await expect(store.completeUpload(BUCKET, KEY, 'f'.repeat(32), 'all')).rejects.toMatchObject({ code: 'NoSuchUpload' });
  });

  it('survives a crash between writing the object record and removing the upload record', async () => {
    const store = createObjectStore({ dataDir });
    const { uploadId, etag } = await uploadedOnePart(store);
    // The upload's record files as they were just before the Complete removed them.
    const uploadDir = path.join(dataDir, TOS_DATA_SUBDIR, 'state', 'uploads', uploadId);
    const saved = path.join(dataDir, 'saved-upload');
    await fs.cp(uploadDir, saved, { recursive: true });
    const completed = await store.completeUpload(BUCKET, KEY, uploadId, [{ PartNumber: 1, ETag: etag }]);
    // The crash: the object record was written, the upload record is still there.
    await fs.cp(saved, uploadDir, { recursive: true });

    const restarted = createObjectStore({ dataDir });
    expect(await restarted.listUploads(BUCKET)).toEqual([]);
    const retried = await restarted.completeUpload(BUCKET, KEY, uploadId, [{ PartNumber: 1, ETag: etag }]);
    expect(retried.etag).toBe(completed.etag);
    expect(await restarted.readRange(BUCKET, KEY, 0, DATA.length)).toEqual(DATA);

    // And the bytes are still there after yet another restart (nothing freed the blob the object uses).
    const again = createObjectStore({ dataDir });
    expect(await again.readRange(BUCKET, KEY, 0, DATA.length)).toEqual(DATA);
    expect(await again.listUploads(BUCKET)).toEqual([]);
  });

  it('treats an upload as unfinished again once its object was overwritten', async () => {
    const store = createObjectStore();
    const { uploadId, etag } = await uploadedOnePart(store);
    await store.completeUpload(BUCKET, KEY, uploadId, [{ PartNumber: 1, ETag: etag }]);
    await store.putObject(BUCKET, KEY, Readable.from([Buffer.from('newer')]), { httpHeaders: {}, meta: {} }, {});
    await expect(store.completeUpload(BUCKET, KEY, uploadId, 'all')).rejects.toMatchObject({ code: 'NoSuchUpload' });
    expect(await store.readRange(BUCKET, KEY, 0, 5)).toEqual(Buffer.from('newer'));
  });
});
