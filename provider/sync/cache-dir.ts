import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the sync keeps its private state (stat caches, upload checkpoints): outside the model directory, so a
 * sync never adds files to what it uploads. `PULUMI_ARK_CACHE_DIR` overrides (tests, CI), then
 * `$XDG_CACHE_HOME/pulumi-ark`, then `~/.cache/pulumi-ark`.
 */
export function syncCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PULUMI_ARK_CACHE_DIR) return path.resolve(env.PULUMI_ARK_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'pulumi-ark');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Writes `content` so readers see either the old file or the new one, never a torn one: a unique temp file in
 * the same directory, then rename (atomic on POSIX within a filesystem).
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await fs.writeFile(tmp, content, 'utf8');
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}
