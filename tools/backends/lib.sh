# Shared settings for the local backend scripts. Sourced, never run.
#
# Everything lives under RUNFRAME_BACKENDS_DIR (default ~/.cache/runframe):
# built binaries are cached there across clones; per-instance data and pid
# files sit below it so `down.sh` finds what `up.sh` started.

set -euo pipefail

BACKENDS_DIR="${RUNFRAME_BACKENDS_DIR:-$HOME/.cache/runframe}"
BIN_DIR="$BACKENDS_DIR/bin"
RUN_DIR="$BACKENDS_DIR/run"
REDIS_PORT="${RUNFRAME_REDIS_PORT:-6390}"
FERRETDB_PORT="${RUNFRAME_FERRETDB_PORT:-27027}"
FERRETDB_VERSION="v1.24.2"
# The FerretDB binary install.sh builds, with the two changes it describes;
# the suffix changes whenever those do, so a cached older build is rebuilt.
# (libs/platform/src/testing/private-backends.ts reads it from here.)
FERRETDB_BIN="$BIN_DIR/ferretdb-$FERRETDB_VERSION-id-pushdown"
mkdir -p "$BIN_DIR" "$RUN_DIR"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}

# wait_for_port PORT NAME LOGFILE: polls until something accepts on PORT.
wait_for_port() {
  local port=$1 name=$2 log=$3
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  die "$name did not start listening on 127.0.0.1:$port within 10 s; see $log"
}

# running PIDFILE: true when the process recorded in PIDFILE is alive.
running() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}
