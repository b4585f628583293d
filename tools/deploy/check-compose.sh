#!/usr/bin/env bash
# docker-compose.yml against docker-compose 1.29.2's own schema and
# interpolation (`config` needs no Docker engine). The wiring checks are
# tests: tools/deploy/compose.test.ts and compose.e2e.test.ts.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
[[ -x "$DOCKER_COMPOSE" ]] || die "run tools/deploy/install.sh first"

token=$(openssl rand -base64 32)
key=$(openssl rand -base64 32)
RUNFRAME_INTERNAL_TOKEN=$token RUNFRAME_SECRET_KEY=$key "$DOCKER_COMPOSE" -f docker-compose.yml config -q
services=$(RUNFRAME_INTERNAL_TOKEN=$token RUNFRAME_SECRET_KEY=$key "$DOCKER_COMPOSE" -f docker-compose.yml config --services | sort | xargs)

# The secrets are required: without them Compose must refuse to start.
if env -u RUNFRAME_INTERNAL_TOKEN -u RUNFRAME_SECRET_KEY "$DOCKER_COMPOSE" -f docker-compose.yml config -q 2>/dev/null; then
  die "docker-compose config accepted docker-compose.yml without RUNFRAME_INTERNAL_TOKEN and RUNFRAME_SECRET_KEY"
fi
echo "docker-compose $COMPOSE_VERSION: valid; services: $services; refuses to start without the two secrets"
