#!/usr/bin/env node
// Launcher for the ark-local emulator; the implementation is the compiled emulator/cli.ts.
require('../dist/emulator/cli.js')
  .main(process.argv.slice(2))
  .catch((err) => {
    process.stderr.write(`ark-local: ${(err && err.stack) || err}\n`);
    process.exit(1);
  });
