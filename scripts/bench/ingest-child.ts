/**
 * ark-local's ingest pipeline, before and after issue 13, behind a bare HTTP server in a process of its own, so
 * the server CPU each byte costs can be read without the client's. `PUT /after` is the real thing
 * (`diskBlobs().ingest`: MD5 and the WebAssembly CRC64 of every byte, written through a 1 MiB buffer);
 * `PUT /before` rebuilds what it replaced (the JavaScript CRC64, MD5, a write stream with node's default
 * buffer); `PUT /md5` is MD5 and the same write alone: the floor no CRC64 can lower. Each answers the CPU
 * seconds it spent. Argument: a scratch directory; child -> `{ port }`; it ends when the IPC channel closes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { diskBlobs } from '../../emulator/tos/blobs';
import { baselineCrc64 } from './baseline-crc64';
import type { IngestRoute } from './ingest';

class Hashing extends Transform {
  private readonly md5 = createHash('md5');
  private crc = '0';

  constructor(private readonly withCrc: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.md5.update(chunk);
    if (this.withCrc) this.crc = baselineCrc64(chunk, this.crc);
    done(null, chunk);
  }
}

function serve(dir: string): Promise<number> {
  const blobs = diskBlobs(path.join(dir, 'after'));
  const ingest: Record<IngestRoute, (req: http.IncomingMessage) => Promise<void>> = {
    before: (req) => pipeline(req, new Hashing(true), createWriteStream(path.join(dir, 'before.bin'))),
    after: async (req) => {
      const blob = await blobs.ingest(req);
      await blobs.remove(blob.blob);
    },
    md5: (req) => pipeline(req, new Hashing(false), createWriteStream(path.join(dir, 'md5.bin'), { highWaterMark: 1024 * 1024 })),
  };
  const server = http.createServer((req, res) => {
    const route = req.url?.slice(1) as IngestRoute;
    const c0 = process.cpuUsage();
    ingest[route](req).then(
      () => {
        const c = process.cpuUsage(c0);
        res.end(String((c.user + c.system) / 1e6));
      },
      (error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      },
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

serve(process.argv[2]!).then(
  (port) => process.send!({ port }),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
process.on('disconnect', () => process.exit(0));
