import { compileGlobs } from '../model/glob';

/**
 * Which files of a remote model are part of it, by the rules a local directory follows (provider/model/walk.ts):
 * hidden files and folders (a path segment starting with ".") and `exclude` globs are left out. Listings of a
 * hub also name `.gitattributes`, and training buckets hold `.ipynb_checkpoints/` and the like.
 */
export function selectModelFiles<T extends { path: string }>(files: readonly T[], exclude: readonly string[]): T[] {
  const excluded = compileGlobs(exclude);
  return files.filter((f) => !f.path.split('/').some((segment) => segment.startsWith('.')) && !excluded.matchesFile(f.path));
}
