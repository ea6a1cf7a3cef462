import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emptyControlPlaneState, type ControlPlaneState } from './control-plane';

export const CONTROL_PLANE_FILE = 'control-plane.json';

/**
 * Where control-plane state lives between mutations. The file store writes synchronously and atomically
 * (temp file + fsync + rename, then fsync of the directory) so a crash leaves either the old or the new file,
 * never a torn one, and two concurrent requests can never interleave their writes.
 */
export interface StatePersistence {
  load(): ControlPlaneState;
  save(state: ControlPlaneState): void;
  describe(): string;
}

export function memoryPersistence(): StatePersistence {
  return { load: emptyControlPlaneState, save: () => undefined, describe: () => 'memory' };
}

export function filePersistence(dataDir: string): StatePersistence {
  const file = join(dataDir, CONTROL_PLANE_FILE);
  return {
    describe: () => file,
    load() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyControlPlaneState();
        throw err;
      }
      const parsed = JSON.parse(text) as Partial<ControlPlaneState>;
      if (parsed.version !== 1) {
        throw new Error(`${file} has state version ${String(parsed.version)}, expected 1; move it aside to start fresh`);
      }
      return { ...emptyControlPlaneState(), ...parsed } as ControlPlaneState;
    },
    save(state) {
      writeFileAtomic(file, JSON.stringify(state, null, 1));
    },
  };
}

export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
