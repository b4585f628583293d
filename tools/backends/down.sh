#!/usr/bin/env bash
# Stops what up.sh started and deletes its data. Idempotent.
source "$(dirname "$0")/lib.sh"

for name in redis ferretdb; do
  pidfile="$RUN_DIR/$name.pid"
  if running "$pidfile"; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 50); do
      running "$pidfile" || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
done
rm -rf "$RUN_DIR/ferretdb-data"
