# Shared settings for the deployment checks. Sourced, never run.
#
# The tools they need are built or installed once and cached outside the
# clone, under RUNFRAME_TOOLS_DIR (default ~/.cache/runframe), named by
# version so that a new pin installs beside the old one.

set -euo pipefail

TOOLS_DIR="${RUNFRAME_TOOLS_DIR:-$HOME/.cache/runframe}"
TOOLS_BIN="$TOOLS_DIR/bin"
HELM_VERSION="v3.16.3"
# The Kubernetes minor version helm v3.16.3's client-go (v0.31) targets:
# `helm template` renders for it when no cluster is asked.
HELM_K8S_MINOR="31"
COMPOSE_VERSION="1.29.2"
HELM="$TOOLS_BIN/helm-$HELM_VERSION"
COMPOSE_VENV="$TOOLS_DIR/venv/docker-compose-$COMPOSE_VERSION"
DOCKER_COMPOSE="$COMPOSE_VENV/bin/docker-compose"
K8S_VALIDATE="$TOOLS_BIN/k8s-validate"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$TOOLS_BIN"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}
