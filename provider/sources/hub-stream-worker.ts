import { Worker } from 'node:worker_threads';
import type { ProviderSettings, ProgressLog } from '../resources/controller';
import { RemoteSyncError, type RemotePlan, type RemoteSyncTuning, type RemoteTarget, type SourceFile, type WrittenFile } from '../sync/remote-sync';
import type { PlanItem } from '../sync/plan';
import type { ResolvedHubModel } from './hub';
import { SourceChangedError } from './tos-prefix';

/**
 * Hub -> TOS streams run in a worker thread with a small young generation. Every byte arrives in a fresh
 * socket-sized buffer; in the provider's own heap (V8's default young generation, up to 16-32 MiB a
 * semi-space) those buffers are collected late, so a 16 GB stream peaked at 329 MiB RSS and spent ~3.8 ms of
 * client CPU per MiB. With a 6 MiB young generation they are reused while still in the cache: a 1 GB download
 * measured 1.4 ms/MiB and 170 MiB peak against 2.0 ms/MiB and 264 MiB (scripts/bench/remote.ts, hub-stream).
 * The provider process's flags cannot be set (Pulumi starts it); a worker's resource limits can.
 */
export const STREAM_YOUNG_GENERATION_MB = 6;

/** What the thread needs: plain data only (it crosses the thread boundary by structured clone). */
export interface StreamJob {
  settings: ProviderSettings;
  model: ResolvedHubModel;
  files: SourceFile[];
  target: RemoteTarget;
  planned: RemotePlan;
  tuning: Omit<RemoteSyncTuning, 'signal'>;
}

export type StreamMessage =
  | { log: 'info' | 'warn'; line: string }
  | { written: WrittenFile[] }
  | { error: { message: string; written: WrittenFile[]; unverified: PlanItem[]; sourceChanged: boolean } };

/**
 * Loads the thread's module: compiled JavaScript in the package; under the test runner, which runs the
 * TypeScript sources, through ts-node (a development dependency, never reached from the package).
 */
const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('ts-node').register({ transpileOnly: true });
require(workerData.entry);
`;

/** executeRemoteSync for a hub source, in the stream thread; the same outcome, RemoteSyncError included. */
export function executeHubStream(job: StreamJob, log: ProgressLog, signal?: AbortSignal): Promise<WrittenFile[]> {
  signal?.throwIfAborted();
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { entry: require.resolve('./hub-stream-thread'), job },
    resourceLimits: { maxYoungGenerationSizeMb: STREAM_YOUNG_GENERATION_MB },
  });
  const stop = () => worker.postMessage('abort');
  signal?.addEventListener('abort', stop, { once: true });
  return new Promise<WrittenFile[]>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      void worker.terminate();
      outcome();
    };
    worker.on('message', (m: StreamMessage) => {
      if ('log' in m) log[m.log](m.line);
      else if ('written' in m) finish(() => resolve(m.written));
      else {
        const cause = m.error.sourceChanged ? new SourceChangedError(m.error.message) : undefined;
        finish(() => reject(new RemoteSyncError(m.error.message, m.error.written, m.error.unverified, { cause })));
      }
    });
    // A thread that died said nothing of what it did: every object the plan touches may be in any state, the
    // deletes not done included (as executeRemoteSync reports them when it fails itself).
    const { upload, replace, deleteRemote } = job.planned.plan;
    const anyState = [...upload, ...replace, ...deleteRemote];
    worker.on('error', (error) => finish(() => reject(new RemoteSyncError(`the hub stream thread failed: ${error.message}`, [], anyState, { cause: error }))));
    worker.on('exit', (code) => finish(() => reject(new RemoteSyncError(`the hub stream thread exited (code ${code}) before it finished`, [], anyState))));
  });
}
