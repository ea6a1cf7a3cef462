#!/usr/bin/env bash
# Makes the Pulumi CLI available, and with --env also the language hosts and the Python SDK that directory
# programs (`pulumi up` in a folder with a Pulumi.yaml) need. Users with a normal Pulumi install need none of
# this: their `pulumi` and its language hosts are on PATH and win. docs/pulumi-cli.md describes both paths.
#
# Usage: scripts/pulumi-cli.sh        -> prints the CLI root (the directory holding bin/pulumi; what the
#                                        Automation API's PulumiCommand.get({root}) expects). Engine only:
#                                        enough for inline programs (the demo).
#        scripts/pulumi-cli.sh --env  -> also provides pulumi-language-nodejs, pulumi-language-python (+ its
#                                        pulumi-language-python-exec), pulumi-language-go,
#                                        pulumi-language-yaml and a virtualenv with the Python SDK, then prints
#                                        two lines:
#                                          PULUMI_ARK_CLI_ROOT=<root>
#                                          PULUMI_ARK_TOOL_PATH=<dir>:<dir>:...   (prepend to PATH for the CLI)
# Progress goes to stderr. Each piece comes from PATH when present, else from the cache, else it is built once
# into the cache (PULUMI_ARK_CACHE, default ~/.cache/pulumi-ark); every cache folder names its version, so
# moving a version builds anew beside the old one instead of mixing them:
#   <cache>/pulumi-v3.276.0/bin/pulumi   the engine, from the Go module proxy (+ the dynamic-provider launcher)
#   <cache>/hosts/yaml-v1.25.0/pulumi-language-yaml
#                                        from the Go module proxy (github.com/pulumi/pulumi-yaml)
#   <cache>/hosts/v3.259.0/pulumi-language-{nodejs,python,python-exec,go}
#                                        from the sources in $PULUMI_ARK_LANGUAGE_HOSTS_SRC (a folder with
#                                        build.sh; the module proxy does not serve these hosts). A newer engine
#                                        runs older hosts: they talk gRPC.
#   <cache>/python-venv-3.272.0          python3 -m venv + pip install pulumi==3.272.0 (PyPI's newest; the
#                                        Python SDK may be older than the engine, never newer)
# PULUMI_ARK_FORCE_BUILD=1 ignores what is on PATH (the cache is still reused).
set -euo pipefail

PULUMI_VERSION="3.276.0"
# The newest tag whose language-host sources we have (their go.mod pins the pulumi sdk to it; see build_source_host).
HOSTS_VERSION="3.259.0"
PULUMI_YAML_VERSION="1.25.0"
PYTHON_SDK_VERSION="3.272.0"
CACHE_ROOT="${PULUMI_ARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ark}"
ROOT="$CACHE_ROOT/pulumi-v$PULUMI_VERSION"
HOSTS_DIR="$CACHE_ROOT/hosts/v$HOSTS_VERSION"
YAML_DIR="$CACHE_ROOT/hosts/yaml-v$PULUMI_YAML_VERSION"
VENV_DIR="$CACHE_ROOT/python-venv-$PYTHON_SDK_VERSION"
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
  command -v go >/dev/null 2>&1 || die "$1 is not on PATH and there is no Go toolchain to build it. Install Pulumi (https://www.pulumi.com/docs/install/) or Go >= 1.26.6, then run this again."
}

