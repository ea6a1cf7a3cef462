/**
 * ark-local's ingest per CPU-second (issue 13: ">= 2x today's per core"). "Today" is the pipeline the issue
 * measured, rebuilt in `ingest-child.ts` next to the current one and MD5 alone, behind the same bare HTTP server
 * in a child process; the same bytes are PUT to each in turn and the server's CPU per byte compared. Then a
 * real PUT into the bench's ark-local (routing, signature check, store) gives the whole server's figure.
 */
import { createReadStream } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { TosStorage } from '../../provider/clients/tos/client';
import { formatBytes } from '../../provider/sync/progress';
import type { DataSet } from './data';
import { rate, ratio, startChild, type ChildArkLocal } from './measure';

/** The child's routes (a child module runs on import, so they are named here). */
export const INGEST_ROUTES = ['before', 'after', 'md5'] as const;
export type IngestRoute = (typeof INGEST_ROUTES)[number];

/** PUTs `file` to the ingest server's `route`; resolves with the server CPU seconds it reported. */
function putTo(port: number, route: IngestRoute, file: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/${route}`, method: 'PUT', headers: { 'content-length': size } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(body)) : reject(new Error(`ingest ${route}: HTTP ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(req);
  });
}

export async function ingestFigures(arkLocal: ChildArkLocal, storage: TosStorage, data: DataSet, work: string, rounds: number): Promise<void> {
  const largest = data.files.reduce((a, b) => (b.size > a.size ? b : a));
  const { child, ready } = await startChild<{ port: number }>('ingest-child.js', [path.join(work, 'ingest')]);
  const best: Record<IngestRoute, number> = { before: Infinity, after: Infinity, md5: Infinity };
  try {
    const { port } = ready;
    for (let round = 0; round < Math.max(2, rounds); round++) {
      for (const route of INGEST_ROUTES) best[route] = Math.min(best[route], await putTo(port, route, largest.abs, largest.size));
    }
  } finally {
    child.disconnect();
  }
  let server = Infinity;
  for (let round = 0; round < Math.max(2, rounds); round++) {
    const c0 = await arkLocal.cpuSeconds();
    await storage.sdk.putObjectFromFile({ bucket: 'bench', key: 'ingest/shard', filePath: largest.abs });
    server = Math.min(server, (await arkLocal.cpuSeconds()) - c0);
    await storage.deleteKeys('bench', ['ingest/shard']);
  }
  const per = (seconds: number) => rate(largest.size, seconds).padStart(12);
  console.log(`\n== ark-local ingest of a ${formatBytes(largest.size)} PUT, per CPU-second of the server`);
  console.log(`  before (JS CRC64 + MD5, 16 KiB writes): ${per(best.before)}`);
  console.log(`  after (WASM CRC64 + MD5, 1 MiB writes): ${per(best.after)} -> ${ratio(best.before, best.after)} before (goal >= 2x)`);
  console.log(`  MD5 + write alone (no CRC64 at all):    ${per(best.md5)} -> ${ratio(best.before, best.md5)} before: the most any CRC64 could give`);
  console.log(`  whole ark-local PUT (routing, signature, store): ${per(server).trim()}`);
}
