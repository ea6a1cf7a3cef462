#!/usr/bin/env bash
# Makes a Pulumi CLI available and prints the directory that holds its bin/ (the "root" that the Automation
# API's PulumiCommand.get({root}) expects).
#
# 1. A `pulumi` already on PATH wins: normal users just install Pulumi.
# 2. Otherwise the pinned version is built once from the Go module proxy (the CLI is a Go module; its npm
#    wrapper downloads from a site that air-gapped machines cannot reach) into a cache outside the repo, and
#    reused on later runs. The recipe is documented in docs/pulumi-cli.md.
#
# Usage: scripts/pulumi-cli.sh          -> prints the root on stdout, progress on stderr
set -euo pipefail

PULUMI_VERSION="3.248.0"
CACHE_ROOT="${PULUMI_ARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ark}"
ROOT="$CACHE_ROOT/pulumi-v$PULUMI_VERSION"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODEJS_PLUGIN="$REPO_DIR/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"

log() { echo "[pulumi-cli] $*" >&2; }

if [ -z "${PULUMI_ARK_FORCE_BUILD:-}" ] && command -v pulumi >/dev/null 2>&1; then
  root="$(cd "$(dirname "$(command -v pulumi)")/.." && pwd)"
  log "using pulumi from PATH: $(command -v pulumi) ($(pulumi version 2>/dev/null || echo unknown version))"
  echo "$root"
  exit 0
fi

if [ -x "$ROOT/bin/pulumi" ] && [ -x "$ROOT/bin/pulumi-resource-pulumi-nodejs" ]; then
  log "using cached pulumi v$PULUMI_VERSION in $ROOT/bin"
  echo "$ROOT"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "no pulumi on PATH and no Go toolchain to build one."
  log "Install Pulumi (https://www.pulumi.com/docs/install/) or Go >= 1.25, then run this again."
  exit 1
fi
if [ ! -f "$NODEJS_PLUGIN" ]; then
  log "missing $NODEJS_PLUGIN: run 'npm ci' first (the dynamic-provider launcher ships inside @pulumi/pulumi)."
  exit 1
fi

log "no pulumi on PATH: building v$PULUMI_VERSION from the Go module proxy into $ROOT (once; several minutes)"
work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > go.mod <<GOMOD
module pulumi-ark-cli-build

go 1.25.11

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
log "fetching modules"
# Only the engine is built. The Node language host (pulumi-language-nodejs) is a separate, untagged Go module
# that the module proxy does not serve; inline Automation API programs (our demo and e2e tests) do not need it,
# because the engine then talks to the language runtime inside the calling node process.
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" \
       "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
mkdir -p "$ROOT/bin.partial"
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
log "compiling pulumi"
go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$ROOT/bin.partial/pulumi" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
cp "$NODEJS_PLUGIN" "$ROOT/bin.partial/pulumi-resource-pulumi-nodejs"
chmod +x "$ROOT/bin.partial/"*
rm -rf "$ROOT/bin"
mv "$ROOT/bin.partial" "$ROOT/bin"
log "built: $("$ROOT/bin/pulumi" version)"
echo "$ROOT"
