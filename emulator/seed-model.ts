import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { walkModelDir } from '../provider/model/walk';
import type { ArkLocalAdmin } from './admin-client';

/**
 * Puts a model directory into ark-local's TOS as a training job would have left it, without storing its
 * tensor data: each `*.safetensors` file becomes an object of the file's size holding its header and then
 * zeros (admin `seedObject`), every other file is stored whole. For sparse models (provider/model/synthetic.ts
 * with `fill: 'sparse'`, whose tensor data is a hole that reads as zeros) the objects hold exactly the file's
 * bytes, so a "16 GB" Qwen3-8B costs neither disk nor upload time. Other files' tensor data is not kept.
 */
export async function seedSparseModel(admin: ArkLocalAdmin, dir: string, bucket: string, prefix: string): Promise<{ files: number; bytes: number }> {
  const files = await walkModelDir(dir);
  let bytes = 0;
  for (const f of files) {
    const file = path.join(dir, ...f.path.split('/'));
    const head = f.path.endsWith('.safetensors') ? await safetensorsHead(file) : await fs.readFile(file);
    await admin.seedObject({ bucket, key: `${prefix}${f.path}`, size: f.size, head });
    bytes += f.size;
  }
  return { files: files.length, bytes };
}

/** The 8-byte length and the JSON header of a safetensors file: everything but the tensor data. */
async function safetensorsHead(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const length = Buffer.alloc(8);
    await handle.read(length, 0, 8, 0);
    const headerBytes = Number(length.readBigUInt64LE(0));
    const head = Buffer.alloc(8 + headerBytes);
    await handle.read(head, 0, head.length, 0);
    return head;
  } finally {
    await handle.close();
  }
}
