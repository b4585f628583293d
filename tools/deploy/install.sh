#!/usr/bin/env bash
# Installs what the deployment checks need, once, into RUNFRAME_TOOLS_DIR:
# helm (built from the Go module proxy), docker-compose 1.29.2 (PyPI, in a
# venv) and tools/k8s-validate (built from this repository; Go's build
# cache makes a rebuild take about a second). Idempotent.
source "$(dirname "$0")/lib.sh"

install_helm() {
  [[ -x "$HELM" ]] && return
  need go "Install Go >= 1.22 (https://go.dev/dl) to build helm."
  echo "building helm $HELM_VERSION (first run only, a few minutes)" >&2
  local gobin
  gobin=$(mktemp -d)
  # The flags helm's own Makefile sets: its version, and the Kubernetes
  # version `helm template` assumes without a cluster (else v1.20).
  local pkg=helm.sh/helm/v3
  GOBIN="$gobin" go install -trimpath -ldflags "-s -w \
    -X $pkg/internal/version.version=$HELM_VERSION \
    -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR \
    -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR" \
    "$pkg/cmd/helm@$HELM_VERSION"
  mv "$gobin/helm" "$HELM"
  rm -rf "$gobin"
}

# docker-compose 1.29.2 needs PyYAML 5.4.1, whose source build breaks with
# Cython 3; building it against Cython 0.29 first is the known fix. Every
# package is pinned (docker-compose-requirements.txt).
install_compose() {
  [[ -f "$COMPOSE_VENV/installed" ]] && return
  need python3 "Install Python 3 with venv."
  echo "installing docker-compose $COMPOSE_VERSION into $COMPOSE_VENV (first run only)" >&2
  # A venv's scripts name its path, so it is built in place; the marker
  # file says the install finished.
  rm -rf "$COMPOSE_VENV"
  python3 -m venv "$COMPOSE_VENV"
  local pip="$COMPOSE_VENV/bin/pip"
  "$pip" install --quiet --disable-pip-version-check "Cython==0.29.37" "setuptools==75.6.0" "wheel==0.45.1"
  "$pip" install --quiet --disable-pip-version-check --no-build-isolation "PyYAML==5.4.1"
  "$pip" install --quiet --disable-pip-version-check -r "$REPO_ROOT/tools/deploy/docker-compose-requirements.txt"
  touch "$COMPOSE_VENV/installed"
}

install_validator() {
  need go "Install Go >= 1.22 (https://go.dev/dl) to build tools/k8s-validate."
  (cd "$REPO_ROOT/tools/k8s-validate" && go build -trimpath -o "$K8S_VALIDATE.tmp" .)
  mv "$K8S_VALIDATE.tmp" "$K8S_VALIDATE"
}

install_helm
install_compose
install_validator
