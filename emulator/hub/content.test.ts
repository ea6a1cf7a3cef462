import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blobFromBytes, ContentChangedError, DiskHashCache, gitBlobOid, openContent } from './content';

const read = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('hub content', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hub-content-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('gives regular files their git blob id and LFS files the sha256 plus the pointer id', () => {
    // The id git itself gives "hello\n" (git hash-object).
    expect(gitBlobOid(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const weights = blobFromBytes('model.safetensors', Buffer.from('abc'));
    expect(weights.lfs?.sha256).toBe(createHash('sha256').update('abc').digest('hex'));
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${weights.lfs!.sha256}\nsize 3\n`;
    expect([weights.gitOid, weights.lfs!.pointerSize]).toEqual([gitBlobOid(Buffer.from(pointer)), pointer.length]);
    expect(blobFromBytes('config.json', Buffer.from('abc')).lfs).toBeUndefined();
  });

  it('hashes a file once per stat: unchanged size, mtime and inode are not read again', async () => {
    const file = path.join(dir, 'w.safetensors');
    await fs.writeFile(file, 'aaaa');
    // A whole-second mtime, so putting it back below restores it exactly.
    const mtime = new Date('2026-01-01T00:00:00Z');
    await fs.utimes(file, mtime, mtime);
    const cache = new DiskHashCache();
    const first = await cache.blob(file, 'w.safetensors');
    // Same size, same inode, mtime put back: only a re-read could notice the new bytes.
    const handle = await fs.open(file, 'r+');
    await handle.write('bbbb', 0);
    await handle.close();
    await fs.utimes(file, mtime, mtime);
    expect((await cache.blob(file, 'w.safetensors')).lfs!.sha256).toBe(first.lfs!.sha256);
    expect((await new DiskHashCache().blob(file, 'w.safetensors')).lfs!.sha256).not.toBe(first.lfs!.sha256);
  });

  it('serves ranges from disk and refuses a file that changed after it was published', async () => {
    const file = path.join(dir, 'config.json');
    await fs.writeFile(file, '0123456789');
    const blob = await new DiskHashCache().blob(file, 'config.json');
    expect((await read(await openContent(blob, 2, 4))).toString()).toBe('234');
    await fs.writeFile(file, '01234567890');
    await expect(openContent(blob, 0, 1)).rejects.toThrow(ContentChangedError);
  });
});
