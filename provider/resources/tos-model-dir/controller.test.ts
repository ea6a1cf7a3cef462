/**
 * Refresh of a TosModelDir whose objects TOS reports without a CRC64 (neither in the listing nor in a HEAD):
 * a fault ark-local never produces, so the TOS client is a stand-in here.
 */
import type { ObjectHead, RemoteObject } from '../../clients/tos/client';
import { TosStorage } from '../../clients/tos/client';
import { contentDigest } from '../../sync/digest';
import type { ControllerContext } from '../controller';
import { tosModelDirController as controller } from './controller';
import type { Outputs } from './schema';

jest.mock('../../clients/tos/client', () => ({ ...jest.requireActual('../../clients/tos/client'), TosStorage: jest.fn() }));

const ctx: ControllerContext = {
  settings: () => ({ region: 'cn-beijing', accessKeyId: 'ak', secretAccessKey: 'sk', arkEndpoint: 'http://127.0.0.1:1', tosEndpoint: '127.0.0.1:1', tosSecure: false, chatBaseUrl: 'http://127.0.0.1:1/api/v3' }),
  log: { info: () => undefined, warn: () => undefined },
};

function tosHolding(objects: RemoteObject[]) {
  const heads: string[] = [];
  (TosStorage as unknown as jest.Mock).mockImplementation(() => ({
    bucketExists: async () => true,
    listPrefix: async () => objects,
    head: async (_bucket: string, key: string): Promise<ObjectHead | undefined> => {
      heads.push(key);
      const o = objects.find((x) => x.key === key);
      return o && { size: o.size, etag: o.etag, lastModified: o.lastModified, meta: {} };
    },
  }));
  return heads;
}

const object = (key: string, size: number, crc64?: string): RemoteObject => ({ key, size, etag: 'e', lastModified: 'l', ...(crc64 ? { crc64 } : {}) });

/** A state as an earlier version wrote it: '' stood for "TOS reported no CRC64". */
function stateWith(files: Outputs['files']): Outputs {
  return {
    source: '/models/m', bucket: 'models', prefix: 'm/', exclude: [], createBucket: false, deleteRemoved: true, adoptExisting: false,
    uploadConcurrency: 4, partSize: 8388608, owner: 'proj/dev/m', location: 'tos://models/m/', baseModelInput: 'Qwen2.5-0.5B',
    baseModel: 'Qwen2.5-0.5B', quantization: null, files, contentDigest: contentDigest(files), fileCount: files.length,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
  } as Outputs;
}

describe('TosModelDir read', () => {
  it('keeps a CRC64 TOS does not report absent (unknown), never an empty-string fingerprint', async () => {
    const heads = tosHolding([object('m/config.json', 10, '123'), object('m/model.safetensors', 99)]);
    const { props } = await controller.read('tos://models/m/', stateWith([{ path: 'config.json', size: 10, crc64: '123' }, { path: 'model.safetensors', size: 99, crc64: '456' }]), ctx);
    expect(heads).toEqual(['m/model.safetensors']); // the listing lacked it, so a HEAD was asked first
    expect(props!.files).toEqual([{ path: 'config.json', size: 10, crc64: '123' }, { path: 'model.safetensors', size: 99 }]);
    expect(props!.contentDigest).not.toBe(stateWith([{ path: 'config.json', size: 10, crc64: '123' }, { path: 'model.safetensors', size: 99, crc64: '456' }]).contentDigest);
  });

  it("reads an earlier version's '' as the same unknown: same files, same digest, no spurious change", async () => {
    tosHolding([object('m/model.safetensors', 99)]);
    const old = stateWith([{ path: 'model.safetensors', size: 99, crc64: '' }]);
    const { props } = await controller.read('tos://models/m/', old, ctx);
    expect(props!.files).toEqual([{ path: 'model.safetensors', size: 99 }]);
    expect(props!.contentDigest).toBe(old.contentDigest);
  });
});