# --- the engine -------------------------------------------------------------------------------------------------
build_cli() {
  need_go pulumi
  [ -f "$NODEJS_PLUGIN" ] || die "missing $NODEJS_PLUGIN: run 'npm ci' first (the dynamic-provider launcher ships inside @pulumi/pulumi)."
  log "no pulumi on PATH: building v$PULUMI_VERSION from the Go module proxy into $ROOT (once; 10-15 minutes on 2 cores)"
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXX")"
  # The CLI's own go.mod has a replace directive, so `go install pkg@version` refuses it: build it from a wrapper
  # module that repeats the replace.
  cat > "$work/go.mod" <<GOMOD
module pulumi-ark-cli-build

go 1.26.6

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

build_yaml_host() { # out dir
  need_go pulumi-language-yaml
  log "building pulumi-language-yaml v$PULUMI_YAML_VERSION from the Go module proxy into $1 (once; 3-5 minutes on 2 cores)"
  local partial="$1/.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  # pulumi-yaml's go.mod has no replace directives, so `go install pkg@version` works here.
  GOBIN="$partial" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath \
    -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$PULUMI_YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$PULUMI_YAML_VERSION" >&2
  mv "$partial/pulumi-language-yaml" "$1/pulumi-language-yaml"
  rm -rf "$partial"
}

build_source_host() { # nodejs | python | go, out dir
  local src="${PULUMI_ARK_LANGUAGE_HOSTS_SRC:-}"
  if [ -z "$src" ] || [ ! -f "$src/build.sh" ]; then
    die "pulumi-language-$1 is not on PATH and not in $2, and PULUMI_ARK_LANGUAGE_HOSTS_SRC (${src:-unset}) is no folder with a build.sh. The Go module proxy does not serve this host: install Pulumi normally (it ships the hosts), or point PULUMI_ARK_LANGUAGE_HOSTS_SRC at the language-host sources (.ci/run uses ../shared/tools/pulumi-language-hosts-v$HOSTS_VERSION)."
  fi
  # The cache folder says which version it holds: refuse sources of another one rather than mislabel them.
  grep -q "github.com/pulumi/pulumi/sdk/v3 v$HOSTS_VERSION\$" "$src/$1/go.mod" 2>/dev/null ||
    die "$src/$1/go.mod does not pin github.com/pulumi/pulumi/sdk/v3 v$HOSTS_VERSION: point PULUMI_ARK_LANGUAGE_HOSTS_SRC at the v$HOSTS_VERSION host sources (or change HOSTS_VERSION in this script)."
  need_go "pulumi-language-$1"
  log "building pulumi-language-$1 v$HOSTS_VERSION from $src into $2 (once; a few minutes on 2 cores)"
  bash "$src/build.sh" "$2" "$1" >&2
}

# The engine prefers language hosts next to its own executable and warns on every command ("using
# pulumi-language-nodejs from $PATH") when it finds one elsewhere on PATH. So when the engine is the cache's,
# each host gets a symlink beside it; a user's own install already ships its hosts beside its engine.
link_beside_cli() { # binary path
  [ "$cli_root" = "$ROOT" ] || return 0
  local target="$ROOT/bin/$(basename "$1")"
  [ "$1" -ef "$target" ] || ln -sfn "$1" "$target"
}

# name of the host binary, its cache folder, the build for it when it is neither on PATH nor cached (called
# with the folder), and a companion binary
provide_host() {
  local name="$1" dir="$2" build="$3" companion="${4:-}" bin
  if on_path "$name" && { [ -z "$companion" ] || on_path "$companion"; }; then
    log "$name: from PATH, $(command -v "$name")"
    for bin in "$name" $companion; do
      add_path "$(dirname "$(command -v "$bin")")"
      link_beside_cli "$(command -v "$bin")"
    done
    return
  fi
  if [ -x "$dir/$name" ] && { [ -z "$companion" ] || [ -x "$dir/$companion" ]; }; then
    log "$name: cached in $dir"
  else
    mkdir -p "$dir"
    "$build" "$dir"
  fi
  add_path "$dir"
  for bin in "$name" $companion; do link_beside_cli "$dir/$bin"; done
}

build_nodejs_host() { build_source_host nodejs "$1"; }
build_python_host() { build_source_host python "$1"; }
build_go_host() { build_source_host go "$1"; }

provide_host pulumi-language-nodejs "$HOSTS_DIR" build_nodejs_host
provide_host pulumi-language-python "$HOSTS_DIR" build_python_host pulumi-language-python-exec
provide_host pulumi-language-go "$HOSTS_DIR" build_go_host
provide_host pulumi-language-yaml "$YAML_DIR" build_yaml_host

# --- the Python SDK ---------------------------------------------------------------------------------------------
# Always the cache's virtualenv, whatever python is on PATH: a Python SDK newer than the engine may send what
# the engine does not know. PyPI's newest pulumi (3.272.0) is older than the engine, which is fine.
venv_ready() { compgen -G "$1/lib/python3*/site-packages/pulumi-$PYTHON_SDK_VERSION.dist-info" >/dev/null; }
if venv_ready "$VENV_DIR"; then
  log "python SDK: pulumi==$PYTHON_SDK_VERSION in $VENV_DIR"
else
  command -v python3 >/dev/null 2>&1 || die "python3 is needed for the Python SDK virtualenv ($VENV_DIR); install it (with its venv module) and run this again."
  log "python SDK: creating $VENV_DIR with pip install pulumi==$PYTHON_SDK_VERSION (once; a minute or two)"
  # A virtualenv records its own path, so it is built in place; an interrupted build lacks the SDK's dist-info
  # (pip installs dependencies first) and is started over on the next run.
  rm -rf "$VENV_DIR"
  python3 -m venv "$VENV_DIR" >&2
  "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "pulumi==$PYTHON_SDK_VERSION" >&2
  venv_ready "$VENV_DIR" || die "pip finished but $VENV_DIR has no pulumi $PYTHON_SDK_VERSION."
fi
add_path "$VENV_DIR/bin"

echo "PULUMI_ARK_CLI_ROOT=$cli_root"
(IFS=:; echo "PULUMI_ARK_TOOL_PATH=${tool_path[*]}")
