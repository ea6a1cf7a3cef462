// Shared by the bin/ launchers: loads a compiled module from dist/, or, when the package has not been built
// (a clone after `npm ci --ignore-scripts`, or dist/ deleted), says in one line what to run instead of
// printing node's module-not-found trace.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// The package root: the parent of bin/ in the repository and the npm package; this directory itself in the
// plugin archive (scripts/plugin-pack.sh), where the launcher and this file sit at the root beside package.json.
const root = fs.existsSync(path.join(__dirname, 'package.json')) ? __dirname : path.join(__dirname, '..');

module.exports = function requireBuilt(command, relative) {
  const file = path.join(root, relative);
  if (!fs.existsSync(file)) {
    process.stderr.write(`${command}: pulumi-ark is not built yet (no ${relative}); run \`npm run build\` in ${root}\n`);
    process.exit(1);
  }
  return require(file);
};
