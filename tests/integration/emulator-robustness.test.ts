/**
 * ark-local over the wire: a retried CompleteMultipartUpload (its first answer lost) gets the same object and
 * the data stays readable; a client that trickles its request headers is cut after the bound, while a body that
 * takes several times that bound to arrive is not.
 */
import * as net from 'node:net';
import { Readable } from 'node:stream';
import type { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { rawTos } from './sync-helpers';

const HEADERS_TIMEOUT_MS = 300;
const BUCKET = 'robust';

let ark: ArkLocal;
let tos: TosClient;
beforeAll(async () => {
  ark = await startArkLocal({ quiet: true, headersTimeoutMs: HEADERS_TIMEOUT_MS });
  tos = rawTos(ark);
  await tos.createBucket({ bucket: BUCKET });
});
afterAll(() => ark.close());

describe('CompleteMultipartUpload retried by a client', () => {
  it('answers with the same object, and its data stays readable', async () => {
    const key = 'mp/weights.bin';
    const body = Buffer.from('weights '.repeat(1000));
    const { data: created } = await tos.createMultipartUpload({ bucket: BUCKET, key });
    const part = await tos.uploadPart({ bucket: BUCKET, key, uploadId: created.UploadId, partNumber: 1, body });
    const parts = [{ partNumber: 1, eTag: part.data.ETag }];
    const first = await tos.completeMultipartUpload({ bucket: BUCKET, key, uploadId: created.UploadId, parts });
    const retried = await tos.completeMultipartUpload({ bucket: BUCKET, key, uploadId: created.UploadId, parts });
    expect(retried.data.ETag).toBe(first.data.ETag);
    expect(retried.data.HashCrc64ecma).toBe(first.data.HashCrc64ecma);
    const read = await tos.getObjectV2({ bucket: BUCKET, key, dataType: 'buffer' });
    expect(Buffer.compare(read.data.content, body)).toBe(0);
    const open = await tos.listMultipartUploads({ bucket: BUCKET });
    expect(open.data.Uploads ?? []).toEqual([]);
  });
});

describe('request timing', () => {
  it('cuts a client whose headers do not arrive within the bound, with 408', async () => {
    const socket = net.connect(ark.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /${BUCKET}/x HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    // One more header line every 50 ms, never the blank line that ends them.
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: yes\r\n'), 50);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(trickle);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('does not cut a body that takes several times the header bound to arrive', async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    const chunks = 12;
    async function* slowly() {
      for (let i = 0; i < chunks; i++) {
        await new Promise((resolve) => setTimeout(resolve, HEADERS_TIMEOUT_MS / 2));
        yield chunk;
      }
    }
    const key = 'slow/body.bin';
    await tos.putObject({ bucket: BUCKET, key, body: Readable.from(slowly()) });
    const head = await tos.headObject({ bucket: BUCKET, key });
    expect(Number(head.data['content-length'])).toBe(chunk.length * chunks);
  });
});
