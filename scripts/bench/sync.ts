/**
 * Sync figures of `npm run bench` (issue 13): every figure next to its peer and their ratio, compared runs
 * interleaved in one process (the machine is shared; ratios survive noise better than absolute figures).
 *
 * - cold sync vs the best of a raw sequential PUT and the SDK's parallel `uploadFile` of the same bytes, with
 *   bytes read (`/proc/self/io`) next to the model size and peak RSS (goal: >= 0.95x, read once, <= 300 MB);
 * - fingerprinting on one thread vs every core vs `b2sum` (goals: >= 1.8x one thread, >= 2x b2sum);
 * - fresh-runner preview (objects in TOS, no stat cache) vs `b2sum` of the same files (goal: <= 1.0x), and
 *   a warm re-plan;
 * - ark-local ingest (CRC64 + MD5 of every byte) per CPU-second, before vs after the WebAssembly CRC64.
 *
 * ark-local runs in a child process with a data directory on disk; every upload is deleted after it is timed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Crc64 } from '../../provider/api/crc64';
import { TosStorage } from '../../provider/clients/tos/client';
import type { ProgressLog } from '../../provider/resources/controller';
import { planSync, executePlan, type SyncEnv, type SyncTarget } from '../../provider/sync/engine';
import { crc64OfFile } from '../../provider/sync/fingerprint';
import { HashPool } from '../../provider/sync/hash-pool';
import { formatBytes } from '../../provider/sync/progress';
import { baselineCrc64 } from './baseline-crc64';
import { ensureDataSet, type DataSet } from './data';
import { b2sumSeconds, measure, MiB, rate, ratio, startChildArkLocal, type ChildArkLocal, type RunFigures } from './measure';

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
      if (wants('upload') || wants('preview')) synced = await uploadFigures(storage, data, work, gib > 4 ? 1 : opts.rounds, wants('upload'));
      if (wants('fingerprint')) await fingerprintFigures(data, opts.rounds);
      if (wants('preview') && synced) await previewFigures(storage, data, synced, work, opts.rounds);
      if (synced) await deletePrefix(storage, synced.prefix);
    }
    // Last: its 256 MiB buffer would otherwise stay in the RSS of every later figure.
    if (wants('ingest')) await ingestFigures(arkLocal, storage, await ensureDataSet(Math.min(...opts.sizes)), opts.rounds);
  } finally {
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Cold sync vs its peers. Returns the target of the last cold sync, left in place for the preview figures.
 * With `report` false (preview only), a single sync is run to have objects in TOS.
 */
async function uploadFigures(storage: TosStorage, data: DataSet, work: string, rounds: number, report: boolean): Promise<SyncTarget> {
  const best: Record<'raw' | 'sdk' | 'sync', RunFigures | undefined> = { raw: undefined, sdk: undefined, sync: undefined };
  let target: SyncTarget | undefined;
  const keep = (name: keyof typeof best, r: RunFigures) => {
    if (!best[name] || r.seconds < best[name]!.seconds) best[name] = { ...r, peakRss: Math.max(r.peakRss, best[name]?.peakRss ?? 0) };
    else best[name]!.peakRss = Math.max(best[name]!.peakRss, r.peakRss);
  };
  for (let round = 0; round < rounds; round++) {
    const runs: (() => Promise<void>)[] = [];
    if (report) {
      runs.push(async () => {
        const prefix = `raw-${round}/`;
        keep('raw', await measure(async () => {
          for (const f of data.files) await storage.sdk.putObjectFromFile({ bucket: 'bench', key: `${prefix}${f.rel}`, filePath: f.abs });
        }));
        await deletePrefix(storage, prefix);
      });
      runs.push(async () => {
        const prefix = `sdk-${round}/`;
        keep('sdk', await measure(async () => {
          for (const f of data.files) {
            await storage.sdk.uploadFile({ bucket: 'bench', key: `${prefix}${f.rel}`, file: f.abs, partSize: TUNING.partSize, taskNum: TUNING.uploadConcurrency });
          }
        }));
        await deletePrefix(storage, prefix);
      });
    }
    runs.push(async () => {
      if (target) await deletePrefix(storage, target.prefix);
      target = { source: data.dir, bucket: 'bench', prefix: `sync-${round}/`, deleteRemoved: true };
      const env: SyncEnv = { storage, cacheDir: path.join(work, `cache-cold-${round}`), log: quietLog };
      const t = target;
      keep('sync', await measure(async () => executePlan(t, await planSync(t, env), env, TUNING)));
    });
    // Rotate the order each round so no run always goes first (cold caches, a neighbour's burst).
    for (let i = 0; i < runs.length; i++) await runs[(i + round) % runs.length]!();
  }
  if (report) {
    const line = (label: string, r: RunFigures) =>
      `  ${label.padEnd(28)} ${rate(data.bytes, r.seconds).padStart(12)} (${r.seconds.toFixed(1)} s, client CPU ${r.cpuSeconds.toFixed(1)} s), read ${formatBytes(r.read.rchar)} (${(r.read.rchar / data.bytes).toFixed(2)}x model; ${formatBytes(r.read.readBytes)} from the device), peak RSS ${formatBytes(r.peakRss)}`;
    console.log(line('raw sequential PUT', best.raw!));
    console.log(line('SDK uploadFile (parallel)', best.sdk!));
    console.log(line('cold sync (plan + upload)', best.sync!));
    const peer = Math.min(best.raw!.seconds, best.sdk!.seconds);
    console.log(`  cold sync throughput / best peer: ${ratio(peer, best.sync!.seconds)} (goal >= 0.95x); bytes read / model size: ${(best.sync!.read.rchar / data.bytes).toFixed(2)} (goal 1.00); peak RSS ${formatBytes(best.sync!.peakRss)} (goal <= 300 MB)`);
  }
  return target!;
}

