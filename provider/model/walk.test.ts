import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ModelDirError, walkModelDir } from './walk';
import { localModelSource } from './source';

let tmp: string;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'walk-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function touch(rel: string, content = 'x'): Promise<void> {
  await fs.mkdir(path.dirname(path.join(tmp, rel)), { recursive: true });
  await fs.writeFile(path.join(tmp, rel), content);
}

async function expectWalkError(code: string, pathPart: string): Promise<void> {
  const err = await walkModelDir(tmp).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelDirError);
  expect((err as ModelDirError).code).toBe(code);
  expect((err as ModelDirError).path).toContain(pathPart);
}

describe('walkModelDir', () => {
  it('lists regular files sorted, with sizes and /-separated paths, skipping hidden entries', async () => {
    await touch('config.json', '{}');
    await touch('b/z.txt', '12345');
    await touch('a.safetensors', 'abc');
    await touch('.git/HEAD');
    await touch('.hidden');
    const files = await walkModelDir(tmp);
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['a.safetensors', 3],
      ['b/z.txt', 5],
      ['config.json', 2],
    ]);
    expect(files[0].ino).toBeGreaterThan(0);
    expect(files[0].mtimeMs).toBeGreaterThan(0);
  });

  it('includes hidden files when asked', async () => {
    await touch('.hidden');
    await touch('x');
    expect((await walkModelDir(tmp, { includeHidden: true })).map((f) => f.path)).toEqual(['.hidden', 'x']);
  });

  it.each([
    [['*.md'], ['checkpoints/a.bin', 'config.json', 'sub/keep.txt']],
    [['checkpoints/**'], ['README.md', 'config.json', 'sub/keep.txt', 'sub/x.md']],
    [['**/*.md', 'sub/*'], ['checkpoints/a.bin', 'config.json']],
    [['config.json'], ['README.md', 'checkpoints/a.bin', 'sub/keep.txt', 'sub/x.md']],
  ])('exclude %j', async (exclude, expected) => {
    for (const f of ['README.md', 'config.json', 'checkpoints/a.bin', 'sub/keep.txt', 'sub/x.md']) await touch(f);
    expect((await walkModelDir(tmp, { exclude })).map((f) => f.path)).toEqual(expected);
  });

  it('follows a symlink that stays inside the directory', async () => {
    await touch('real/model.safetensors', 'abcd');
    await fs.symlink('real/model.safetensors', path.join(tmp, 'link.safetensors'));
    const files = await walkModelDir(tmp);
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['link.safetensors', 4],
      ['real/model.safetensors', 4],
    ]);
  });

  it('refuses a symlink that leaves the directory, naming it', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'outside-'));
    try {
      await fs.writeFile(path.join(outside, 'secret'), 's');
      await fs.symlink(path.join(outside, 'secret'), path.join(tmp, 'weights.bin'));
      await expectWalkError('SymlinkEscape', 'weights.bin');
      // ...unless it is excluded
      expect(await walkModelDir(tmp, { exclude: ['*.bin'] })).toEqual([]);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses a dangling symlink', async () => {
    await fs.symlink(path.join(tmp, 'nowhere'), path.join(tmp, 'dangling'));
    await expectWalkError('SymlinkEscape', 'dangling');
  });

  it('refuses a symlink loop', async () => {
    await fs.mkdir(path.join(tmp, 'd'));
    await fs.symlink('..', path.join(tmp, 'd', 'up'));
    await expectWalkError('SymlinkLoop', 'up');
  });

  it('refuses special files (FIFO)', async () => {
    execFileSync('mkfifo', [path.join(tmp, 'pipe')]);
    await expectWalkError('SpecialFile', 'pipe');
  });

  it('reports a missing root and a root that is a file', async () => {
    await expect(walkModelDir(path.join(tmp, 'missing'))).rejects.toMatchObject({ code: 'NotFound' });
    await touch('f');
    await expect(walkModelDir(path.join(tmp, 'f'))).rejects.toMatchObject({ code: 'NotADirectory' });
  });
});

describe('localModelSource', () => {
  it('reads byte ranges of listed files and refuses unlisted ones', async () => {
    await touch('sub/a.txt', '0123456789');
    const src = localModelSource(tmp, await walkModelDir(tmp));
    expect(src.describe()).toBe(path.resolve(tmp));
    expect(await src.list()).toEqual([{ path: 'sub/a.txt', size: 10 }]);
    expect((await src.read('sub/a.txt', 2, 3)).toString()).toBe('234');
    expect((await src.read('sub/a.txt', 8, 10)).toString()).toBe('89');
    await expect(src.read('other.txt', 0, 1)).rejects.toThrow(/other\.txt/);
  });
});
