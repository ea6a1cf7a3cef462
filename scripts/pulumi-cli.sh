#!/usr/bin/env bash
# Makes the Pulumi CLI available, and with --env also the language hosts and the Python SDK that directory
# programs (`pulumi up` in a folder with a Pulumi.yaml) need. Users with a normal Pulumi install need none of
# this: their `pulumi` and its language hosts are on PATH and win. docs/pulumi-cli.md describes both paths.
#
# Usage: scripts/pulumi-cli.sh        -> prints the CLI root (the directory holding bin/pulumi; what the
#                                        Automation API's PulumiCommand.get({root}) expects). Engine only:
#                                        enough for inline programs (the demo).
#        scripts/pulumi-cli.sh --env  -> also provides pulumi-language-nodejs, pulumi-language-python (+ its
#                                        pulumi-language-python-exec), pulumi-language-yaml and a virtualenv
#                                        with the Python SDK, then prints two lines:
#                                          PULUMI_ARK_CLI_ROOT=<root>
#                                          PULUMI_ARK_TOOL_PATH=<dir>:<dir>:...   (prepend to PATH for the CLI)
# Progress goes to stderr. Each piece comes from PATH when present, else from the cache, else it is built once
# into the cache (PULUMI_ARK_CACHE, default ~/.cache/pulumi-ark):
#   <cache>/pulumi-v3.248.0/bin/pulumi   the engine, from the Go module proxy (+ the dynamic-provider launcher)
#   <cache>/hosts/pulumi-language-yaml   from the Go module proxy (github.com/pulumi/pulumi-yaml v1.25.0)
#   <cache>/hosts/pulumi-language-{nodejs,python,python-exec}
#                                        from the sources in $PULUMI_ARK_LANGUAGE_HOSTS_SRC (a folder with
#                                        build.sh; the module proxy does not serve these two hosts)
#   <cache>/python-venv                  python3 -m venv + pip install pulumi==3.248.0
# PULUMI_ARK_FORCE_BUILD=1 ignores what is on PATH (the cache is still reused).
set -euo pipefail

PULUMI_VERSION="3.248.0"
PULUMI_YAML_VERSION="1.25.0"
CACHE_ROOT="${PULUMI_ARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ark}"
ROOT="$CACHE_ROOT/pulumi-v$PULUMI_VERSION"
HOSTS_DIR="$CACHE_ROOT/hosts"
VENV_DIR="$CACHE_ROOT/python-venv"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODEJS_PLUGIN="$REPO_DIR/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"

log() { echo "[pulumi-cli] $*" >&2; }
die() { log "$*"; exit 1; }

case "${1:-}" in
  "") want_env="" ;;
  --env) want_env=1 ;;
  *) die "usage: scripts/pulumi-cli.sh [--env]" ;;
esac

on_path() { [ -z "${PULUMI_ARK_FORCE_BUILD:-}" ] && command -v "$1" >/dev/null 2>&1; }

need_go() {
  command -v go >/dev/null 2>&1 || die "$1 is not on PATH and there is no Go toolchain to build it. Install Pulumi (https://www.pulumi.com/docs/install/) or Go >= 1.25, then run this again."
}

