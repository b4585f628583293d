#!/usr/bin/env bash
# Regenerates the committed Go (clients/go) and Python (clients/python)
# clients from proto/, with pinned generators (tools/clients/install.sh).
# CI runs it and fails when the result differs from what is committed, as
# `npm run generate` does for the TypeScript code.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(bash tools/clients/install.sh)"

rm -rf clients/go/runframe
npx buf generate --template tools/clients/buf.gen.go.yaml

# The Python modules are named after the proto paths (runframe.incident.v1
# .incident_pb2 imports runframe.common.v1.common_pb2), so they live in a
# top-level `runframe` package. Health, reflection and the error details
# are not generated: grpcio-health-checking, grpcio-reflection and
# googleapis-common-protos provide them, and a second copy of those files
# would clash in protobuf's descriptor pool.
rm -rf clients/python/src/runframe
mkdir -p clients/python/src
mapfile -t protos < <(cd proto && find runframe -name '*.proto' | LC_ALL=C sort)
(cd proto && "$RUNFRAME_PYTHON" -m grpc_tools.protoc -I. \
  --python_out=../clients/python/src --pyi_out=../clients/python/src \
  --grpc_python_out=../clients/python/src "${protos[@]}")
for dir in $(cd clients/python/src && find runframe -type d); do
  touch "clients/python/src/$dir/__init__.py"
done
