#!/usr/bin/env node
// `npm run build` (and `npm ci`, through `prepare`): compiles pulumi-ark into dist/ when a source is newer than
// the last build, and says so first; when nothing changed it returns at once instead of starting tsc, whose
// no-op incremental check alone costs seconds on a busy machine. Plain JavaScript, so it runs before any build.
//
//   node scripts/build.js                      build if stale
//   node scripts/build.js --force              always run tsc (still incremental: only what changed is emitted)
//   node scripts/build.js --run FILE [ARGS]    build if stale, then run FILE (a built script) in this process,
//                                              so its timings start with this command (`npm start` does this)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const BUILD_INFO = path.join(ROOT, 'dist', '.tsbuildinfo'); // tsconfig.build.json's tsBuildInfoFile
/** What the build reads: tsconfig.build.json's include list, its configs, and the installed dependencies. */
const INPUT_DIRS = ['provider', 'emulator', 'scripts', 'examples'];
const INPUT_FILES = ['index.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestInput() {
  let newest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) if (entry !== 'node_modules') visit(path.join(file, entry));
    } else if (file.endsWith('.ts') || INPUT_FILES.includes(path.basename(file))) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const dir of INPUT_DIRS) visit(path.join(ROOT, dir));
  for (const file of INPUT_FILES) visit(path.join(ROOT, file));
  return newest;
}

function build(force) {
  const built = fs.statSync(BUILD_INFO, { throwIfNoEntry: false });
  if (!force && built && newestInput() <= built.mtimeMs) return;
  process.stderr.write(
    built
      ? 'pulumi-ark: sources changed, compiling what changed into dist/ (tsc, incremental)...\n'
      : 'pulumi-ark: compiling the TypeScript sources into dist/ (first build; about a minute on a busy 2-core machine)...\n',
  );
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('pulumi-ark: the build failed (tsc errors above).\n');
    process.exit(result.status ?? 1);
  }
  // tsc leaves the build info untouched when it had nothing to emit; touch it so the next check is quick.
  const now = new Date();
  fs.utimesSync(BUILD_INFO, now, now);
}

const args = process.argv.slice(2);
build(args[0] === '--force');
if (args[0] === '--run') {
  if (!args[1]) {
    process.stderr.write('usage: node scripts/build.js --run FILE [ARGS...]\n');
    process.exit(2);
  }
  const script = path.resolve(ROOT, args[1]);
  process.argv = [process.argv[0], script, ...args.slice(2)];
  require(script);
}