# --- the engine -------------------------------------------------------------------------------------------------
build_cli() {
  need_go pulumi
  [ -f "$NODEJS_PLUGIN" ] || die "missing $NODEJS_PLUGIN: run 'npm ci' first (the dynamic-provider launcher ships inside @pulumi/pulumi)."
  log "no pulumi on PATH: building v$PULUMI_VERSION from the Go module proxy into $ROOT (once; about 10 minutes on 2 cores)"
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXX")"
  # The CLI's own go.mod has a replace directive, so `go install pkg@version` refuses it: build it from a wrapper
  # module that repeats the replace.
  cat > "$work/go.mod" <<GOMOD
module pulumi-ark-cli-build

go 1.25.11

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
  log "fetching modules"
  (cd "$work" && GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" \
    "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION") >&2
  rm -rf "$ROOT/bin.partial"
  mkdir -p "$ROOT/bin.partial"
  log "compiling pulumi"
  # The version stamp matters: the Automation API refuses a CLI that reports none.
  (cd "$work" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$ROOT/bin.partial/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
  rm -rf "$work"
  # Without the launcher of dynamic providers next to it the engine would try to download the pulumi-nodejs plugin.
  cp "$NODEJS_PLUGIN" "$ROOT/bin.partial/pulumi-resource-pulumi-nodejs"
  chmod +x "$ROOT/bin.partial/"*
  rm -rf "$ROOT/bin"
  mv "$ROOT/bin.partial" "$ROOT/bin"
  log "built: $("$ROOT/bin/pulumi" version)"
}

if on_path pulumi; then
  cli_root="$(cd "$(dirname "$(command -v pulumi)")/.." && pwd)"
  log "pulumi: from PATH, $(command -v pulumi) ($(pulumi version 2>/dev/null || echo unknown version))"
else
  if [ -x "$ROOT/bin/pulumi" ] && [ -x "$ROOT/bin/pulumi-resource-pulumi-nodejs" ]; then
    log "pulumi: cached v$PULUMI_VERSION in $ROOT/bin"
  else
    build_cli
  fi
  cli_root="$ROOT"
fi

if [ -z "$want_env" ]; then
  echo "$cli_root"
  exit 0
fi

# --- the language hosts -----------------------------------------------------------------------------------------
tool_path=("$cli_root/bin")
add_path() {
  local dir
  for dir in "${tool_path[@]}"; do [ "$dir" = "$1" ] && return 0; done
  tool_path+=("$1")
}

build_yaml_host() {
  need_go pulumi-language-yaml
  log "building pulumi-language-yaml v$PULUMI_YAML_VERSION from the Go module proxy into $HOSTS_DIR (once; about 5 minutes on 2 cores)"
  local partial="$HOSTS_DIR/.yaml.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  # pulumi-yaml's go.mod has no replace directives, so `go install pkg@version` works here.
  GOBIN="$partial" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath \
    -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$PULUMI_YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$PULUMI_YAML_VERSION" >&2
  mv "$partial/pulumi-language-yaml" "$HOSTS_DIR/pulumi-language-yaml"
  rm -rf "$partial"
}

build_source_host() { # nodejs | python
  local src="${PULUMI_ARK_LANGUAGE_HOSTS_SRC:-}"
  if [ -z "$src" ] || [ ! -f "$src/build.sh" ]; then
    die "pulumi-language-$1 is not on PATH and not in $HOSTS_DIR, and PULUMI_ARK_LANGUAGE_HOSTS_SRC (${src:-unset}) is no folder with a build.sh. The Go module proxy does not serve this host: install Pulumi normally (it ships the hosts), or point PULUMI_ARK_LANGUAGE_HOSTS_SRC at the language-host sources (.ci/run uses ../shared/tools/pulumi-language-hosts)."
  fi
  need_go "pulumi-language-$1"
  log "building pulumi-language-$1 v$PULUMI_VERSION from $src into $HOSTS_DIR (once; a few minutes on 2 cores)"
  bash "$src/build.sh" "$HOSTS_DIR" "$1" >&2
}

# The engine prefers language hosts next to its own executable and warns on every command ("using
# pulumi-language-nodejs from $PATH") when it finds one elsewhere on PATH. So when the engine is the cache's,
# each host gets a symlink beside it; a user's own install already ships its hosts beside its engine.
link_beside_cli() { # binary path
  [ "$cli_root" = "$ROOT" ] || return 0
  local target="$ROOT/bin/$(basename "$1")"
  [ "$1" -ef "$target" ] || ln -sfn "$1" "$target"
}

# name of the host binary, the build for it when it is neither on PATH nor cached, and a companion binary
provide_host() {
  local name="$1" build="$2" companion="${3:-}" bin
  if on_path "$name" && { [ -z "$companion" ] || on_path "$companion"; }; then
    log "$name: from PATH, $(command -v "$name")"
    for bin in "$name" $companion; do
      add_path "$(dirname "$(command -v "$bin")")"
      link_beside_cli "$(command -v "$bin")"
    done
    return
  fi
  if [ -x "$HOSTS_DIR/$name" ] && { [ -z "$companion" ] || [ -x "$HOSTS_DIR/$companion" ]; }; then
    log "$name: cached in $HOSTS_DIR"
  else
    mkdir -p "$HOSTS_DIR"
    "$build"
  fi
  add_path "$HOSTS_DIR"
  for bin in "$name" $companion; do link_beside_cli "$HOSTS_DIR/$bin"; done
}

build_nodejs_host() { build_source_host nodejs; }
build_python_host() { build_source_host python; }

provide_host pulumi-language-nodejs build_nodejs_host
provide_host pulumi-language-python build_python_host pulumi-language-python-exec
provide_host pulumi-language-yaml build_yaml_host

# --- the Python SDK ---------------------------------------------------------------------------------------------
# Always the cache's virtualenv, whatever python is on PATH: the SDK version must match the engine's.
venv_ready() { compgen -G "$1/lib/python3*/site-packages/pulumi-$PULUMI_VERSION.dist-info" >/dev/null; }
if venv_ready "$VENV_DIR"; then
  log "python SDK: pulumi==$PULUMI_VERSION in $VENV_DIR"
else
  command -v python3 >/dev/null 2>&1 || die "python3 is needed for the Python SDK virtualenv ($VENV_DIR); install it (with its venv module) and run this again."
  log "python SDK: creating $VENV_DIR with pip install pulumi==$PULUMI_VERSION (once; a minute or two)"
  # A virtualenv records its own path, so it is built in place; an interrupted build lacks the SDK's dist-info
  # (pip installs dependencies first) and is started over on the next run.
  rm -rf "$VENV_DIR"
  python3 -m venv "$VENV_DIR" >&2
  "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "pulumi==$PULUMI_VERSION" >&2
  venv_ready "$VENV_DIR" || die "pip finished but $VENV_DIR has no pulumi $PULUMI_VERSION."
fi
add_path "$VENV_DIR/bin"

echo "PULUMI_ARK_CLI_ROOT=$cli_root"
(IFS=:; echo "PULUMI_ARK_TOOL_PATH=${tool_path[*]}")
