#!/usr/bin/env bash
# Installs, once and cached, what the other-language clients need to be
# generated and tested: the Go protoc plugins and grpcurl (`go install` at
# pinned versions), a Python venv with grpcio-tools, grpcio and pytest, and
# Debian's Chromium for the browser test. Prints `export` lines, like
# tools/backends/up.sh:
#
#   eval "$(bash tools/clients/install.sh)"
#
# Idempotent: a second run finds everything and only prints.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${RUNFRAME_CACHE_DIR:-$HOME/.cache/runframe}"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# go_tool MODULE/CMD VERSION: a Go binary built once into its own cache folder.
go_tool() {
  local pkg=$1 version=$2
  local dir="$cache/go-tools/${pkg//\//_}@$version"
  if [[ ! -x "$dir/$(basename "$pkg")" ]]; then
    command -v go >/dev/null || die "Go is needed for $pkg (https://go.dev/dl)"
    echo "installing $pkg@$version (first run only)" >&2
    GOBIN="$dir" GOFLAGS=-mod=mod go install "$pkg@$version" >&2
  fi
  printf '%s' "$dir"
}

path=""
for tool in \
  google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12 \
  google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2 \
  connectrpc.com/connect/cmd/protoc-gen-connect-go@v1.21.1 \
  github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3; do
  path="$path:$(go_tool "${tool%@*}" "${tool#*@}")"
done

# The venv is keyed by the pinned requirements, so changing a pin makes a new one.
requirements="$root/clients/python/requirements-dev.txt"
venv="$cache/py-clients-$(sha256sum "$requirements" | cut -c1-12)"
if [[ ! -f "$venv/.installed" ]]; then
  command -v python3 >/dev/null || die "python3 is needed for the Python client"
  python3 -c 'import venv, ensurepip' 2>/dev/null || {
    echo "installing python3-venv from Debian packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  }
  echo "creating the Python client venv $venv (first run only)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  touch "$venv/.installed"
fi

chromium=$(command -v chromium || true)
if [[ -z "$chromium" ]]; then
  echo "installing chromium from Debian packages (first run only)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  chromium=$(command -v chromium) || die "chromium did not install"
fi

echo "export PATH=\"${path#:}:\$PATH\""
echo "export RUNFRAME_PYTHON=$venv/bin/python"
echo "export RUNFRAME_CHROMIUM=$chromium"
