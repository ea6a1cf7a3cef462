// Shared by the bin/ launchers: loads a compiled module from dist/, or, when the package has not been built
// (a clone after `npm ci --ignore-scripts`, or dist/ deleted), says in one line what to run instead of
// printing node's module-not-found trace.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

module.exports = function requireBuilt(command, relative) {
  const file = path.join(__dirname, '..', relative);
  if (!fs.existsSync(file)) {
    process.stderr.write(`${command}: pulumi-ark is not built yet (no ${relative}); run \`npm run build\` in ${path.dirname(__dirname)}\n`);
    process.exit(1);
  }
  return require(file);
};
