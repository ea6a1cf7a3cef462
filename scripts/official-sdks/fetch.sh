#!/usr/bin/env bash
# Downloads the pinned official Volcengine SDKs whose Ark models provider/api/official-sdks.test.ts holds our
# wire shapes against, and extracts their field names (extract.py) into
#   <cache>/official-sdks/ark-shapes.json        (<cache> = PULUMI_ARK_CACHE, default ~/.cache/pulumi-ark)
# Network: PyPI (pip) and the Go module proxy (go mod download), nothing else; both files are checked against
# the hashes pinned here. A second run with the same pins does nothing. Prints the JSON's path.
#
# To move to a newer SDK release: change a version and its hash below (pip download / go mod download -json
# print them), run this script, then the test. A field the release renamed or removed fails the test, naming it.
set -euo pipefail

PY_PACKAGE=volcenginesdk-ark            # the Ark models of volcengine-python-sdk (a meta package that pins it)
PY_VERSION=5.0.54
PY_SHA256=fba711ad8c414b0cbd9b0edfe27c97a14fc97a68dab35afdf670ae91d6a1a5c4
GO_MODULE=github.com/volcengine/volcengine-go-sdk
GO_VERSION=v1.1.35
GO_SUM=h1:FwEzYEEwBygXj6VFTsZGdcZfFPWtOkPUxGhN7c1l3H8=

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${PULUMI_ARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ark}/official-sdks"
out="$dir/ark-shapes.json"
stamp="$PY_PACKAGE==$PY_VERSION $GO_MODULE@$GO_VERSION $(sha256sum "$here/extract.py" | cut -c1-16)"
if [ -f "$out" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$dir"
log() { echo "official-sdks: $*" >&2; }

log "pip download $PY_PACKAGE==$PY_VERSION"
echo "$PY_PACKAGE==$PY_VERSION --hash=sha256:$PY_SHA256" >"$dir/requirements.txt"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
  -r "$dir/requirements.txt" -d "$dir/pypi" >&2
wheel="$(ls "$dir"/pypi/"${PY_PACKAGE//-/_}-$PY_VERSION"-*.whl)"

# The module proxy only (no `direct` fallback to the repository host); the checksum database is not asked,
# the pinned h1 sum is checked instead.
log "go mod download $GO_MODULE@$GO_VERSION"
proxy="$(go env GOPROXY | tr ',|' '\n\n' | grep -v -x -e direct -e off | paste -sd, -)"
[ -n "$proxy" ] || { log "GOPROXY ($(go env GOPROXY)) names no module proxy"; exit 1; }
info="$(cd "$dir" && GOPROXY="$proxy" GOSUMDB=off GOFLAGS=-modcacherw GOMODCACHE="$dir/gomod" \
  go mod download -json "$GO_MODULE@$GO_VERSION")"
sum="$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")"
[ "$sum" = "$GO_SUM" ] || { log "$GO_MODULE@$GO_VERSION has sum '$sum', pinned $GO_SUM"; exit 1; }
zip="$(sed -n 's/^\t"Zip": "\(.*\)",$/\1/p' <<<"$info")"

python3 "$here/extract.py" "$wheel" "$PY_PACKAGE==$PY_VERSION" "$zip" "$GO_MODULE@$GO_VERSION" "$out.tmp"
mv "$out.tmp" "$out"
echo "$stamp" >"$dir/stamp"
echo "$out"
