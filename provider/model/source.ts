import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface ModelFile {
  /** Relative, '/'-separated. */
  path: string;
  size: number;
}

/** Where a model's files live (a local directory, a TOS prefix); the validator only needs listings and byte ranges. */
export interface ModelFileSource {
  /** Human description used in messages, e.g. `/data/qwen-sft` or `tos://bucket/prefix/`. */
  describe(): string;
  list(): Promise<ModelFile[]>;
  /** Reads exactly `length` bytes from `start`, or fewer if the file ends first. */
  read(path: string, start: number, length: number): Promise<Buffer>;
}

/** A source over a local directory whose listing was already taken (usually by walkModelDir). */
export function localModelSource(root: string, files: ModelFile[]): ModelFileSource {
  const absRoot = path.resolve(root);
  const known = new Set(files.map((f) => f.path));
  return {
    describe: () => absRoot,
    list: async () => files.map((f) => ({ path: f.path, size: f.size })),
    async read(rel, start, length) {
      if (!known.has(rel)) {
        throw new Error(`${path.join(absRoot, rel)}: expected a file listed in the model directory, found no such entry`);
      }
      const handle = await fs.open(path.join(absRoot, ...rel.split('/')), 'r');
      try {
        const buf = Buffer.alloc(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buf, filled, length - filled, start + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return filled === length ? buf : buf.subarray(0, filled);
      } finally {
        await handle.close();
      }
    },
  };
}
