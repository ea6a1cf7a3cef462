import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { type ArkLocal, startArkLocal } from '../../emulator';
import { ArkClient } from '../../provider/clients/ark/client';
import { type SyntheticModelOptions, writeSyntheticModel } from '../../provider/model/synthetic';
import type { ControllerContext, ProgressLog } from '../../provider/resources/controller';

/**
 * Shared set-up of the Ark client / CustomModel / ModelUnitEndpoint integration tests: an in-process ark-local
 * (data directory on disk: model weights are hundreds of MB), a context as the provider runtime builds it, a log
 * that records lines, and synthetic Hugging Face directories uploaded with the official TOS SDK.
 */
export interface ArkFixture {
  ark: ArkLocal;
  ctx: ControllerContext;
  log: RecordingLog;
  client: ArkClient;
  tos: TosClient;
  /** Writes a synthetic model and uploads it to `tos://bucket/prefix/`; returns that location. */
  uploadModel(bucket: string, prefix: string, model: SyntheticModelOptions): Promise<string>;
  /** Between tests: no faults, after-reads transitions (so waits really poll), an empty log. */
  resetBetweenTests(): Promise<void>;
  close(): Promise<void>;
}

export interface RecordingLog extends ProgressLog {
  lines: string[];
}

export function recordingLog(): RecordingLog {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(m), warn: (m) => void lines.push(`WARN ${m}`) };
}

/** Poll interval for tests: ark-local's after-reads transitions need polls, not wall time. */
export const TEST_POLL_INTERVAL_MS = 5;

export async function startArkFixture(): Promise<ArkFixture> {
  const scratch = await mkdtemp(join(tmpdir(), 'ark-it-'));
  const ark = await startArkLocal({ dataDir: join(scratch, 'ark-local'), quiet: true });
  const settings = () => ({ ...ark.providerSettings(), pollIntervalMs: TEST_POLL_INTERVAL_MS });
  const log = recordingLog();
  const tos = new TosClient({
    accessKeyId: ark.credential.accessKeyId,
    accessKeySecret: ark.credential.secretAccessKey,
    region: ark.region,
    endpoint: ark.tosEndpoint,
    secure: false,
  });
  const buckets = new Set<string>();
  let dirs = 0;
  return {
    ark,
    ctx: { settings, log },
    log,
    client: new ArkClient({ settings: settings() }),
    tos,
    async uploadModel(bucket, prefix, model) {
      if (!buckets.has(bucket)) {
        await tos.createBucket({ bucket });
        buckets.add(bucket);
      }
      const dir = join(scratch, `model-${++dirs}`);
      await writeSyntheticModel(dir, model);
      for (const name of await readdir(dir)) {
        await tos.putObjectFromFile({ bucket, key: `${prefix}${name}`, filePath: join(dir, name) });
      }
      await rm(dir, { recursive: true, force: true });
      return `tos://${bucket}/${prefix}`;
    },
    async resetBetweenTests() {
      await ark.admin.clearFaults();
      await ark.admin.setTransitions({ mode: 'after-reads', reads: 2 });
      log.lines.length = 0;
    },
    async close() {
      await ark.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** The error a promise rejects with, or a failure naming what it resolved to instead. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, but it resolved with ${JSON.stringify(value)?.slice(0, 300)}`);
}
