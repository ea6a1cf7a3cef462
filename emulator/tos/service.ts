import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyTosSignature } from '../auth/tos-signature';
import { runWithFaults, type FaultInjector } from '../faults';
import type { Credentials } from '../options';
import type { EmulatorService } from '../service';
import { checkBucketAccess } from './access';
import { createBucket, deleteBucket, deleteMultiObjects, headBucket, listBuckets, listObjectsType2 } from './bucket-handlers';
import type { TosContext, TosHandler } from './context';
import { copyObject, uploadPartCopy } from './copy-handlers';
import { newRequestId, sendTosError, TosError } from './errors';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart-handlers';
import { deleteObject, getObject, headObject, putObject } from './object-handlers';
import { operationOf, resolveTarget, type TosOperation } from './routing';
import type { ObjectStore } from './store';

const HANDLERS: Record<TosOperation, TosHandler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  ListObjectsType2: listObjectsType2,
  ListMultipartUploads: listMultipartUploads,
  DeleteMultiObjects: deleteMultiObjects,
  PutObject: putObject,
  HeadObject: headObject,
  GetObject: getObject,
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CopyObject: copyObject,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

export interface TosServiceOptions {
  store: ObjectStore;
  credentials: Credentials;
  faults: FaultInjector;
  /** Server clock (ms since epoch) for the signature's skew check; the same Clock shape as the rest of ark-local. */
  clock?: () => number;
}

/**
 * The TOS surface of ark-local: routing -> fault injection -> signature -> operation handler -> store, with every
 * failure rendered by the one TOS error serializer.
 */
export function createTosService(opts: TosServiceOptions): EmulatorService {
  const clock = opts.clock ?? Date.now;
  return {
    name: 'tos',
    async handle(req: IncomingMessage, res: ServerResponse, _url: URL): Promise<void> {
      const requestId = newRequestId();
      const method = req.method ?? 'GET';
      const fail = (err: unknown): void => {
        // Whatever the client still sends is read and dropped so the keep-alive connection stays usable.
        if (!req.complete) req.resume();
        sendTosError(res, asTosError(err), requestId, method);
      };
      try {
        const target = await resolveTarget(req, (name) => opts.store.bucketExists(name));
        const operation = operationOf(method, target);
        const renderFault = (faultRes: ServerResponse, kind: 'throttle' | 'server-error'): void =>
          sendTosError(faultRes, new TosError(kind === 'throttle' ? 'TooManyRequests' : 'ServiceUnavailable', `Injected by an ark-local fault rule on ${operation}.`), requestId, method);
        await runWithFaults(opts.faults, 'tos', operation, req, res, renderFault, async (body) => {
          try {
            const auth = verifyTosSignature({ method, rawUrl: req.url ?? '/', headers: req.headers }, opts.credentials, new Date(clock()));
            if (!auth.ok) throw new TosError(auth.code, auth.message);
            await checkBucketAccess(opts.store, operation, target.bucket);
            const ctx: TosContext = { req, body: body ?? req, res, target, store: opts.store, requestId, region: auth.region };
            await HANDLERS[operation](ctx);
          } catch (err) {
            fail(err);
          }
        });
      } catch (err) {
        fail(err);
      }
    },
  };
}

function asTosError(err: unknown): TosError {
  if (err instanceof TosError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TosError('InternalError', `ark-local failed while handling the request: ${message}`);
}
