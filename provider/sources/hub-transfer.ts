import { tosUri } from '../api/tos';
import type { TosStorage } from '../clients/tos/client';
import { hashedPassThrough } from '../sync/range-reader';
import type { SourceTransfer } from '../sync/remote-sync';
import { assertSameCrc, HashedBody } from '../sync/upload';
import { openHubRange, type ResolvedHubModel } from './hub';

/** Object metadata name (`x-tos-meta-<name>`): the hub identity of the content an object was streamed from. */
export const META_SOURCE = 'pulumi-ark-source';

/**
 * Hub files streamed into TOS: each request body is a ranged download at the resolved commit, CRC64'd on its
 * way and checked against what TOS reports, never written to disk and never held whole in memory (a part is
 * socket buffers in flight, not a buffer of `partSize`). The object records the hub identity it holds, so the
 * next plan knows an object is this file's without reading it.
 */
export function hubStreamTransfer(storage: TosStorage, model: ResolvedHubModel, signal?: AbortSignal): SourceTransfer {
  const describe = `hf://${model.ref.repo}@${model.commit}/`;
  const checked = async (what: string, sent: HashedBody, reported: string | undefined): Promise<string> => {
    const crc64 = await sent.crc64();
    assertSameCrc(what, crc64, reported);
    return crc64;
  };
  return {
    describe: () => describe,
    fingerprintInMetadata: true,
    fingerprintOf: (object) => object.meta?.[META_SOURCE],
    metaFor: (file) => ({ [META_SOURCE]: file.fingerprint }),
    expectedCrc64: () => undefined,
    async whole(file, target, meta, onBytes) {
      const sent = hubRangeBody(model, file.path, 0, file.size, signal);
      try {
        const result = await storage.putObject(target.bucket, target.key, sent, meta, onBytes);
        return { crc64: await checked(tosUri(target.bucket, target.key), sent, result.crc64) };
      } finally {
        sent.dispose();
      }
    },
    async part(file, target, range, onBytes) {
      const sent = hubRangeBody(model, file.path, range.start, range.end, signal);
      try {
        const result = await storage.uploadPart(target.bucket, target.key, target.uploadId, target.partNumber, sent, onBytes);
        return { etag: result.etag, crc64: await checked(`${tosUri(target.bucket, target.key)} part ${target.partNumber}`, sent, result.crc64) };
      } finally {
        sent.dispose();
      }
    },
  };
}

/**
 * A request body over a hub byte range: each attempt is a new ranged download at the commit, piped through the
 * hashing pass-through as it arrives.
 */
function hubRangeBody(model: ResolvedHubModel, path: string, start: number, end: number, signal: AbortSignal | undefined): HashedBody {
  const what = `hf://${model.ref.repo}@${model.commit}/${path}`;
  return new HashedBody(
    what,
    end - start,
    () => {
      const hashed = hashedPassThrough(what, start, end, 'the end of the download');
      openHubRange(model, path, start, end, { signal }).then(
        (source) => {
          if (hashed.stream.destroyed) {
            source.destroy();
            return;
          }
          source.on('error', (error) => hashed.stream.destroy(error));
          hashed.stream.on('close', () => source.destroy());
          source.pipe(hashed.stream);
        },
        (error: Error) => hashed.stream.destroy(error),
      );
      return hashed;
    },
    signal,
  );
}
