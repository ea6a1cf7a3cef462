/**
 * `npm run bench`: figures for the TOS sync, then for a no-op preview (scripts/bench/preview.ts), printed, never
 * asserted.
 *
 * - Sync throughput as a ratio to a raw sequential PUT of the same bytes to the same ark-local (target >= 0.9),
 *   for the upload phase (what `pulumi up` does after its preview fingerprinted the directory) and end to end
 *   with a cold stat cache (fingerprinting included).
 * - No-op re-plan time of a multi-GB directory as a ratio to a 16 MB one (target <= 1.5x): the stat cache must
 *   make it independent of size.
 * - Peak RSS while uploading (target < 300 MB). The emulator runs in this process, so this is client and
 *   server together: an upper bound for the client.
 *
 * The model is generated sparse (no disk), ark-local keeps objects in a temp data dir (streamed to disk), and
 * everything is removed afterwards. BENCH_BASE (default Qwen2.5-3B) and BENCH_SHARDS (default 3) pick the size;
 * BENCH_CONCURRENCY (default 8) and BENCH_PART_MIB (default 64) the upload tuning.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArkLocal } from '../emulator';
import { TosStorage } from '../provider/clients/tos/client';
import { writeSyntheticModel } from '../provider/model/synthetic';
import type { ProgressLog } from '../provider/resources/controller';
import { executePlan, planSync, type SyncEnv, type SyncTarget } from '../provider/sync/engine';
import { formatBytes } from '../provider/sync/progress';
import { runPreviewBench } from './bench/preview';

const quietLog: ProgressLog = { info: () => undefined, warn: (m) => console.warn(m) };
const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const base = process.env.BENCH_BASE ?? 'Qwen2.5-3B';
  const shards = Number(process.env.BENCH_SHARDS ?? 3);
  const tuning = { owner: 'bench', uploadConcurrency: Number(process.env.BENCH_CONCURRENCY ?? 8), partSize: Number(process.env.BENCH_PART_MIB ?? 64) * MiB };
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pulumi-ark-bench-'));
  const arkLocal = await startArkLocal({ dataDir: path.join(work, 'ark-local'), quiet: true });
  try {
    const big = path.join(work, 'big');
    const small = path.join(work, 'small');
    await writeSyntheticModel(big, { base, shards, fill: 'sparse' });
    const files = await listFiles(big);
    await writeSmallTwin(small, files);
    await settleMtimes(big);
    await settleMtimes(small);
    const totalBytes = files.reduce((n, f) => n + f.size, 0);
    console.log(`bench: concurrency ${tuning.uploadConcurrency}, part ${formatBytes(tuning.partSize)}; ${base} (${shards} shards, sparse): ${files.length} files, ${formatBytes(totalBytes)}; ark-local data dir ${work}`);

    const settings = arkLocal.providerSettings();
    const storage = new TosStorage(settings);
    for (const bucket of ['bench-raw', 'bench-sync']) await storage.createBucket(bucket);

    // Raw sequential PUTs and syncs alternate, best of BENCH_ROUNDS each: the machine may be shared, and
    // interference only ever slows a run down.
    const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
    const env: SyncEnv = { storage, cacheDir: path.join(work, 'cache'), log: quietLog };
    let rawSeconds = Infinity;
    let uploadSeconds = Infinity;
    let coldPlanSeconds = 0;
    let peakRss = 0;
    let target: SyncTarget = { source: big, bucket: 'bench-sync', prefix: 'model-0/', deleteRemoved: true };
    for (let round = 0; round < rounds; round++) {
      // 1. Raw sequential PUT of the same files (streamed from disk, one request per file).
      const rawStart = process.hrtime.bigint();
      for (const f of files) await storage.sdk.putObjectFromFile({ bucket: 'bench-raw', key: `raw-${round}/${f.rel}`, filePath: f.abs });
      rawSeconds = Math.min(rawSeconds, seconds(rawStart));

      // 2. Sync into a fresh prefix; the first round's plan fingerprints with a cold stat cache.
      target = { ...target, prefix: `model-${round}/` };
      const rss = sampleRss();
      const planStart = process.hrtime.bigint();
      const planned = await planSync(target, env);
      if (round === 0) coldPlanSeconds = seconds(planStart);
      const uploadStart = process.hrtime.bigint();
      await executePlan(target, planned, env, tuning);
      uploadSeconds = Math.min(uploadSeconds, seconds(uploadStart));
      peakRss = Math.max(peakRss, rss.stop());
    }
    const rawRate = totalBytes / rawSeconds;
    const uploadRate = totalBytes / uploadSeconds;
    const coldRate = totalBytes / (coldPlanSeconds + uploadSeconds);
    console.log(`raw sequential PUT:          ${rate(rawRate)} (${rawSeconds.toFixed(1)} s, best of ${rounds})`);
    console.log(`sync upload phase:           ${rate(uploadRate)} (${uploadSeconds.toFixed(1)} s, best of ${rounds}) -> ratio ${(uploadRate / rawRate).toFixed(2)} (target >= 0.9)`);
    console.log(`sync cold, incl. CRC64 pass: ${rate(coldRate)} (fingerprint ${coldPlanSeconds.toFixed(1)} s + upload ${uploadSeconds.toFixed(1)} s) -> ratio ${(coldRate / rawRate).toFixed(2)}`);
    console.log(`peak RSS during sync:        ${formatBytes(peakRss)} (client + in-process emulator; target < 300 MB)`);

    // 3. No-op re-plan, warm stat cache: multi-GB vs 16 MB.
    await storage.createBucket('bench-small');
    const smallTarget: SyncTarget = { source: small, bucket: 'bench-small', prefix: 'model/', deleteRemoved: true };
    await executePlan(smallTarget, await planSync(smallTarget, env), env, tuning);
    const bigPlan = await timePlans(target, env);
    const smallPlan = await timePlans(smallTarget, env);
    console.log(
      `no-op re-plan (median of 15): ${formatBytes(totalBytes)} ${bigPlan.ms.toFixed(1)} ms (read ${formatBytes(bigPlan.hashedBytes)}), 16.0 MiB with the same files ${smallPlan.ms.toFixed(1)} ms -> ratio ${(bigPlan.ms / smallPlan.ms).toFixed(2)} (target <= 1.5)`,
    );
  } finally {
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function timePlans(target: SyncTarget, env: SyncEnv): Promise<{ ms: number; hashedBytes: number }> {
  await planSync(target, env); // warm-up (module caches, connections)
  const times: number[] = [];
  let hashedBytes = 0;
  for (let i = 0; i < 15; i++) {
    const start = process.hrtime.bigint();
    const planned = await planSync(target, env);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    hashedBytes += planned.manifest.hashedBytes;
    if (planned.plan.upload.length + planned.plan.replace.length + planned.plan.deleteRemote.length > 0) {
      throw new Error(`bench: expected a no-op plan for ${target.source}, found changes`);
    }
  }
  times.sort((a, b) => a - b);
  return { ms: times[7], hashedBytes };
}

/**
 * The 16 MB directory has the same file names as the big one (a re-plan costs per file, not per byte), with
 * the JSON files copied and the weight shards shrunk so the whole is 16 MiB.
 */
