import { promises as fs, Stats } from 'node:fs';
import * as path from 'node:path';
import { compileGlobs } from './glob';

export interface WalkedFile {
  /** Relative to the walked root, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export interface WalkOptions {
  /** Glob patterns matched against the relative path (`*.md`, `checkpoints/**`). */
  exclude?: string[];
  /** Dot-files and dot-directories are skipped unless true. */
  includeHidden?: boolean;
}

export type ModelDirErrorCode = 'NotFound' | 'NotADirectory' | 'SymlinkEscape' | 'SpecialFile' | 'PathEscape' | 'SymlinkLoop';

/** A model directory that cannot be uploaded safely; `path` is the offending path as the user would see it. */
export class ModelDirError extends Error {
  constructor(
    readonly code: ModelDirErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelDirError';
  }
}

function describeSpecial(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function isInside(realRoot: string, candidate: string): boolean {
  const rel = path.relative(realRoot, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Lists every regular file under root, sorted by relative path. Symlinks are followed only while they stay
 * inside root, because an upload must not silently publish files from elsewhere on the machine.
 */
export async function walkModelDir(root: string, opts: WalkOptions = {}): Promise<WalkedFile[]> {
  const absRoot = path.resolve(root);
  let rootStat: Stats;
  try {
    rootStat = await fs.stat(absRoot);
  } catch {
    throw new ModelDirError('NotFound', absRoot, `model directory ${absRoot}: expected an existing directory, found nothing at that path`);
  }
  if (!rootStat.isDirectory()) {
    throw new ModelDirError('NotADirectory', absRoot, `model directory ${absRoot}: expected a directory, found a file`);
  }
  const realRoot = await fs.realpath(absRoot);
  const excluded = compileGlobs(opts.exclude ?? []);
  const out: WalkedFile[] = [];
  // Real paths of directories on the current descent, so a symlink pointing to an ancestor is reported, not looped.
  const ancestors = new Set<string>();

  async function visitDir(dirAbs: string, dirRel: string): Promise<void> {
    const real = await fs.realpath(dirAbs);
    if (ancestors.has(real)) {
      throw new ModelDirError('SymlinkLoop', path.join(absRoot, dirRel), `${path.join(absRoot, dirRel)}: expected a directory tree, found a symlink loop back to ${real}`);
    }
    ancestors.add(real);
    const entries = await fs.readdir(dirAbs, { withFileTypes: true });
    for (const entry of entries) {
      const name = entry.name;
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = path.join(dirAbs, name);
      if (name === '..' || name === '.' || name.includes('/') || name.includes('\\')) {
        throw new ModelDirError('PathEscape', abs, `${abs}: expected a plain file name, found "${name}" which could escape the upload prefix`);
      }
      if (!opts.includeHidden && name.startsWith('.')) continue;

      let st = await fs.lstat(abs);
      // Excluded entries are not inspected further, so an excluded socket or outward symlink does not fail the walk.
      if (!st.isDirectory() && excluded.matchesFile(rel)) continue;
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = await fs.realpath(abs);
        } catch {
          throw new ModelDirError('SymlinkEscape', abs, `${abs}: expected a symlink to a file inside ${absRoot}, found a dangling symlink to ${await fs.readlink(abs)}`);
        }
        if (!isInside(realRoot, target)) {
          throw new ModelDirError('SymlinkEscape', abs, `${abs}: expected a symlink that stays inside ${absRoot}, found one pointing to ${target}`);
        }
        st = await fs.stat(abs);
      }
      if (st.isDirectory()) {
        if (!excluded.coversDir(rel)) await visitDir(abs, rel);
      } else if (st.isFile()) {
        if (!excluded.matchesFile(rel)) out.push({ path: rel, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
      } else {
        throw new ModelDirError('SpecialFile', abs, `${abs}: expected a regular file or directory, found ${describeSpecial(st)}`);
      }
    }
    ancestors.delete(real);
  }

  await visitDir(absRoot, '');
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}
