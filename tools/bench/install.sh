#!/usr/bin/env bash
# Installs the load generators the throughput benchmark drives, once:
# wrk (Debian) for closed-loop throughput, and vegeta (built with Go, cached
# in ~/.cache/runframe/bin) for a constant request rate. Prints nothing but
# errors; idempotent.
set -euo pipefail
BIN_DIR="${RUNFRAME_BACKENDS_DIR:-$HOME/.cache/runframe}/bin"
VEGETA_VERSION=v12.13.0
mkdir -p "$BIN_DIR"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk from Debian packages" >&2
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
fi

if [[ ! -x "$BIN_DIR/vegeta-$VEGETA_VERSION" ]]; then
  command -v go >/dev/null || { echo "Go is needed to build vegeta" >&2; exit 1; }
  echo "building vegeta $VEGETA_VERSION (first run only)" >&2
  GOBIN="$BIN_DIR/tmp-vegeta" go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
  mv "$BIN_DIR/tmp-vegeta/vegeta" "$BIN_DIR/vegeta-$VEGETA_VERSION"
  rm -rf "$BIN_DIR/tmp-vegeta"
fi
echo "$BIN_DIR/vegeta-$VEGETA_VERSION"
