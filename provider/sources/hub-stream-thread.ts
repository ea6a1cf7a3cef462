/**
 * The body of the hub-stream thread (hub-stream-worker.ts starts it): one hub -> TOS sync, run where nothing
 * else allocates, reporting its log lines and its outcome to the thread that started it. Loaded only inside
 * that worker; importing it anywhere else does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { TosStorage, warnOnRetry } from '../clients/tos/client';
import { executeRemoteSync, RemoteSyncError } from '../sync/remote-sync';
import { HubSourceChangedError } from './hub';
import { hubStreamTransfer } from './hub-transfer';
import type { StreamJob, StreamMessage } from './hub-stream-worker';

if (!isMainThread && parentPort && (workerData as { job?: StreamJob } | null)?.job) {
  const port = parentPort;
  const job = (workerData as { job: StreamJob }).job;
  const stop = new AbortController();
  port.on('message', (m: unknown) => {
    if (m === 'abort') stop.abort(new Error('the sync was stopped'));
  });
  const send = (m: StreamMessage) => port.postMessage(m);
  const log = { info: (line: string) => send({ log: 'info', line }), warn: (line: string) => send({ log: 'warn', line }) };
  const storage = new TosStorage(job.settings, {
    signal: stop.signal,
    onRetry: warnOnRetry(log.warn),
  });
  executeRemoteSync(storage, hubStreamTransfer(storage, job.model, stop.signal), job.files, job.target, job.planned, { ...job.tuning, signal: stop.signal }, log).then(
    (written) => send({ written }),
    (error: unknown) => {
      const failed = error instanceof RemoteSyncError ? error : undefined;
      send({
        error: {
          message: error instanceof Error ? error.message : String(error),
          written: failed?.written ?? [],
          unverified: failed?.unverified ?? [],
          sourceChanged: failed?.cause instanceof HubSourceChangedError,
        },
      });
    },
  );
}
