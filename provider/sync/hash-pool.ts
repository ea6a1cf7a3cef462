import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { crc64WorkerSetup } from '../api/crc64-wasm';

/**
 * File hashing on every core. Worker threads read byte ranges of files and CRC64 them (the WebAssembly function
 * of `crc64-wasm.ts`, reading straight into its input area), so the main thread, which drives the uploads and
 * the event loop, spends nothing per byte. Two kinds of jobs:
 *
 * - `hashRange`: CRC64 (and optionally MD5) of a range, nothing returned but the digests (fingerprints, resume
 *   checks of already-uploaded parts);
 * - `readRange`: the range's bytes as a Readable (chunks transferred, not copied, from the worker) whose CRC64
 *   is known once the last chunk was read: the upload body and its fingerprint from one read of the disk.
 */

export interface RangeDigest {
  crc64: string;
  /** Hex MD5, when asked for. */
  md5?: string;
}

/** A range being read for upload; `crc64` resolves once every byte went through the stream. */
export interface RangeReader {
  stream: Readable;
  crc64: Promise<string>;
}

/**
 * The worker program. A string, not a module: it must run the same from ts-jest (TypeScript sources) and from
 * dist, and it needs nothing but node built-ins and the compiled WebAssembly module it receives.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const { module, tables, tablesOffset, inputOffset, inputBytes, inputAreas, streamChunkBytes } = workerData;
const instance = new WebAssembly.Instance(module, {});
const memory = instance.exports.memory;
new BigUint64Array(memory.buffer, tablesOffset, tables.length).set(tables);
// Areas 0 and 1: the running hash job reads into one while it hashes the other. Area 2: upload-stream chunks,
// copied in and hashed synchronously (they are transferred to the main thread afterwards).
const area = (i) => ({ ptr: inputOffset + i * inputBytes, view: new Uint8Array(memory.buffer, inputOffset + i * inputBytes, inputBytes) });
const jobAreas = [area(0), area(1)];
const streamArea = area(inputAreas - 1);
const crc = instance.exports.crc;
const ONES = (1n << 64n) - 1n;
const value = (register) => (BigInt.asUintN(64, register) ^ ONES).toString();
const streams = new Map();

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

// Hash jobs run one at a time per thread (they own areas 0 and 1); the pool gives each thread a few.
let jobs = Promise.resolve();

/** Sends chunks of a read stream while it has credit; the main thread grants credit as it consumes them. */
function pump(id) {
  const s = streams.get(id);
  if (!s || s.reading) return;
  if (s.at >= s.end) {
    streams.delete(id);
    fs.close(s.fd, () => undefined);
    parentPort.postMessage({ id, done: true, crc64: value(s.register) });
    return;
  }
  if (s.credit === 0) return;
  const chunk = Buffer.allocUnsafeSlow(Math.min(streamChunkBytes, s.end - s.at));
  s.reading = true;
  fs.read(s.fd, chunk, 0, chunk.length, s.at, (error, n) => {
    s.reading = false;
    if (streams.get(id) !== s) return void fs.close(s.fd, () => undefined); // cancelled meanwhile
    if (error || n !== chunk.length) return fail(id, error || shrank(s.file, s.end - s.at, s.at));
    streamArea.view.set(chunk);
    s.register = crc(streamArea.ptr, n, s.register);
    s.at += n;
    s.credit -= 1;
    parentPort.postMessage({ id, chunk: chunk.buffer }, [chunk.buffer]);
    pump(id);
  });
}

function fail(id, error) {
  const s = streams.get(id);
  if (s) {
    streams.delete(id);
    if (s.fd >= 0) fs.close(s.fd, () => undefined);
  }
  parentPort.postMessage({ id, error: error && error.message ? error.message : String(error) });
}

