import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import type { ArkLocal } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import type { ControllerContext, ProviderSettings } from '../../provider/resources/controller';

/** Files are given an mtime in the past so the stat cache trusts them (see RACY_WINDOW_MS). */
export const PAST = new Date(Date.now() - 3600_000);

export interface LogLines {
  info: string[];
  warn: string[];
}

export function contextFor(settings: () => ProviderSettings): { ctx: ControllerContext; lines: LogLines } {
  const lines: LogLines = { info: [], warn: [] };
  return { ctx: { settings, log: { info: (m) => lines.info.push(m), warn: (m) => lines.warn.push(m) } }, lines };
}

export function rawTos(arkLocal: ArkLocal): TosClient {
  const s = arkLocal.providerSettings();
  return new TosClient({ accessKeyId: s.accessKeyId, accessKeySecret: s.secretAccessKey, region: s.region, endpoint: s.tosEndpoint, secure: false });
}

export async function tempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `${label}-`));
}

/** Writes `content` at `rel` under `root` with an mtime in the past (distinct per call so changes are seen). */
let tick = 0;
export async function writeFile(root: string, rel: string, content: Buffer | string): Promise<void> {
  const file = path.join(root, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  tick += 1;
  const t = new Date(PAST.getTime() + tick * 1000);
  await fs.utimes(file, t, t);
}

/** A small valid model (a LoRA adapter for Qwen2.5-0.5B, ~1 MB) plus one multi-part-sized file. */
export async function writeFixtureModel(root: string, largeBytes = 11 * 1024 * 1024 + 123): Promise<void> {
  await writeSyntheticModel(root, { base: 'Qwen2.5-0.5B', variant: 'lora-adapter', fill: 'random', seed: 7 });
  await writeFile(root, 'extra/optimizer-state.bin', randomBytes(largeBytes));
  for (const name of await fs.readdir(root)) {
    const file = path.join(root, name);
    if ((await fs.stat(file)).isFile()) await fs.utimes(file, PAST, PAST);
  }
}

export interface ListedObject {
  key: string;
  etag: string;
  lastModified: string;
  size: number;
}

export async function listAll(tos: TosClient, bucket: string, prefix = ''): Promise<ListedObject[]> {
  const { data } = await tos.listObjectsType2({ bucket, prefix, maxKeys: 1000 });
  return data.Contents.map((c) => ({ key: c.Key, etag: c.ETag, lastModified: c.LastModified, size: Number(c.Size) })).sort((a, b) =>
    a.key < b.key ? -1 : 1,
  );
}

/** Counts TOS requests per operation with latency-0 fault rules (they fire on every match, changing nothing). */
export async function countTosRequests(arkLocal: ArkLocal, operations: string[]): Promise<() => Promise<Record<string, number>>> {
  const ids = new Map<string, string>();
  for (const operation of operations) {
    const rule = await arkLocal.admin.addFault({ service: 'tos', operation, kind: 'latency', latencyMs: 0 });
    ids.set(rule.id, operation);
  }
  return async () => {
    const counts: Record<string, number> = Object.fromEntries(operations.map((o) => [o, 0]));
    for (const rule of await arkLocal.admin.listFaults()) {
      const op = ids.get(rule.id);
      if (op) counts[op] = rule.fired;
    }
    return counts;
  };
}
