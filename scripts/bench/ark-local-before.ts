/**
 * ark-local as issue 13 found it, built from this repository's history, so "ark-local's ingest >= 2x today's
 * per core" compares two whole servers answering the same SDK request instead of a rebuilt pipeline. At that
 * revision every body went through the JavaScript slicing-by-8 CRC64 and MD5 in a Transform stream and into a
 * write stream with node's default buffer; the first ingest change after it is 152c3cd.
 *
 * Built once into the bench data cache (`emulator/` and `provider/` from `git archive`, compiled with this
 * checkout's TypeScript against its node_modules: the dependencies the old sources use are unchanged), about
 * 10 s and 6 MB. A checkout without that history (a shallow clone) skips the figure and says why.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

/** The last commit before issue 13's first ingest change. */
export const BEFORE_REVISION = '2abc4cb';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..', '..');

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    outDir: 'dist',
    rootDir: '.',
  },
  include: ['emulator/**/*.ts', 'provider/**/*.ts'],
  exclude: ['**/*.test.ts'],
};

export type BeforeBuild = { root: string } | { skipped: string };

/** The root of the built revision (its `dist/emulator` starts that ark-local), building it on first use. */
export async function arkLocalBefore(cacheRoot: string): Promise<BeforeBuild> {
  const root = path.join(cacheRoot, `ark-local-${BEFORE_REVISION}`);
  const done = path.join(root, '.complete');
  if (await fs.stat(done).catch(() => undefined)) return { root };
  try {
    await run('git', ['-C', REPO, 'cat-file', '-e', `${BEFORE_REVISION}^{commit}`]);
  } catch {
    return { skipped: `revision ${BEFORE_REVISION} is not in this checkout's history (a shallow clone?)` };
  }
  console.log(`  building ark-local as of ${BEFORE_REVISION} into ${root} (once)`);
  await fs.rm(root, { recursive: true, force: true });
  await fs.mkdir(root, { recursive: true });
  await run('sh', ['-c', `git -C "$1" archive "$2" emulator provider | tar -x -C "$3"`, 'sh', REPO, BEFORE_REVISION, root]);
  await fs.writeFile(path.join(root, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  await fs.symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  await run(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')]);
  await fs.writeFile(done, `${BEFORE_REVISION}\n`);
  return { root };
}