parentPort.on('message', (m) => {
  if (m.op === 'hash') {
    jobs = jobs.then(() => hashRange(m)).then((r) => parentPort.postMessage({ id: m.id, done: true, ...r }), (e) => fail(m.id, e));
  } else if (m.op === 'read') {
    // Reading counts from the open on, so a cancel that arrives first closes the file once it is open.
    const s = { file: m.file, fd: -1, at: m.start, end: m.end, register: ONES, credit: m.credit, reading: true };
    streams.set(m.id, s);
    fs.open(m.file, 'r', (error, fd) => {
      s.reading = false;
      s.fd = fd;
      if (streams.get(m.id) !== s) return void (error ? undefined : fs.close(fd, () => undefined));
      if (error) return fail(m.id, error);
      pump(m.id);
    });
  } else if (m.op === 'credit') {
    const s = streams.get(m.id);
    if (s) { s.credit += 1; pump(m.id); }
  } else if (m.op === 'cancel') {
    const s = streams.get(m.id);
    if (s) { streams.delete(m.id); if (!s.reading) fs.close(s.fd, () => undefined); }
  }
});
`;

/**
 * Size of the chunks a read stream hands to the main thread. Each is a fresh ArrayBuffer (transferred, then
 * written to a socket and left to the garbage collector), so their size sets how much memory waits for
 * collection: with 1 MiB chunks a sync of 8 parallel parts peaked at 220-270 MiB RSS, with 256 KiB at 180-190
 * (glibc keeps large freed blocks in the worker's arena; small ones are reused). Hashing reads stay 1 MiB
 * (`INPUT_BYTES`): fewer read calls, and nothing leaves the worker.
 */
const STREAM_CHUNK_BYTES = 256 * 1024;
/** Chunks a read stream may have in flight from its worker: 1 MiB per stream, enough to keep a socket fed. */
const READ_CREDIT = 4;
/** Bytes a read stream buffers on the main thread before it stops granting credit. */
const CHUNK_HIGH_WATER = STREAM_CHUNK_BYTES;
/** Idle workers are stopped after this long, so a finished sync leaves no threads behind. */
const IDLE_MS = 2000;

interface Pending {
  worker: WorkerSlot;
  onChunk?(chunk: Buffer): void;
  resolve(result: RangeDigest): void;
  reject(error: Error): void;
}

interface WorkerSlot {
  worker: Worker;
  load: number;
}

export class HashPool {
  private slots: WorkerSlot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly size: number = defaultThreads()) {}

  /** CRC64 (and MD5 if asked) of bytes [start, end) of `file`. */
  hashRange(file: string, start: number, end: number, opts: { md5?: boolean } = {}): Promise<RangeDigest> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.pick();
      this.pending.set(id, { worker, resolve, reject });
      worker.worker.postMessage({ op: 'hash', id, file, start, end, md5: opts.md5 === true });
    });
  }

  /** Bytes [start, end) of `file` as a stream, hashed on the way by a worker. */
  readRange(file: string, start: number, end: number): RangeReader {
    const id = this.nextId++;
    const slot = this.pick();
    let resolveCrc!: (v: string) => void;
    let rejectCrc!: (e: Error) => void;
    const crc64 = new Promise<string>((res, rej) => {
      resolveCrc = res;
      rejectCrc = rej;
    });
    crc64.catch(() => undefined); // surfaced through the stream; a caller that stops early need not await it
    let finished = false;
    // Credit is returned to the worker as the consumer takes chunks, so a slow socket stops the disk reads.
    let owed = 0;
    const stream = new Readable({
      highWaterMark: CHUNK_HIGH_WATER,
      read: () => {
        for (; owed > 0; owed--) slot.worker.postMessage({ op: 'credit', id });
      },
      destroy: (error, callback) => {
        if (!finished) {
          finished = true;
          this.settle(id);
          slot.worker.postMessage({ op: 'cancel', id });
          rejectCrc(error ?? new Error(`read of ${file} [${start}, ${end}) was cancelled`));
        }
        callback(error);
      },
    });
    // Errors reach the consumer's own listener and the crc64 promise; a stream cut before anyone consumed it
    // (an abort between open and send) must not become an unhandled 'error' event that ends the process.
    stream.on('error', () => undefined);
    this.pending.set(id, {
      worker: slot,
      onChunk: (chunk) => {
        if (stream.push(chunk)) slot.worker.postMessage({ op: 'credit', id });
        else owed += 1;
      },
      resolve: (digest) => {
        finished = true;
        stream.push(null);
        resolveCrc(digest.crc64);
      },
      reject: (error) => {
        finished = true;
        rejectCrc(error);
        stream.destroy(error);
      },
    });
    slot.worker.postMessage({ op: 'read', id, file, start, end, credit: READ_CREDIT });
    return { stream, crc64 };
  }

  /** Stops every worker now (pending jobs fail). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const slots = this.slots;
    for (const slot of slots) this.failWorker(slot, new Error('hash pool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** The least loaded thread (a new one while fewer than `size` run and none is idle), counted busy. */
  private pick(): WorkerSlot {
    clearTimeout(this.idleTimer);
    const idle = this.slots.find((s) => s.load === 0);
    const slot = !idle && this.slots.length < this.size ? this.spawn() : this.slots.reduce((a, b) => (b.load < a.load ? b : a));
    // A thread with work keeps the process alive; an idle one never does (see settle).
    if (slot.load === 0) slot.worker.ref();
    slot.load += 1;
    return slot;
  }

  private spawn(): WorkerSlot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...crc64WorkerSetup(), streamChunkBytes: STREAM_CHUNK_BYTES } });
    const slot: WorkerSlot = { worker, load: 0 };
    worker.on('message', (m: { id: number; chunk?: ArrayBuffer; done?: boolean; crc64?: string; md5?: string; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.chunk) p.onChunk?.(Buffer.from(m.chunk));
      else if (m.error !== undefined) {
        this.settle(m.id);
        p.reject(new Error(m.error));
      } else if (m.done) {
        this.settle(m.id);
        p.resolve({ crc64: m.crc64!, ...(m.md5 ? { md5: m.md5 } : {}) });
      }
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
    if (this.pending.size === 0) {
      this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private failWorker(slot: WorkerSlot, error: Error): void {
    this.slots = this.slots.filter((s) => s !== slot);
    for (const [id, p] of [...this.pending]) {
      if (p.worker !== slot) continue;
      this.settle(id);
      p.reject(error);
    }
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
