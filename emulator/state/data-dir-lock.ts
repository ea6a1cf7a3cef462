import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * One ark-local per data directory. Two servers on the same directory would each hold their own copy of the
 * control plane and overwrite each other's control-plane.json, silently losing endpoints. The lock is a file
 * holding the owner's pid; a lock whose process is gone (a killed ark-local) is taken over.
 */
export const LOCK_FILE = 'ark-local.lock';

/** Directories locked by this process, so a second instance in the same process is refused too. */
const heldHere = new Set<string>();

export interface DataDirLock {
  release(): Promise<void>;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `ark-local: data directory ${dataDir} is in use by process ${pid} (lock file ${path.join(dataDir, LOCK_FILE)}); ` +
        'stop that ark-local, or start this one with another --data directory',
    );
    this.name = 'DataDirInUseError';
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = path.resolve(dataDir);
  await mkdir(dir, { recursive: true });
  if (heldHere.has(dir)) throw new DataDirInUseError(dir, process.pid);
  const lockPath = path.join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw new DataDirInUseError(dir, owner);
      await unlink(lockPath).catch(() => undefined);
    }
  }
  heldHere.add(dir);
  return {
    async release() {
      heldHere.delete(dir);
      await unlink(lockPath).catch(() => undefined);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
