/**
 * Fingerprinting as a fresh runner's sync does it (`buildManifest` with an empty stat cache: every file walked
 * and hashed), in a process of its own, so the bench can give it exactly one core (`taskset`) or all of them.
 * A single hashing thread is not a single core: its file reads run on libuv's thread pool while it hashes, so
 * "one core's throughput" is only measured by a process that has one core. Parent -> `{ job }`; child ->
 * `{ figures }` (the best of `rounds` after one warm-up pass: threads started, files in the page cache).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HashPool } from '../../provider/sync/hash-pool';
import { buildManifest } from '../../provider/sync/manifest';
import { answerParent, measure } from './measure';

export interface FingerprintJob {
  /** The model directory. */
  dir: string;
  threads: number;
  rounds: number;
}

export interface FingerprintFigures {
  seconds: number;
  cpuSeconds: number;
}

async function run(job: FingerprintJob): Promise<FingerprintFigures> {
  const pool = new HashPool(job.threads);
  const caches = mkdtempSync(path.join(os.tmpdir(), 'pulumi-ark-bench-fingerprint-'));
  let pass = 0;
  const hashAll = () => buildManifest(job.dir, { cacheDir: path.join(caches, String(pass++)), pool });
  try {
    await hashAll();
    let best: FingerprintFigures = { seconds: Infinity, cpuSeconds: 0 };
    for (let round = 0; round < job.rounds; round++) {
      const r = await measure(hashAll);
      if (r.seconds < best.seconds) best = { seconds: r.seconds, cpuSeconds: r.cpuSeconds };
    }
    return best;
  } finally {
    await pool.close();
    rmSync(caches, { recursive: true, force: true });
  }
}

answerParent(run);
