import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc64 } from '../api/crc64';
import { buildManifest } from './manifest';
import { RACY_WINDOW_MS, StatCache, statCheckFromEnv } from './stat-cache';

/** Files written by a test get an mtime well in the past so the racy-git rule does not force a re-hash. */
const PAST = new Date(Date.now() - 3600_000);

describe('stat cache and manifest', () => {
  let dir: string;
  let src: string;
  let cacheDir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sync-statcache-'));
    src = path.join(dir, 'model');
    cacheDir = path.join(dir, 'cache');
    await fs.mkdir(path.join(src, 'sub'), { recursive: true });
    await write('config.json', '{"a":1}');
    await write('sub/weights.bin', 'x'.repeat(3000));
    await write('.hidden', 'not uploaded');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  async function write(rel: string, content: string, mtime: Date = PAST): Promise<void> {
    const file = path.join(src, rel);
    await fs.writeFile(file, content);
    await fs.utimes(file, mtime, mtime);
  }

  test('fingerprints are CRC64 of the content; hidden and excluded files are skipped', async () => {
    await write('README.md', 'docs');
    const m = await buildManifest(src, { cacheDir, exclude: ['*.md'] });
    expect(m.files.map((f) => [f.path, f.size, f.crc64])).toEqual([
      ['config.json', 7, crc64(Buffer.from('{"a":1}'))],
      ['sub/weights.bin', 3000, crc64(Buffer.from('x'.repeat(3000)))],
    ]);
    expect(m.hashedFiles).toBe(2);
  });

  test('an unchanged directory is not read again; the cache lives outside the source', async () => {
    const first = await buildManifest(src, { cacheDir });
    const second = await buildManifest(src, { cacheDir });
    expect(second.hashedFiles).toBe(0);
    expect(second.hashedBytes).toBe(0);
    expect(second.files).toEqual(first.files);
    expect(await fs.readdir(src)).toEqual(expect.not.arrayContaining([expect.stringMatching(/cache|\.json\.tmp/)]));
    await expect(fs.stat(StatCache.fileFor(cacheDir, path.resolve(src)))).resolves.toBeDefined();
  });

  test('a changed mtime or size forces a re-hash and the new fingerprint', async () => {
    const first = await buildManifest(src, { cacheDir });
    await write('config.json', '{"a":2}', new Date(PAST.getTime() + 1000)); // same size, new content and mtime
    const second = await buildManifest(src, { cacheDir });
    expect(second.hashedFiles).toBe(1);
    expect(second.files[0].crc64).toBe(crc64(Buffer.from('{"a":2}')));
    expect(second.files[0].crc64).not.toBe(first.files[0].crc64);
    await write('sub/weights.bin', 'y'.repeat(3001));
    expect((await buildManifest(src, { cacheDir })).hashedFiles).toBe(1);
  });

  test('a replaced file (new inode) with the same size and mtime is re-hashed', async () => {
    await buildManifest(src, { cacheDir });
    const file = path.join(src, 'config.json');
    // Keep the old inode alive while the new file is created so the filesystem cannot hand the number back.
    const keep = path.join(dir, 'old-config.json');
    await fs.rename(file, keep);
    await write('config.json', '{"b":1}');
    const m = await buildManifest(src, { cacheDir });
    expect(m.hashedFiles).toBe(1);
    expect(m.files[0].crc64).toBe(crc64(Buffer.from('{"b":1}')));
  });

  test('with the minimal stat check (a CI runner restoring directory and cache), a new inode alone is trusted', async () => {
    await buildManifest(src, { cacheDir });
    const file = path.join(src, 'config.json');
    const st = await fs.stat(file);
    const keep = path.join(dir, 'old-config.json');
    await fs.rename(file, keep);
    await fs.copyFile(keep, file); // what a restore does: same bytes and mtime, new inode
    await fs.utimes(file, st.atime, st.mtime);
    expect((await buildManifest(src, { cacheDir, statCheck: 'minimal' })).hashedFiles).toBe(0);
    expect((await buildManifest(src, { cacheDir })).hashedFiles).toBe(1);
    expect(statCheckFromEnv({ PULUMI_ARK_STAT_CHECK: 'minimal' })).toBe('minimal');
    expect(statCheckFromEnv({})).toBe('default');
    expect(() => statCheckFromEnv({ PULUMI_ARK_STAT_CHECK: 'off' })).toThrow(/expected "default" or "minimal"/);
  });

  test('a file modified within the racy window is never trusted', async () => {
    await write('config.json', '{"a":1}', new Date(Date.now() + RACY_WINDOW_MS));
    await buildManifest(src, { cacheDir });
    const again = await buildManifest(src, { cacheDir });
    expect(again.hashedFiles).toBe(1);
    expect(again.files[0].path).toBe('config.json');
  });

  test('a corrupt or foreign cache file is ignored', async () => {
    const file = StatCache.fileFor(cacheDir, path.resolve(src));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{not json');
    expect((await buildManifest(src, { cacheDir })).hashedFiles).toBe(2);
    const saved = JSON.parse(await fs.readFile(file, 'utf8'));
    saved.entries['config.json'].crc64 = '12345';
    saved.root = '/somewhere/else';
    await fs.writeFile(file, JSON.stringify(saved));
    const m = await buildManifest(src, { cacheDir });
    expect(m.hashedFiles).toBe(2);
    expect(m.files[0].crc64).toBe(crc64(Buffer.from('{"a":1}')));
  });

  test('deleted files are dropped from the cache', async () => {
    await buildManifest(src, { cacheDir });
    await fs.rm(path.join(src, 'sub/weights.bin'));
    await buildManifest(src, { cacheDir });
    const saved = JSON.parse(await fs.readFile(StatCache.fileFor(cacheDir, path.resolve(src)), 'utf8'));
    expect(Object.keys(saved.entries)).toEqual(['config.json']);
  });
});
