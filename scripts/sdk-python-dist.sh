#!/usr/bin/env bash
# Builds what PyPI gets for the Python SDK: the wheel and the sdist of sdk/python (`pulumi_ark-<version>`), with
# `python -m build` (from PyPI, in a throwaway virtualenv) on a copy of sdk/python, so the repository gets no
# build/ or *.egg-info. Version-locked to the plugin: it refuses to build unless sdk/python's version (setup.py
# and pulumi-plugin.json, from schema.json) is package.json's, the version of the plugin archives
# (scripts/plugin-pack.sh) that the SDK asks the engine for.
#
# Usage: scripts/sdk-python-dist.sh [--out DIR]   (default: dist-python/). Prints the wheel's path, then the sdist's.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$REPO_DIR/dist-python"
if [ "${1:-}" = "--out" ]; then OUT_DIR="$(mkdir -p "$2" && cd "$2" && pwd)"; fi
PYTHON="${PYTHON:-python3}"

VERSION="$(node -p "require('$REPO_DIR/package.json').version")"
SDK="$REPO_DIR/sdk/python"
setup_version="$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' "$SDK/setup.py")"
plugin_version="$(node -p "require('$SDK/pulumi_ark/pulumi-plugin.json').version")"
if [ "$setup_version" != "$VERSION" ] || [ "$plugin_version" != "$VERSION" ]; then
  echo "sdk-python-dist: sdk/python is at $setup_version (pulumi-plugin.json $plugin_version), the package at $VERSION: run \`npm run schema && npm run sdk:python\`" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -R "$SDK" "$WORK/sdk"
rm -rf "$WORK/sdk/build" "$WORK/sdk"/*.egg-info
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check build >&2
mkdir -p "$OUT_DIR"
# setuptools narrates every file; its log is shown only when the build fails.
if ! "$WORK/venv/bin/python" -m build --sdist --wheel --outdir "$OUT_DIR" "$WORK/sdk" >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2
  exit 1
fi

wheel="$OUT_DIR/pulumi_ark-$VERSION-py3-none-any.whl"
sdist="$OUT_DIR/pulumi_ark-$VERSION.tar.gz"
for file in "$wheel" "$sdist"; do
  [ -f "$file" ] || { echo "sdk-python-dist: python -m build made no $(basename "$file")" >&2; exit 1; }
done
echo "$wheel"
echo "$sdist"
