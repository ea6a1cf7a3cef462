/**
 * Sync figures of `npm run bench` (issue 13): every figure next to its peer and their ratio, compared runs
 * interleaved (the machine is shared; ratios survive noise better than absolute figures).
 *
 * - cold sync vs the best of a raw sequential PUT and the SDK's parallel `uploadFile` of the same bytes, each in
 *   a fresh process that starts with the model out of the page cache, with bytes read (`/proc/self/io`) next
 *   to the model size and peak RSS (goal: >= 0.95x, read once, <= 300 MB);
 * - fingerprinting on one core vs every core vs `b2sum` (goals: >= 1.8x one core, >= 2x b2sum);
 * - fresh-runner preview (objects in TOS, no stat cache) vs `b2sum` of the same files (goal: <= 1.0x), and
 *   a warm re-plan;
 * - ark-local ingest (CRC64 + MD5 of every byte) per CPU-second, before vs after (`ingest.ts`).
 *
 * ark-local runs in a child process with a data directory on disk; every upload is deleted after it is timed.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TosStorage } from '../../provider/clients/tos/client';
import type { ProgressLog } from '../../provider/resources/controller';
import { planSync, type SyncEnv, type SyncTarget } from '../../provider/sync/engine';
import { formatBytes } from '../../provider/sync/progress';
import { ensureDataSet, evictFromPageCache, type DataSet } from './data';
import { ingestFigures } from './ingest';
import { b2sumSeconds, compactionStalls, inChild, measure, usableCores, GiB, MiB, rate, ratio, startChildArkLocal, type ChildArkLocal } from './measure';
import type { FingerprintFigures, FingerprintJob } from './fingerprint-child';
import type { ChildFigures, UploadJob, UploadKind } from './upload-child';

export interface SyncBenchOptions {
  /** Model sizes in GiB (`--sizes 1,15`). */
  sizes: number[];
  /** Interleaved rounds per comparison; the best of each is kept (interference only ever slows a run). */
  rounds: number;
  /** Figures to run (`--only upload,fingerprint,preview,ingest`); all when empty. */
  only: string[];
}

const quietLog: ProgressLog = { info: () => undefined, warn: (m) => console.warn(m) };
const TUNING = { owner: 'bench', uploadConcurrency: 8, partSize: 64 * MiB };

