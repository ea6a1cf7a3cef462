#!/usr/bin/env node
// Launcher for the ark-local emulator; the implementation is the compiled emulator/cli.ts.
require('./require-built')('ark-local', 'dist/emulator/cli.js').run(process.argv.slice(2));
