#!/usr/bin/env bash
# Builds the native plugin archive `pulumi-resource-ark-v<version>-linux-amd64.tar.gz` in dist-plugin/, laid
# out as `pulumi plugin install resource ark <version> -f <archive>` expects: the executable
# `pulumi-resource-ark` at the root. The plugin is Node code, so the archive carries what it runs on: the
# built dist/, schema.json, package.json and the production node_modules (installed from package-lock.json,
# without dev dependencies). It needs `node` (>= 22) on the PATH of the machine running Pulumi.
#
# Usage: npm run plugin:pack   (builds first)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="$(node -p "require('$REPO_DIR/package.json').version")"
OUT_DIR="$REPO_DIR/dist-plugin"
STAGE="$OUT_DIR/stage"
ARCHIVE="$OUT_DIR/pulumi-resource-ark-v$VERSION-linux-amd64.tar.gz"

rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$REPO_DIR/dist" "$STAGE/dist"
rm -rf "$STAGE/dist/tests" "$STAGE/dist/scripts"
cp "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$REPO_DIR/schema.json" "$STAGE/"
# The package's own devDependency on itself ("pulumi-ark": "file:.") is a dev dependency: omitted here.
(cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm "$STAGE/package-lock.json"

# The engine executes `pulumi-resource-ark` in the plugin directory. It is bin/'s launcher itself, not a copy of
# its text: require-built.js, beside it at the root, takes that directory (it holds package.json) as the root.
cp "$REPO_DIR/bin/pulumi-resource-ark" "$REPO_DIR/bin/require-built.js" "$STAGE/"
chmod +x "$STAGE/pulumi-resource-ark"

tar -czf "$ARCHIVE" -C "$STAGE" .
rm -rf "$STAGE"
echo "$ARCHIVE"