async function fingerprintFigures(data: DataSet, rounds: number): Promise<void> {
  const files = data.files.map((f) => f.abs);
  const one = new HashPool(1);
  const all = new HashPool(os.availableParallelism());
  const best = { one: Infinity, all: Infinity, b2sum: Infinity };
  let allCpu = 0;
  const hashAll = async (pool: HashPool) => {
    for (const f of data.files) await crc64OfFile(f.abs, f.size, pool);
  };
  try {
    await hashAll(all); // warm: threads started, files in the page cache as far as it holds them
    for (let round = 0; round < rounds; round++) {
      best.one = Math.min(best.one, (await measure(() => hashAll(one))).seconds);
      const r = await measure(() => hashAll(all));
      if (r.seconds < best.all) allCpu = r.cpuSeconds;
      best.all = Math.min(best.all, r.seconds);
      best.b2sum = Math.min(best.b2sum, await b2sumSeconds(files));
    }
  } finally {
    await Promise.all([one.close(), all.close()]);
  }
  console.log(`  fingerprint, 1 thread:        ${rate(data.bytes, best.one).padStart(12)} (${best.one.toFixed(2)} s)`);
  console.log(`  fingerprint, ${String(all.size).padEnd(2)} threads:      ${rate(data.bytes, best.all).padStart(12)} (${best.all.toFixed(2)} s, CPU/wall ${(allCpu / best.all).toFixed(2)}) -> ${ratio(best.one, best.all)} one thread (goal >= 1.8x)`);
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

/**
 * ark-local ingest per CPU-second. The hashing ark-local does on every byte (CRC64 + MD5), before (the
 * JavaScript CRC64) and after (WebAssembly), on the same buffer; then a real PUT into the child ark-local,
 * whose CPU time per byte is today's figure, and what it was with the old CRC64 (the measured PUT cost plus
 * the measured difference in CRC64 cost per byte).
 */
async function ingestFigures(arkLocal: ChildArkLocal, storage: TosStorage, data: DataSet, rounds: number): Promise<void> {
  const buf = randomBytes(256 * MiB);
  const cpu = (fn: () => void) => {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  const chunks = (fn: (chunk: Buffer) => void) => {
    for (let at = 0; at < buf.length; at += 64 * 1024) fn(buf.subarray(at, at + 64 * 1024));
  };
  let before = Infinity;
  let after = Infinity;
  for (let round = 0; round < Math.max(2, rounds); round++) {
    before = Math.min(before, cpu(() => {
      const md5 = createHash('md5');
      let crc = '0';
      chunks((c) => {
        md5.update(c);
        crc = baselineCrc64(c, crc);
      });
      md5.digest();
    }));
    after = Math.min(after, cpu(() => {
      const md5 = createHash('md5');
      const crc = new Crc64();
      chunks((c) => {
        md5.update(c);
        crc.update(c);
      });
      md5.digest();
      crc.value();
    }));
  }
  const largest = data.files.reduce((a, b) => (b.size > a.size ? b : a));
  let putCpu = Infinity;
  for (let round = 0; round < Math.max(2, rounds); round++) {
    const c0 = await arkLocal.cpuSeconds();
    await storage.sdk.putObjectFromFile({ bucket: 'bench', key: 'ingest/shard', filePath: largest.abs });
    putCpu = Math.min(putCpu, (await arkLocal.cpuSeconds()) - c0);
    await storage.deleteKeys('bench', ['ingest/shard']);
  }
  const perByteBefore = putCpu / largest.size + (before - after) / buf.length;
  console.log(`\n== ark-local ingest (CRC64 + MD5 of every byte), per CPU-second`);
  console.log(`  hashing, JS CRC64 (before):   ${rate(buf.length, before).padStart(12)}`);
  console.log(`  hashing, WASM CRC64 (after):  ${rate(buf.length, after).padStart(12)} -> ${ratio(before, after)}`);
  console.log(`  PUT into ark-local, after:    ${rate(largest.size, putCpu).padStart(12)} of server CPU (${formatBytes(largest.size)} shard); before (derived): ${rate(1, perByteBefore)} -> ${ratio(perByteBefore, putCpu / largest.size)} (goal >= 2x)`);
}

async function deletePrefix(storage: TosStorage, prefix: string): Promise<void> {
  const keys = (await storage.listPrefix('bench', prefix)).map((o) => o.key);
  if (keys.length > 0) await storage.deleteKeys('bench', keys);
}

export const SYNC_FIGURES = ['upload', 'fingerprint', 'preview', 'ingest'];
