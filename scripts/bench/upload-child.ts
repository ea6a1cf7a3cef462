/**
 * One upload figure in a process of its own, as the provider runs a sync: peak RSS is this process's high-water
 * mark (VmHWM, every thread and every allocation counted, not a sample), and no earlier figure's heap or page
 * of the bench process inflates it. Parent -> `{ job }`; child -> `{ figures }` or `{ error }`.
 */
import { readFileSync } from 'node:fs';
import type { ProviderSettings } from '../../provider/resources/controller';
import { TosStorage } from '../../provider/clients/tos/client';
import { executePlan, planSync, type SyncEnv } from '../../provider/sync/engine';
import { answerParent, measure, type RunFigures } from './measure';

export type UploadKind = 'raw' | 'sdk' | 'sync';

export interface UploadJob {
  kind: UploadKind;
  settings: ProviderSettings;
  bucket: string;
  prefix: string;
  /** The model directory (sync) and its files (raw, SDK). */
  dir: string;
  files: { rel: string; abs: string }[];
  cacheDir: string;
  tuning: { owner: string; uploadConcurrency: number; partSize: number };
}

export interface ChildFigures extends RunFigures {
  /** RSS once the modules are loaded, before any byte moves: the floor every figure shares. */
  startRss: number;
}

/** A `/proc/self/status` field in bytes (the kernel prints kB). */
function statusBytes(field: 'VmHWM' | 'VmRSS'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kb) * 1024;
}

async function run(job: UploadJob): Promise<ChildFigures> {
  const storage = new TosStorage(job.settings);
  const quiet = { info: () => undefined, warn: (m: string) => console.warn(m) };
  const work: Record<UploadKind, () => Promise<unknown>> = {
    async raw() {
      for (const f of job.files) await storage.sdk.putObjectFromFile({ bucket: job.bucket, key: `${job.prefix}${f.rel}`, filePath: f.abs });
    },
    async sdk() {
      for (const f of job.files) {
        await storage.sdk.uploadFile({ bucket: job.bucket, key: `${job.prefix}${f.rel}`, file: f.abs, partSize: job.tuning.partSize, taskNum: job.tuning.uploadConcurrency });
      }
    },
    async sync() {
      const target = { source: job.dir, bucket: job.bucket, prefix: job.prefix, deleteRemoved: true };
      const env: SyncEnv = { storage, cacheDir: job.cacheDir, log: quiet };
      await executePlan(target, await planSync(target, env), env, job.tuning);
    },
  };
  const startRss = statusBytes('VmRSS');
  const figures = await measure(work[job.kind]);
  return { ...figures, peakRss: statusBytes('VmHWM'), startRss };
}

answerParent(run);
