/**
 * One remote-source figure in a process of its own, as the provider would run it: the TosModelDir controller's
 * check + create from a tos:// or hf:// source (or a local directory, for comparison), a hub download alone, or
 * a TOS upload alone. The figures are this process's own: wall time, every byte it moved through read/write
 * syscalls (sockets included: `rchar`/`wchar` of /proc/self/io), the bytes it wrote to a block device
 * (`write_bytes`) and its peak RSS (VmHWM). Parent -> `{ job }`; child -> `{ figures }` or `{ error }`.
 */
import { readFileSync } from 'node:fs';
import type { ProviderSettings } from '../../provider/resources/controller';
import { tosModelDirController as controller } from '../../provider/resources/tos-model-dir/controller';
import { InputsSchema } from '../../provider/resources/tos-model-dir/schema';
import { openHubRange, resolveHubModel } from '../../provider/sources/hub';
import { mapPool } from '../../provider/sync/pool';
import { partLayout } from '../../provider/sync/upload';
import { answerParent } from './measure';

export type RemoteKind = 'controller' | 'hub-download';

export interface RemoteJob {
  kind: RemoteKind;
  settings: ProviderSettings;
  /** For `controller`: the TosModelDir inputs (source, bucket, prefix, baseModel, ...). */
  inputs?: Record<string, unknown>;
  /** For `hub-download`: the repo and revision, streamed in `partSize` ranges, `concurrency` at a time. */
  hub?: { repo: string; revision: string; partSize: number; concurrency: number };
}

export interface RemoteFigures {
  seconds: number;
  /** CPU time of this process (user + system, every thread). */
  cpuSeconds: number;
  /** Bytes through read/write syscalls: file and socket I/O of this process. */
  ioBytes: number;
  /** Bytes this process caused to be written to a block device. */
  diskWritten: number;
  peakRss: number;
  /** Bytes of model content the job moved (for throughput). */
  modelBytes: number;
}

function procIo(): { rchar: number; wchar: number; writeBytes: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rchar: field('rchar'), wchar: field('wchar'), writeBytes: field('write_bytes') };
}

function peakRss(): number {
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
}

const quiet = { info: () => undefined, warn: (m: string) => console.warn(m) };

async function run(job: RemoteJob): Promise<RemoteFigures> {
  const ctx = { settings: () => job.settings, log: quiet };
  const io0 = procIo();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let modelBytes = 0;
  if (job.kind === 'controller') {
    const checked = await controller.check({}, job.inputs!, ctx);
    if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    const { outs } = await controller.create(InputsSchema.parse(checked.inputs), ctx);
    modelBytes = outs.totalBytes;
  } else {
    const hub = job.hub!;
    const model = await resolveHubModel({ hubUrl: job.settings.hubEndpoint!, repo: hub.repo, revision: hub.revision, token: job.settings.hubToken }, {});
    const ranges = model.files.flatMap((f) => partLayout(f.size, hub.partSize).map((r) => ({ path: f.path, ...r })));
    await mapPool(ranges, hub.concurrency, async (r) => {
      for await (const chunk of await openHubRange(model, r.path, r.start, r.end, {})) modelBytes += (chunk as Buffer).length;
    });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const io1 = procIo();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, ioBytes: io1.rchar - io0.rchar + (io1.wchar - io0.wchar), diskWritten: io1.writeBytes - io0.writeBytes, peakRss: peakRss(), modelBytes };
}

answerParent(run);
