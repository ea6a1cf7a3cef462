#!/usr/bin/env node
// Launcher for the pulumi-ark command (`pulumi-ark validate DIR`); the implementation is the compiled provider/cli/main.ts.
require('./require-built')('pulumi-ark', 'dist/provider/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`pulumi-ark: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  });
