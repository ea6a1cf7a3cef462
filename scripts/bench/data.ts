import { execFile } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GiB, MiB } from './measure';

/**
 * Non-sparse bench models, generated once and kept: sparse files read as zeros from the page cache and flatter
 * every figure. `<dir>/model-<N>g/` holds N GiB of random bytes in shards of at most 2 GiB plus a config.json;
 * `.complete` (hidden, so never synced) marks a finished set. Disk: the sum of the sizes asked for (1 GiB and
 * 15 GiB: 16 GiB), plus, while a size runs, ark-local's copy of at most one upload of it.
 */
export function benchDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_DATA_DIR ?? path.join(os.homedir(), '.cache', 'pulumi-ark-bench');
}

export interface DataSet {
  dir: string;
  files: { rel: string; abs: string; size: number }[];
  bytes: number;
}

const SHARD_MAX = 2 * GiB;
const WRITE_CHUNK = 16 * MiB;

export async function ensureDataSet(gib: number, root = benchDataDir()): Promise<DataSet> {
  const dir = path.join(root, `model-${gib}g`);
  const total = Math.round(gib * GiB);
  const shards = Math.max(2, Math.ceil(total / SHARD_MAX));
  const names = Array.from({ length: shards }, (_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`);
  const marker = path.join(dir, '.complete');
  const spec = JSON.stringify({ total, shards });
  if ((await fs.readFile(marker, 'utf8').catch(() => '')) !== spec) {
    console.log(`bench: generating ${gib} GiB of non-sparse data in ${dir} (once; kept for later runs)`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['Qwen2ForCausalLM'], bench: true }, null, 2));
    const chunk = Buffer.allocUnsafe(WRITE_CHUNK);
    for (const [i, name] of names.entries()) {
      const size = i < shards - 1 ? Math.floor(total / shards) : total - Math.floor(total / shards) * (shards - 1);
      const handle = await fs.open(path.join(dir, name), 'w');
      try {
        for (let at = 0; at < size; at += WRITE_CHUNK) {
          const n = Math.min(WRITE_CHUNK, size - at);
          randomFillSync(chunk, 0, n);
          await handle.write(chunk, 0, n, at);
        }
      } finally {
        await handle.close();
      }
    }
    const past = new Date(Date.now() - 3600_000);
    for (const name of [...names, 'config.json']) await fs.utimes(path.join(dir, name), past, past);
    await fs.writeFile(marker, spec);
  }
  const files = [];
  for (const rel of ['config.json', ...names]) {
    const abs = path.join(dir, rel);
    files.push({ rel, abs, size: (await fs.stat(abs)).size });
  }
  return { dir, files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/**
 * Drops the data set's pages from the page cache (`dd iflag=nocache`: posix_fadvise DONTNEED, no root needed),
 * so every compared upload starts from the device: otherwise whichever ran last inherits the cache the others
 * filled, which at 15 GiB on this machine was 4 GiB read from disk against 10. False where dd cannot do it.
 */
export async function evictFromPageCache(data: DataSet): Promise<boolean> {
  try {
    for (const f of data.files) await promisify(execFile)('dd', [`if=${f.abs}`, 'iflag=nocache', 'count=0', 'status=none']);
    return true;
  } catch {
    return false;
  }
}
