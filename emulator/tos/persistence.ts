import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import {
  BucketRecordSchema,
  ObjectRecordSchema,
  PartRecordSchema,
  UploadRecordSchema,
  type BucketRecord,
  type ObjectRecord,
  type PartRecord,
  type UploadRecord,
} from './records';

/**
 * Metadata of the object store. Memory mode keeps nothing; disk mode writes one small JSON file per bucket,
 * object, upload and part under `<dir>/state/`, each atomically (temp file + rename), so a restart finds every
 * record that was acknowledged to a client, including in-progress multipart uploads (checkpoint resume).
 */
export interface StatePersistence {
  load(): Promise<LoadedState>;
  saveBucket(bucket: BucketRecord): Promise<void>;
  removeBucket(name: string): Promise<void>;
  saveObject(object: ObjectRecord): Promise<void>;
  removeObject(bucket: string, key: string): Promise<void>;
  saveUpload(upload: UploadRecord): Promise<void>;
  savePart(uploadId: string, part: PartRecord): Promise<void>;
  removeUpload(uploadId: string): Promise<void>;
  clear(): Promise<void>;
}

export interface LoadedState {
  buckets: BucketRecord[];
  objects: ObjectRecord[];
  uploads: { upload: UploadRecord; parts: PartRecord[] }[];
}

export function memoryPersistence(): StatePersistence {
  const nothing = async (): Promise<void> => {};
  return {
    load: async () => ({ buckets: [], objects: [], uploads: [] }),
    saveBucket: nothing,
    removeBucket: nothing,
    saveObject: nothing,
    removeObject: nothing,
    saveUpload: nothing,
    savePart: nothing,
    removeUpload: nothing,
    clear: nothing,
  };
}

export function diskPersistence(dir: string): StatePersistence {
  const root = path.join(dir, 'state');
  const bucketsDir = path.join(root, 'buckets');
  const objectsDir = path.join(root, 'objects');
  const uploadsDir = path.join(root, 'uploads');
  const objectFile = (bucket: string, key: string): string =>
    path.join(objectsDir, bucket, `${createHash('sha256').update(key).digest('hex')}.json`);
  const uploadDir = (uploadId: string): string => {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new Error(`upload id ${JSON.stringify(uploadId)} is not 32 hex digits; refusing to build a path from it`);
    return path.join(uploadsDir, uploadId);
  };

  // Writes are tiny and applied strictly in call order, so the files always match the order in which the
  // in-memory state changed (two PUTs of one key, a part landing while its upload is aborted, ...).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (work: () => Promise<void>): Promise<void> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const writeJson = (file: string, value: unknown): Promise<void> =>
    serial(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${randomUUID()}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(value));
      await fs.rename(tmp, file);
    });
  const remove = (target: string): Promise<void> => serial(() => fs.rm(target, { recursive: true, force: true }));

  return {
    async load() {
      const buckets = await readAll(bucketsDir, BucketRecordSchema);
      const objects: ObjectRecord[] = [];
      for (const bucket of buckets) objects.push(...(await readAll(path.join(objectsDir, bucket.name), ObjectRecordSchema)));
      const uploads: LoadedState['uploads'] = [];
      for (const id of await listDir(uploadsDir)) {
        const file = path.join(uploadsDir, id, 'upload.json');
        const upload = await readJson(file, UploadRecordSchema);
        if (!upload) continue;
        const parts = await readAll(path.join(uploadsDir, id), PartRecordSchema, (name) => name.startsWith('part-'));
        uploads.push({ upload, parts });
      }
      return { buckets, objects, uploads };
    },
    saveBucket: (bucket) => writeJson(path.join(bucketsDir, `${bucket.name}.json`), bucket),
    removeBucket: (name) =>
      serial(async () => {
        await fs.rm(path.join(bucketsDir, `${name}.json`), { force: true });
        await fs.rm(path.join(objectsDir, name), { recursive: true, force: true });
      }),
    saveObject: (object) => writeJson(objectFile(object.bucket, object.key), object),
    removeObject: (bucket, key) => remove(objectFile(bucket, key)),
    saveUpload: (upload) => writeJson(path.join(uploadDir(upload.uploadId), 'upload.json'), upload),
    savePart: (uploadId, part) => writeJson(path.join(uploadDir(uploadId), `part-${String(part.partNumber).padStart(5, '0')}.json`), part),
    removeUpload: (uploadId) => remove(uploadDir(uploadId)),
    clear: () => remove(root),
  };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** A record file, or undefined when it is gone (an upload removed after its directory was listed). */
async function readJson<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S> | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`TOS state file ${file}: expected a ${schema.description ?? 'record'} of the known shape, found: ${parsed.error.message}`);
  return parsed.data;
}

async function readAll<S extends z.ZodType>(dir: string, schema: S, accept: (name: string) => boolean = () => true): Promise<z.infer<S>[]> {
  const out: z.infer<S>[] = [];
  for (const name of await listDir(dir)) {
    if (!name.endsWith('.json') || !accept(name)) continue;
    const record = await readJson(path.join(dir, name), schema);
    if (record !== undefined) out.push(record);
  }
  return out;
}