export async function runSyncBench(opts: SyncBenchOptions): Promise<void> {
  const wants = (figure: string) => opts.only.length === 0 || opts.only.includes(figure);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pulumi-ark-bench-'));
  const arkLocal = await startChildArkLocal(path.join(work, 'ark-local'));
  try {
    const storage = new TosStorage(arkLocal.settings);
    await storage.createBucket('bench');
    console.log(`bench sync: ${os.availableParallelism()} cores, upload concurrency ${TUNING.uploadConcurrency}, part ${formatBytes(TUNING.partSize)}, best of ${opts.rounds} interleaved rounds; ark-local in a child process, data in ${work}`);
    for (const gib of opts.sizes) {
      const data = await ensureDataSet(gib);
      console.log(`\n== ${formatBytes(data.bytes)} non-sparse (${data.files.length} files in ${data.dir})`);
      let synced: SyncTarget | undefined;
      if (wants('upload') || wants('preview')) synced = await uploadFigures(storage, arkLocal, data, work, opts.rounds, wants('upload'));
      if (wants('fingerprint')) await fingerprintFigures(data, opts.rounds);
      if (wants('preview') && synced) await previewFigures(storage, data, synced, work, opts.rounds);
      if (synced) await deletePrefix(storage, synced.prefix);
    }
    if (wants('ingest')) await ingestFigures(arkLocal, storage, await ensureDataSet(Math.min(...opts.sizes)), work, opts.rounds);
  } finally {
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Cold sync vs its peers, each run in a fresh process of its own (`upload-child.ts`), the way the provider runs
 * a sync: peak RSS is that process's high-water mark. Returns the target of the last cold sync, left in place
 * for the preview figures. With `report` false (preview only), a single sync is run to have objects in TOS.
 */
/** One upload run: the client's figures, and what the same run cost ark-local and the kernel. */
interface UploadRun extends ChildFigures {
  serverCpuSeconds: number;
  compactionStalls?: number;
}

async function uploadFigures(storage: TosStorage, arkLocal: ChildArkLocal, data: DataSet, work: string, rounds: number, report: boolean): Promise<SyncTarget> {
  const best: Record<UploadKind, UploadRun | undefined> = { raw: undefined, sdk: undefined, sync: undefined };
  let target: SyncTarget | undefined;
  let evicted = true;
  const runOnce = async (kind: UploadKind, round: number) => {
    const prefix = `${kind}-${round}/`;
    const job: UploadJob = { kind, settings: arkLocal.settings, bucket: 'bench', prefix, dir: data.dir, files: data.files, cacheDir: path.join(work, `cache-cold-${round}`), tuning: TUNING };
    evicted = (await evictFromPageCache(data)) && evicted;
    const [server0, stalls0] = [await arkLocal.cpuSeconds(), compactionStalls()];
    const client = await inChild<UploadJob, ChildFigures>('upload-child.js', job);
    const [server1, stalls1] = [await arkLocal.cpuSeconds(), compactionStalls()];
    const r: UploadRun = { ...client, serverCpuSeconds: server1 - server0, compactionStalls: stalls0 === undefined || stalls1 === undefined ? undefined : stalls1 - stalls0 };
    // The fastest run's figures, with the highest peak RSS of any run.
    const previous = best[kind];
    const peakRss = Math.max(r.peakRss, previous?.peakRss ?? 0);
    best[kind] = { ...(!previous || r.seconds < previous.seconds ? r : previous), peakRss };
    if (kind !== 'sync') await deletePrefix(storage, prefix);
    else {
      if (target) await deletePrefix(storage, target.prefix);
      target = { source: data.dir, bucket: 'bench', prefix, deleteRemoved: true };
    }
  };
  const kinds: UploadKind[] = report ? ['raw', 'sdk', 'sync'] : ['sync'];
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no run always goes first (cold caches, a neighbour's burst).
    for (let i = 0; i < kinds.length; i++) await runOnce(kinds[(i + round) % kinds.length]!, round);
  }
  if (report) {
    const line = (label: string, r: UploadRun) =>
      `  ${label.padEnd(28)} ${rate(data.bytes, r.seconds).padStart(12)} (${r.seconds.toFixed(1)} s, client CPU ${r.cpuSeconds.toFixed(1)} s, ark-local CPU ${((r.serverCpuSeconds * 1000) / (data.bytes / MiB)).toFixed(1)} ms/MiB${r.compactionStalls === undefined ? '' : `, ${r.compactionStalls} compaction stalls`}), read ${formatBytes(r.read.rchar)} (${(r.read.rchar / data.bytes).toFixed(2)}x model; ${formatBytes(r.read.readBytes)} from the device), peak RSS ${formatBytes(r.peakRss)} (${formatBytes(r.startRss)} loaded)`;
    console.log(`  each run starts with the model ${evicted ? 'evicted from the page cache (dd iflag=nocache)' : 'as the page cache has it (dd could not evict it)'}`);
    console.log(line('raw sequential PUT', best.raw!));
    console.log(line('SDK uploadFile (parallel)', best.sdk!));
    console.log(line('cold sync (plan + upload)', best.sync!));
    const peer = Math.min(best.raw!.seconds, best.sdk!.seconds);
    console.log(`  cold sync throughput / best peer: ${ratio(peer, best.sync!.seconds)} (goal >= 0.95x); bytes read / model size: ${(best.sync!.read.rchar / data.bytes).toFixed(2)} (goal 1.00); peak RSS ${formatBytes(best.sync!.peakRss)} = ${(best.sync!.peakRss / 1e6).toFixed(0)} MB (goal <= 300 MB)`);
  }
  return target!;
}

/**
 * Fingerprinting (a fresh runner's manifest of the whole directory) on one core (a child process pinned to CPU
 * 0 with one hashing thread) vs every core (a child with one thread per core) vs `b2sum`, same files, same page
 * cache.
 */
async function fingerprintFigures(data: DataSet, rounds: number): Promise<void> {
  const cores = os.availableParallelism();
  const best = { one: Infinity, all: Infinity, b2sum: Infinity };
  let oneCpu = 0;
  let allCpu = 0;
  // A pass over 1 GiB takes a third of a second, where a neighbour's burst on this shared machine moves the
  // figure by 10-20%: short passes get more tries in each child.
  const passes = data.bytes < 4 * GiB ? 5 : 2;
  for (let round = 0; round < rounds; round++) {
    const one = await inChild<FingerprintJob, FingerprintFigures>('fingerprint-child.js', { dir: data.dir, threads: 1, rounds: passes }, { pinToCpu: 0 });
    if (one.seconds < best.one) [best.one, oneCpu] = [one.seconds, one.cpuSeconds];
    const all = await inChild<FingerprintJob, FingerprintFigures>('fingerprint-child.js', { dir: data.dir, threads: cores, rounds: passes });
    if (all.seconds < best.all) [best.all, allCpu] = [all.seconds, all.cpuSeconds];
    best.b2sum = Math.min(best.b2sum, await b2sumSeconds(data.files.map((f) => f.abs)));
  }
  const largest = data.files.reduce((a, b) => (b.size > a.size ? b : a));
  const usable = await usableCores(largest.abs, cores);
  console.log(`  cores this process can get now: ${usable.toFixed(2)} of ${cores} (${cores} b2sum at once vs one alone); the cores ratio cannot exceed it`);
  console.log(`  fingerprint, one core:        ${rate(data.bytes, best.one).padStart(12)} (${best.one.toFixed(2)} s, CPU/wall ${(oneCpu / best.one).toFixed(2)}; 1 thread, pinned to CPU 0)`);
  console.log(`  fingerprint, ${String(cores).padEnd(2)} cores:       ${rate(data.bytes, best.all).padStart(12)} (${best.all.toFixed(2)} s, CPU/wall ${(allCpu / best.all).toFixed(2)}; ${cores} threads) -> ${ratio(best.one, best.all)} one core (goal >= 1.8x)`);
  console.log(`  b2sum:                        ${rate(data.bytes, best.b2sum).padStart(12)} (${best.b2sum.toFixed(2)} s) -> fingerprint is ${ratio(best.b2sum, best.all)} b2sum's speed (goal >= 2x)`);
}

/** A fresh runner (no stat cache) previewing a directory whose objects are all in TOS; and a warm re-plan. */
async function previewFigures(storage: TosStorage, data: DataSet, target: SyncTarget, work: string, rounds: number): Promise<void> {
  let bestPreview = Infinity;
  let bestB2 = Infinity;
  let read = 0;
  for (let round = 0; round < rounds; round++) {
    const env: SyncEnv = { storage, cacheDir: path.join(work, `cache-fresh-${round}-${randomBytes(4).toString('hex')}`), log: quietLog };
    const r = await measure(async () => {
      const planned = await planSync(target, env);
      const moves = planned.plan.upload.length + planned.plan.replace.length + planned.plan.deleteRemote.length;
      if (moves > 0) throw new Error(`bench: expected a fresh runner's plan to move nothing, found ${moves} change(s)`);
    });
    bestPreview = Math.min(bestPreview, r.seconds);
    read = r.read.rchar;
    bestB2 = Math.min(bestB2, await b2sumSeconds(data.files.map((f) => f.abs)));
  }
  console.log(`  fresh-runner preview:         ${bestPreview.toFixed(2)} s, read ${formatBytes(read)}, 0 uploads; b2sum of the same files ${bestB2.toFixed(2)} s -> ${ratio(bestPreview, bestB2)} (goal <= 1.0x)`);
  const warm: SyncEnv = { storage, cacheDir: path.join(work, 'cache-warm'), log: quietLog };
  await planSync(target, warm);
  const again = await measure(() => planSync(target, warm));
  console.log(`  warm re-plan (stat cache):    ${(again.seconds * 1000).toFixed(0)} ms, read ${formatBytes(again.read.rchar)}`);
}

async function deletePrefix(storage: TosStorage, prefix: string): Promise<void> {
  const keys = (await storage.listPrefix('bench', prefix)).map((o) => o.key);
  if (keys.length > 0) await storage.deleteKeys('bench', keys);
}

export const SYNC_FIGURES = ['upload', 'fingerprint', 'preview', 'ingest'];
