/**
 * ark-local's ingest per CPU-second (issue 13: ">= 2x today's per core"). Two comparisons:
 * - whole servers: ark-local as the issue found it (`ark-local-before.ts`, built from git) and this checkout's,
 *   each in a child process, take the same SDK `putObjectFromFile` in turn; the server's CPU per byte is the
 *   figure (routing, signature check, store and ingest: everything a user's upload costs it);
 * - the ingest pipeline alone: the old pipeline rebuilt in `ingest-child.ts`, the current one and MD5 + write
 *   alone, behind one bare HTTP server, which shows how much of the cost is left to any CRC64.
 */
import { createReadStream } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { formatBytes } from '../../provider/sync/progress';
import { TosStorage } from '../../provider/clients/tos/client';
import { arkLocalBefore, BEFORE_REVISION } from './ark-local-before';
import { benchDataDir, type DataSet } from './data';
import { rate, ratio, startChild, startChildArkLocal, type ChildArkLocal } from './measure';

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
  const whole = await wholeServerSeconds(arkLocal, storage, largest.abs, work, rounds);
  const per = (seconds: number) => rate(largest.size, seconds).padStart(12);
  console.log(`\n== ark-local ingest of a ${formatBytes(largest.size)} PUT, per CPU-second of the server`);
  if (whole.before === undefined) console.log(`  whole ark-local, before: skipped: ${whole.skipped}`);
  else console.log(`  whole ark-local, before (${BEFORE_REVISION}):       ${per(whole.before)}`);
  const vsBefore = whole.before === undefined ? '' : ` -> ${ratio(whole.before, whole.now)} before (goal >= 2x)`;
  console.log(`  whole ark-local, now:                  ${per(whole.now)}${vsBefore}`);
  console.log(`  pipeline alone, before (JS CRC64 + MD5, 16 KiB writes): ${per(best.before)}`);
  console.log(`  pipeline alone, now (WASM CRC64 + MD5, 1 MiB writes): ${per(best.after)} -> ${ratio(best.before, best.after)} before`);
  console.log(`  MD5 + 1 MiB writes alone (no CRC64 at all):            ${per(best.md5)} -> ${ratio(best.before, best.md5)} before: the most any CRC64 could give`);
}

/**
 * Server CPU seconds for one SDK PUT of `file`, the best of `rounds`, into the bench's ark-local and into the
 * pre-issue build, taking turns so both see the same machine.
 */
async function wholeServerSeconds(
  now: ChildArkLocal,
  nowStorage: TosStorage,
  file: string,
  work: string,
  rounds: number,
): Promise<{ now: number; before?: number; skipped?: string }> {
  const build = await arkLocalBefore(benchDataDir());
  const before = 'root' in build ? await startChildArkLocal(path.join(work, 'ark-local-before'), build.root) : undefined;
  try {
    const targets = [{ server: now, storage: nowStorage, best: Infinity }];
    if (before) {
      const storage = new TosStorage(before.settings);
      await storage.createBucket('bench');
      targets.push({ server: before, storage, best: Infinity });
    }
    for (let round = 0; round < Math.max(3, rounds); round++) {
      for (const target of targets) {
        const c0 = await target.server.cpuSeconds();
        await target.storage.sdk.putObjectFromFile({ bucket: 'bench', key: 'ingest/shard', filePath: file });
        target.best = Math.min(target.best, (await target.server.cpuSeconds()) - c0);
        await target.storage.deleteKeys('bench', ['ingest/shard']);
      }
    }
    return 'root' in build ? { now: targets[0]!.best, before: targets[1]!.best } : { now: targets[0]!.best, skipped: build.skipped };
  } finally {
    await before?.close();
  }
}
