import { execFile, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { ProviderSettings } from '../../provider/resources/controller';
import { formatBytes } from '../../provider/sync/progress';

/** Bytes this process (all its threads) read: `rchar` through read syscalls, `readBytes` from the block device. */
export interface ReadCounters {
  rchar: number;
  readBytes: number;
}

export function procIo(): ReadCounters {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rchar: field('rchar'), readBytes: field('read_bytes') };
}

/**
 * The kernel's direct compaction stalls so far (`compact_stall` in `/proc/vmstat`): allocations that had to
 * defragment memory first, in the process that allocated. On this VM a 15 GiB upload run counted 474-1220 of
 * them (a 1 GiB run none), and the system time they cost slows every upload compared; undefined where there is
 * no such counter.
 */
export function compactionStalls(): number | undefined {
  try {
    const stalls = /^compact_stall (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1];
    return stalls === undefined ? undefined : Number(stalls);
  } catch {
    return undefined;
  }
}

export interface RunFigures {
  seconds: number;
  /** CPU time of this process, every thread (hash workers included), user + system. */
  cpuSeconds: number;
  read: ReadCounters;
  peakRss: number;
}

/** Runs `work`, timing it and sampling this process's RSS every 50 ms and its read counters around it. */
export async function measure(work: () => Promise<unknown>): Promise<RunFigures> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const io0 = procIo();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const io1 = procIo();
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, read: { rchar: io1.rchar - io0.rchar, readBytes: io1.readBytes - io0.readBytes }, peakRss: peak };
}

/** Wall time of `b2sum` over `files` (one process, files in order): the reference for "reads and hashes". */
export async function b2sumSeconds(files: readonly string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  await promisify(execFile)('b2sum', [...files], { maxBuffer: 1 << 20 });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * How many cores this process can actually get right now: one `b2sum` alone vs one per core at once, on the
 * same file. On a shared machine (Linux autogroups give each session a fair share whatever its thread count)
 * this can be well below the core count, and no multi-threaded figure can beat it.
 */
export async function usableCores(file: string, cores: number): Promise<number> {
  const alone = await b2sumSeconds([file]);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: cores }, () => b2sumSeconds([file])));
  const together = Number(process.hrtime.bigint() - t0) / 1e9;
  return (cores * alone) / together;
}

/**
 * Runs `job` in a fresh node process (`script`, a compiled child under dist/scripts/bench/) and returns what it
 * measured. Figures that compare processes (peak RSS above all) must not share the bench's own heap.
 */
export function inChild<Job, Figures>(script: string, job: Job, opts: { pinToCpu?: number } = {}): Promise<Figures> {
  // Pinned: `taskset -c N node script`, so every thread the child ever starts inherits the one-CPU mask.
  const pin = opts.pinToCpu === undefined ? {} : { execPath: 'taskset', execArgv: ['-c', String(opts.pinToCpu), process.execPath] };
  const child = fork(path.join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...pin });
  return new Promise((resolve, reject) => {
    let answered = false;
    child.once('message', (m: { figures?: Figures; error?: string }) => {
      answered = true;
      if (m.figures) resolve(m.figures);
      else reject(new Error(`bench child ${script} failed: ${m.error}`));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!answered) reject(new Error(`bench child ${script} exited with code ${code} before reporting`));
    });
    child.send({ job });
  });
}

/** The child side of `inChild`: takes the job, runs it, answers with its figures (or the error) and exits. */
export function answerParent<Job, Figures>(run: (job: Job) => Promise<Figures>): void {
  process.once('message', (m: { job: Job }) => {
    run(m.job).then(
      (figures) => process.send!({ figures }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: error instanceof Error ? error.stack : String(error) }, () => process.exit(1)),
    );
  });
}

/**
 * Starts a long-lived child (`script` with `args`) and resolves with its first message, its "ready"; rejects if
 * it exits first. The caller ends it with `child.disconnect()`.
 */
export async function startChild<Ready>(script: string, args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(path.join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const early = (code: number | null) => reject(new Error(`bench child ${script} exited with code ${code} before it was ready`));
    child.once('error', reject);
    child.once('exit', early);
    child.once('message', (m: Ready) => {
      child.off('exit', early);
      resolve(m);
    });
  });
  return { child, ready };
}

export interface ChildArkLocal {
  settings: ProviderSettings;
  /** CPU time (user + system) the ark-local process has used so far, in seconds. */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

export async function startChildArkLocal(dataDir: string, otherBuild?: string): Promise<ChildArkLocal> {
  const { child, ready } = await startChild<{ settings: ProviderSettings }>('ark-local-child.js', otherBuild ? [dataDir, otherBuild] : [dataDir]);
  return {
    settings: ready.settings,
    cpuSeconds: () =>
      new Promise((resolve) => {
        child.once('message', (m: { micros: number }) => resolve(m.micros / 1e6));
        child.send({ op: 'cpu' });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function rate(bytes: number, seconds: number): string {
  return `${formatBytes(bytes / seconds)}/s`;
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}
