import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Crc64 } from '../api/crc64';

/**
 * An upload body: bytes [start, end) of a file, CRC64'd on their way to the request, so the cold sync reads
 * each byte from disk once. This runs on the main thread. Reading in a hash worker and transferring the chunks
 * was measured against it (a 1 GiB cold sync into ark-local on 2 cores): the worker path cost 2.4-2.5 s of
 * client CPU against 1.5-1.6 s (the chunk and credit messages, and the GC of buffers allocated on one thread
 * and dropped on another), and peaked at 180-195 MiB RSS against 120. The CRC itself is ~0.4 ms per MiB.
 */
export interface HashedRange {
  stream: Readable;
  /** Resolves once every byte of the range went through the stream; rejects if it was cut or came up short. */
  crc64: Promise<string>;
}

/**
 * Chunk size of the reads. Each chunk is a fresh buffer, written to a socket and left to the GC: 256 KiB kept
 * a sync of 8 parallel parts at ~120 MiB RSS, 1 MiB at ~160 with more CPU.
 */
const CHUNK_BYTES = 256 * 1024;

export function readHashedRange(file: string, start: number, end: number): HashedRange {
  const hashed = hashedPassThrough(file, start, end, 'the end of the file (it shrank while being read)');
  if (end <= start) {
    hashed.stream.end();
    return hashed;
  }
  const source = createReadStream(file, { start, end: end - 1, highWaterMark: CHUNK_BYTES });
  source.on('error', (error) => hashed.stream.destroy(error));
  hashed.stream.on('close', () => source.destroy());
  source.pipe(hashed.stream);
  return hashed;
}

/**
 * The hashing half of a body: a pass-through that CRC64s bytes [start, end) of `what` on their way, for any
 * producer piped into it (a file range, a hub download). `shortBy` says what ended the bytes early.
 */
export function hashedPassThrough(what: string, start: number, end: number, shortBy: string): HashedRange & { stream: Transform } {
  const crc = new Crc64();
  let seen = 0;
  let settle!: { resolve(v: string): void; reject(e: Error): void };
  const crc64 = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  crc64.catch(() => undefined); // surfaced through the stream; a caller that stops early need not await it
  const hashing = new Transform({
    highWaterMark: CHUNK_BYTES,
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      crc.update(chunk);
      seen += chunk.length;
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      if (seen !== end - start) {
        done(new Error(`${what}: expected ${end - start - seen} more bytes at offset ${start + seen}, found ${shortBy}`));
        return;
      }
      settle.resolve(crc.value());
      done();
    },
  });
  // Errors reach the consumer's own listener and the crc64 promise; a stream cut before anyone consumed it (an
  // abort between open and send) must not become an unhandled 'error' event that ends the process.
  hashing.on('error', (error) => settle.reject(error));
  hashing.on('close', () => settle.reject(new Error(`read of ${what} [${start}, ${end}) was cancelled`)));
  return { stream: hashing, crc64 };
}
