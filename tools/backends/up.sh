#!/usr/bin/env bash
# Starts Redis and FerretDB on loopback (installing them first if needed) and
# prints the environment to use them:
#
#   eval "$(bash tools/backends/up.sh)"   # exports REDIS_URL and MONGO_URL
#
# Idempotent: servers already started by this script are reused. Data lives
# in $RUNFRAME_BACKENDS_DIR/run and is thrown away by down.sh.
source "$(dirname "$0")/lib.sh"

bash "$(dirname "$0")/install.sh"

start_redis() {
  local pidfile="$RUN_DIR/redis.pid" log="$RUN_DIR/redis.log"
  if ! running "$pidfile"; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --pidfile "$pidfile" --logfile "$log" --dir "$RUN_DIR" >/dev/null
  fi
  wait_for_port "$REDIS_PORT" redis "$log"
}

start_ferretdb() {
  local pidfile="$RUN_DIR/ferretdb.pid" log="$RUN_DIR/ferretdb.log" data="$RUN_DIR/ferretdb-data"
  if ! running "$pidfile"; then
    mkdir -p "$data"
    nohup "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$data/" \
      --listen-addr="127.0.0.1:$FERRETDB_PORT" --telemetry=disable --state-dir="$RUN_DIR" --log-level=warn \
      --debug-addr=- >"$log" 2>&1 &
    echo $! >"$pidfile"
  fi
  wait_for_port "$FERRETDB_PORT" ferretdb "$log"
}

start_redis
start_ferretdb
echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
echo "export MONGO_URL=mongodb://127.0.0.1:$FERRETDB_PORT/"
