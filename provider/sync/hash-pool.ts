import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc64WorkerSetup } from '../api/crc64-wasm';

/**
 * File hashing on every core. Worker threads read byte ranges of files and CRC64 them (the WebAssembly function
 * of `crc64-wasm.ts`, reading straight into its input areas, one chunk ahead), so fingerprinting a directory,
 * or checking the parts of an upload being resumed, uses every core and returns nothing but the digests.
 * Upload bodies are not read here: they are hashed on the main thread on their way to the socket
 * (`range-reader.ts` says why).
 */

export interface RangeDigest {
  crc64: string;
  /** Hex MD5, when asked for. */
  md5?: string;
}

/**
 * The worker program. A string, not a module: it must run the same from ts-jest (TypeScript sources) and from
 * dist, and it needs nothing but node built-ins and the compiled WebAssembly module it receives.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const { module, tables, tablesOffset, inputOffset, inputBytes } = workerData;
const instance = new WebAssembly.Instance(module, {});
const memory = instance.exports.memory;
new BigUint64Array(memory.buffer, tablesOffset, tables.length).set(tables);
// The running hash job reads into one input area while it hashes the other.
const area = (i) => ({ ptr: inputOffset + i * inputBytes, view: new Uint8Array(memory.buffer, inputOffset + i * inputBytes, inputBytes) });
const jobAreas = [area(0), area(1)];
const crc = instance.exports.crc;
const ONES = (1n << 64n) - 1n;
const value = (register) => (BigInt.asUintN(64, register) ^ ONES).toString();

function shrank(file, missing, at) {
  return new Error(file + ': expected ' + missing + ' more bytes at offset ' + at + ', found the end of the file (it shrank while being read)');
}

/** CRC64 (and MD5) of a range, read straight into the WebAssembly input areas, one chunk ahead. */
async function hashRange(job) {
  const fh = await fs.promises.open(job.file, 'r');
  try {
    const md5 = job.md5 ? createHash('md5') : undefined;
    let register = ONES;
    let at = job.start;
    let turn = 0;
    const read = () => {
      const a = jobAreas[turn++ % 2];
      const want = Math.min(inputBytes, job.end - at);
      const from = at;
      at += want;
      return fh.read(a.view, 0, want, from).then(({ bytesRead }) => ({ a, want, from, bytesRead }));
    };
    let next = job.end > job.start ? read() : undefined;
    while (next) {
      const got = await next;
      if (got.bytesRead !== got.want) throw shrank(job.file, job.end - got.from, got.from);
      next = at < job.end ? read() : undefined;
      register = crc(got.a.ptr, got.bytesRead, register);
      if (md5) md5.update(got.a.view.subarray(0, got.bytesRead));
    }
    return { crc64: value(register), md5: md5 ? md5.digest('hex') : undefined };
  } finally {
    await fh.close();
  }
}

// Hash jobs run one at a time per thread (they own both input areas); the pool gives each thread a few.
let jobs = Promise.resolve();

parentPort.on('message', (m) => {
  jobs = jobs.then(() => hashRange(m)).then(
    (r) => parentPort.postMessage({ id: m.id, ...r }),
    (e) => parentPort.postMessage({ id: m.id, error: e && e.message ? e.message : String(e) }),
  );
});
`;

/** Idle workers are stopped after this long, so a finished sync leaves no threads behind. */
const IDLE_MS = 2000;
/**
 * Jobs handed to one thread at a time: the one it hashes and the next, so it never waits for a message. The
 * rest wait in the pool's queue and go to whichever thread frees up first: a thread slowed by a neighbour (a
 * shared CI runner) takes fewer segments instead of holding a fixed share of them.
 */
const JOBS_PER_THREAD = 2;

interface Job {
  id: number;
  file: string;
  start: number;
  end: number;
  md5: boolean;
  resolve(result: RangeDigest): void;
  reject(error: Error): void;
}

interface Pending {
  worker: WorkerSlot;
  job: Job;
}

interface WorkerSlot {
  worker: Worker;
  load: number;
}

export class HashPool {
  private slots: WorkerSlot[] = [];
  private readonly queue: Job[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly size: number = defaultThreads()) {}

  /** CRC64 (and MD5 if asked) of bytes [start, end) of `file`. */
  hashRange(file: string, start: number, end: number, opts: { md5?: boolean } = {}): Promise<RangeDigest> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, file, start, end, md5: opts.md5 === true, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker now (running and queued jobs fail). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const closed = new Error('hash pool closed');
    for (const job of this.queue.splice(0)) job.reject(closed);
    const slots = this.slots;
    for (const slot of slots) this.failWorker(slot, closed);
    clearTimeout(this.idleTimer);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** Hands queued jobs to threads with room: an idle one first, then a new one while fewer than `size` run. */
  private dispatch(): void {
    clearTimeout(this.idleTimer);
    while (this.queue.length > 0) {
      const slot =
        this.slots.find((s) => s.load === 0) ??
        (this.slots.length < this.size ? this.spawn() : this.slots.find((s) => s.load < JOBS_PER_THREAD));
      if (!slot) return;
      const job = this.queue.shift()!;
      // A thread with work keeps the process alive; an idle one never does (see settle).
      if (slot.load === 0) slot.worker.ref();
      slot.load += 1;
      this.pending.set(job.id, { worker: slot, job });
      slot.worker.postMessage({ id: job.id, file: job.file, start: job.start, end: job.end, md5: job.md5 });
    }
  }

  private spawn(): WorkerSlot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: crc64WorkerSetup() });
    const slot: WorkerSlot = { worker, load: 0 };
    worker.on('message', (m: { id: number; crc64?: string; md5?: string; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.settle(m.id);
      if (m.error !== undefined) p.job.reject(new Error(m.error));
      else p.job.resolve({ crc64: m.crc64!, ...(m.md5 ? { md5: m.md5 } : {}) });
      this.dispatch();
      this.idleWhenDone();
    });
    worker.on('error', (error) => this.failWorker(slot, error));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) this.failWorker(slot, new Error(`hash worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.worker.load -= 1;
    if (p.worker.load === 0) p.worker.worker.unref();
  }

  private idleWhenDone(): void {
    if (this.pending.size > 0 || this.queue.length > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
    this.idleTimer.unref();
  }

  /** A thread that failed or exited: its jobs fail; queued jobs go to the others (or a new one). */
  private failWorker(slot: WorkerSlot, error: Error): void {
    this.slots = this.slots.filter((s) => s !== slot);
    for (const [id, p] of [...this.pending]) {
      if (p.worker !== slot) continue;
      this.settle(id);
      p.job.reject(error);
    }
    this.dispatch();
    this.idleWhenDone();
  }
}

function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

let shared: HashPool | undefined;

/** The process-wide pool (one thread per core; threads start on demand and stop when idle). */
export function hashPool(): HashPool {
  shared ??= new HashPool();
  return shared;
}
