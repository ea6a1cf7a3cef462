import type { Readable } from 'node:stream';
import { tosUri } from '../api/tos';
import type { BodySource, TosStorage } from '../clients/tos/client';
import { hashedPassThrough, type HashedRange } from '../sync/range-reader';
import type { SourceFile, SourceTransfer } from '../sync/remote-sync';
import { UploadIntegrityError } from '../sync/upload';
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
  const body = (file: SourceFile, start: number, end: number) => new HubRangeBody(model, file.path, start, end, signal);
  const checked = async (what: string, sent: HubRangeBody, reported: string | undefined): Promise<string> => {
    const crc64 = await sent.crc64();
    if (reported !== undefined && reported !== crc64) {
      throw new UploadIntegrityError(`${what}: expected TOS to report the CRC64 of the bytes streamed from ${describe}, ${crc64}, found ${reported}`);
    }
    return crc64;
  };
  return {
    describe: () => describe,
    fingerprintInMetadata: true,
    fingerprintOf: (object) => object.meta?.[META_SOURCE],
    metaFor: (file) => ({ [META_SOURCE]: file.fingerprint }),
    expectedCrc64: () => undefined,
    async whole(file, target, meta, onBytes) {
      const sent = body(file, 0, file.size);
      try {
        const result = await storage.putObject(target.bucket, target.key, sent, meta, onBytes);
        return { crc64: await checked(tosUri(target.bucket, target.key), sent, result.crc64) };
      } finally {
        sent.dispose();
      }
    },
    async part(file, target, range, onBytes) {
      const sent = body(file, range.start, range.end);
      try {
        const result = await storage.uploadPart(target.bucket, target.key, target.uploadId, target.partNumber, sent, onBytes);
        return { etag: result.etag, crc64: await checked(`${tosUri(target.bucket, target.key)} part ${target.partNumber}`, sent, result.crc64) };
      } finally {
        sent.dispose();
      }
    },
  };
}

/** A request body over a hub byte range, opened afresh (a new ranged download) for each attempt. */
class HubRangeBody implements BodySource {
  readonly size: number;
  private current: HashedRange | undefined;
  private readonly onAbort = () => this.current?.stream.destroy(this.signal?.reason as Error);

  constructor(
    private readonly model: ResolvedHubModel,
    private readonly path: string,
    private readonly start: number,
    private readonly end: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.size = end - start;
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  open(): Readable {
    this.signal?.throwIfAborted();
    this.current?.stream.destroy();
    const what = `hf://${this.model.ref.repo}@${this.model.commit}/${this.path}`;
    const hashed = hashedPassThrough(what, this.start, this.end, 'the end of the download');
    this.current = hashed;
    openHubRange(this.model, this.path, this.start, this.end, { signal: this.signal }).then(
      (download) => {
        const source = download as Readable;
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
    return hashed.stream;
  }

  async crc64(): Promise<string> {
    if (!this.current) throw new Error(`hf://${this.model.ref.repo}/${this.path}: no bytes were streamed for the upload`);
    return this.current.crc64;
  }

  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.current && !this.current.stream.readableEnded) this.current.stream.destroy();
  }
}
