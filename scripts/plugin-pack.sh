#!/usr/bin/env bash
# Builds the native plugin archives `pulumi-resource-ark-v<version>-<os>-<arch>.tar.gz`, laid out as
# `pulumi plugin install resource ark <version> -f <archive>` and the engine's own download
# (`<pluginDownloadURL>/pulumi-resource-ark-v<version>-<os>-<arch>.tar.gz`) expect: the executable at the root.
# The plugin is Node code, so every archive carries the same JavaScript: the built dist/, schema.json,
# package.json and the production node_modules (installed from package-lock.json, without dev dependencies;
# all pure JavaScript and WebAssembly, nothing compiled per platform). Only the launcher differs:
#   linux-*, darwin-*: `pulumi-resource-ark`, bin/'s node script with its shebang, executable;
#   windows-amd64:     also `pulumi-resource-ark.cmd`, which the engine starts on Windows (it looks for
#                      `pulumi-resource-ark.exe`, then `.cmd`, in the plugin directory) and which runs the
#                      script beside it with node.
# Beside the archives: `pulumi-resource-ark-v<version>-checksums.txt` (SHA-256, `sha256sum -c` format).
# It needs `node` (>= 22) on the PATH of the machine running Pulumi.
#
# Usage: scripts/plugin-pack.sh [--out DIR] [<os>-<arch> ...]   (default: dist-plugin/, every platform)
#        npm run plugin:pack   (builds first)
# Prints the path of each archive, then of the checksum file, one a line.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="$(node -p "require('$REPO_DIR/package.json').version")"
OUT_DIR="$REPO_DIR/dist-plugin"
ALL_PLATFORMS=(linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64)
PLATFORMS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT_DIR="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    *)
      if [[ " ${ALL_PLATFORMS[*]} " != *" $1 "* ]]; then
        echo "plugin-pack: unknown platform '$1' (one of: ${ALL_PLATFORMS[*]})" >&2
        exit 2
      fi
      PLATFORMS+=("$1"); shift ;;
  esac
done
[ ${#PLATFORMS[@]} -gt 0 ] || PLATFORMS=("${ALL_PLATFORMS[@]}")
if [ ! -f "$REPO_DIR/dist/provider/native/main.js" ]; then
  echo "plugin-pack: dist/ is not built; run \`npm run build\` (or \`npm run plugin:pack\`)" >&2
  exit 1
fi

mkdir -p "$OUT_DIR"
STAGE="$(mktemp -d "$OUT_DIR/stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$REPO_DIR/dist" "$STAGE/dist"
rm -rf "$STAGE/dist/tests" "$STAGE/dist/scripts"
cp "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$REPO_DIR/schema.json" "$STAGE/"
# The package's own devDependency on itself ("pulumi-ark": "file:.") is a dev dependency: omitted here.
(cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm "$STAGE/package-lock.json"

# The launchers are bin/'s files themselves, not copies of their text: require-built.js, beside them at the
# root, takes that directory (it holds package.json) as the root.
cp "$REPO_DIR/bin/pulumi-resource-ark" "$REPO_DIR/bin/require-built.js" "$STAGE/"
chmod +x "$STAGE/pulumi-resource-ark"
CONTENT=(dist node_modules package.json schema.json require-built.js pulumi-resource-ark)

ARCHIVES=()
for platform in "${PLATFORMS[@]}"; do
  archive="pulumi-resource-ark-v$VERSION-$platform.tar.gz"
  files=("${CONTENT[@]}")
  if [[ "$platform" == windows-* ]]; then
    cp "$REPO_DIR/bin/pulumi-resource-ark.cmd" "$STAGE/"
    files+=(pulumi-resource-ark.cmd)
  fi
  tar -czf "$OUT_DIR/$archive" -C "$STAGE" "${files[@]}"
  ARCHIVES+=("$archive")
done

CHECKSUMS="pulumi-resource-ark-v$VERSION-checksums.txt"
(cd "$OUT_DIR" && sha256sum "${ARCHIVES[@]}" >"$CHECKSUMS")
for archive in "${ARCHIVES[@]}"; do echo "$OUT_DIR/$archive"; done
echo "$OUT_DIR/$CHECKSUMS"
