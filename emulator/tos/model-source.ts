import type { ModelFile, ModelFileSource } from '../../provider/model/source';
import type { ObjectStore } from './store';

/**
 * A ModelFileSource over the objects under `tos://bucket/prefix`, so the Ark import can run the model
 * validator on a TOS directory. Paths are relative to the prefix; "directory marker" keys ending in '/' are not
 * files and are left out.
 */
export function tosModelFileSource(store: ObjectStore, bucket: string, prefix: string): ModelFileSource {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  let listing: Promise<ModelFile[]> | undefined;
  const list = (): Promise<ModelFile[]> => {
    listing ??= store.listObjects(bucket, base).then((objects) =>
      objects.filter((o) => !o.key.endsWith('/')).map((o) => ({ path: o.key.slice(base.length), size: o.size })),
    );
    return listing;
  };
  return {
    describe: () => `tos://${bucket}/${base}`,
    list,
    async read(path, start, length) {
      const files = await list();
      if (!files.some((f) => f.path === path)) {
        throw new Error(`tos://${bucket}/${base}${path}: expected an object listed under the model prefix, found no such key`);
      }
      return store.readRange(bucket, base + path, start, length);
    },
  };
}
