#!/usr/bin/env bash
# Installs the servers the integration tests use, once: Redis from Debian's
# packages and FerretDB (a MongoDB wire-protocol server) built from source.
# Idempotent: a second run finds both and does nothing.
source "$(dirname "$0")/lib.sh"

install_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    return
  fi
  need apt-get "Install redis-server (>= 6.2) with your package manager."
  echo "installing redis-server from Debian packages" >&2
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
}

# FerretDB's release builds embed build/version/version.txt, which a plain
# `go install …@v1.24.2` leaves empty, so that binary panics at start. We
# copy the module source and build it with the version file filled in.
#
# One more change, to one constant: v1.24.2's SQLite handler looks documents
# up by `_fdb_sjson->'$._id'` while the `_id` index it creates is on
# `_fdb_sjson->"_id"`. The two mean the same, but SQLite only uses an
# expression index for the identical expression, so every `_id` lookup,
# update and delete scanned the whole table (22 ms per lookup at 2,200
# documents, growing linearly). Writing the lookup like the index lets SQLite
# use it, as MongoDB does. Semantics are unchanged.
#
# And a second, to one condition: the handler pushes `_id = ?` down to SQLite
# only when the filter is `{_id: <string>}` alone, so a filter with one more
# field, such as `{_id, seq: {$lt: n}}` (an incident's state update, on every
# occurrence) or `{_id, incident}` (freeing an open key on resolve), scanned
# the whole collection: 250-290 ms per operation at 10,000 documents, 25-35 ms
# at 1,000, where `{_id}` alone takes about 1 ms (measured with the mongodb
# driver). The handler applies the whole filter again to every document the
# backend returns, so narrowing the rows to that `_id` first changes no
# result; MongoDB uses its `_id` index the same way.
install_ferretdb() {
  local bin="$FERRETDB_BIN"
  if [[ -x "$bin" ]]; then
    return
  fi
  need go "Install Go >= 1.22 (https://go.dev/dl) to build FerretDB."
  echo "building FerretDB $FERRETDB_VERSION (first run only, about a minute)" >&2
  local src
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$src" ]] || die "go mod download did not produce FerretDB $FERRETDB_VERSION"
  local build
  build=$(mktemp -d)
  cp -r "$src/." "$build"
  chmod -R u+w "$build"
  echo "$FERRETDB_VERSION" >"$build/build/version/version.txt"
  local metadata="$build/internal/backends/sqlite/metadata/metadata.go"
  grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$metadata" ||
    die "FerretDB's IDColumn is not what install.sh expects; review the patch"
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->\\\\\"_id\\\\\"\"|" "$metadata"
  local collection="$build/internal/backends/sqlite/collection.go"
  [[ $(grep -c "if params.Filter.Len() == 1 {" "$collection") -eq 2 ]] ||
    die "FerretDB's _id pushdown is not what install.sh expects; review the patch"
  sed -i "s|if params.Filter.Len() == 1 {|if params.Filter.Len() >= 1 {|" "$collection"
  (cd "$build" && CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" ./cmd/ferretdb)
  mv "$bin.tmp" "$bin"
  rm -rf "$build"
}

install_redis
install_ferretdb