async function writeSmallTwin(dir: string, bigFiles: { rel: string; abs: string; size: number }[]): Promise<void> {
  await fs.mkdir(dir);
  const shards = bigFiles.filter((f) => f.rel.endsWith('.safetensors'));
  const others = bigFiles.filter((f) => !f.rel.endsWith('.safetensors'));
  for (const f of others) await fs.copyFile(f.abs, path.join(dir, f.rel));
  const otherBytes = others.reduce((n, f) => n + f.size, 0);
  const perShard = Math.floor((16 * MiB - otherBytes) / shards.length);
  for (const f of shards) await fs.writeFile(path.join(dir, f.rel), randomBytes(perShard));
}

/** Stat-cache entries are only trusted for files older than the racy window; age the generated files. */
async function settleMtimes(dir: string): Promise<void> {
  const past = new Date(Date.now() - 3600_000);
  for (const f of await listFiles(dir)) await fs.utimes(f.abs, past, past);
}

async function listFiles(dir: string): Promise<{ rel: string; abs: string; size: number }[]> {
  const out: { rel: string; abs: string; size: number }[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const abs = path.join(dir, name);
    const st = await fs.stat(abs);
    if (st.isFile()) out.push({ rel: name, abs, size: st.size });
  }
  return out;
}

function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function rate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

// `--preview-only` runs just the no-op preview figures (scripts/bench/preview.ts).
(process.argv.includes('--preview-only') ? runPreviewBench() : main().then(runPreviewBench)).catch((error) => {
  console.error(error);
  process.exit(1);
});
