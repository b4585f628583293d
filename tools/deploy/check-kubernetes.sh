#!/usr/bin/env bash
# The Helm chart: helm lint, then the documented render and its variants,
# each validated strictly against the Kubernetes API types and for wiring by
# tools/k8s-validate, whose own tests (go test) include the cases it must
# reject. Renders go to RUNFRAME_K8S_RENDER_DIR (default: a temporary dir).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
[[ -x "$HELM" && -x "$K8S_VALIDATE" ]] || die "run tools/deploy/install.sh first"

chart=deploy/helm/runframe
if [[ -n "${RUNFRAME_K8S_RENDER_DIR:-}" ]]; then
  out=$RUNFRAME_K8S_RENDER_DIR
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
render() { "$HELM" template runframe "$chart" --namespace runframe "$@"; }
validate() { "$K8S_VALIDATE" -external-secret runframe "$@"; }

"$HELM" lint --strict "$chart"

# The command docs/deploy.md documents, as on a cluster without and with the
# Prometheus operator's ServiceMonitor CRD, and on the oldest Kubernetes the
# chart supports.
render >"$out/runframe.yaml"
render --api-versions monitoring.coreos.com/v1/ServiceMonitor >"$out/runframe-servicemonitor.yaml"
render --kube-version 1.25.0 >"$out/runframe-k8s-1.25.yaml"
grep -q '^kind: ServiceMonitor' "$out/runframe.yaml" && die "ServiceMonitor rendered without its CRD"
grep -q '^kind: ServiceMonitor' "$out/runframe-servicemonitor.yaml" || die "no ServiceMonitor where its CRD exists"
# Every option that changes what is rendered, at once.
render --set 'redis.clusterNodes=redis-0.redis:6379\,redis-1.redis:6379' \
  --set provisioning.existingSecret=runframe-provisioning \
  --set apps.auth.autoscaling.enabled=false \
  --set image.digest=sha256:0000000000000000000000000000000000000000000000000000000000000000 \
  --set 'networkPolicy.teamApiFrom[0].namespaceSelector.matchLabels.team=tools' \
  --set 'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring' \
  --set apps.normalizer-cloudwatch.env.RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA=resolve \
  >"$out/runframe-options.yaml"

unformatted=$(gofmt -l tools/k8s-validate)
[[ -z "$unformatted" ]] || die "not gofmt-formatted: $unformatted"
(cd tools/k8s-validate && go vet ./... && go test ./...)
validate -compose docker-compose.yml "$out/runframe.yaml"
validate -compose docker-compose.yml "$out/runframe-servicemonitor.yaml"
validate -compose docker-compose.yml "$out/runframe-k8s-1.25.yaml"
validate -external-secret runframe-provisioning "$out/runframe-options.yaml"

# Both checks can fail: one misspelt field in the render, one unknown value.
sed '0,/maxUnavailable: 1/s//maxUnavailabel: 1/' "$out/runframe.yaml" >"$out/broken.yaml"
if validate "$out/broken.yaml" 2>"$out/broken.err"; then
  die "k8s-validate accepted a PodDisruptionBudget with an unknown field"
fi
grep -q 'unknown field "spec.maxUnavailabel"' "$out/broken.err" || die "unexpected: $(cat "$out/broken.err")"
if render --set apps.edge.replicaz=3 >/dev/null 2>&1; then
  die "the chart accepted an unknown value (apps.edge.replicaz)"
fi
echo "rejected as expected: an unknown field in the render, an unknown value"
echo "helm template runframe $chart --namespace runframe: $(wc -c <"$out/runframe.yaml") bytes, $(grep -c '^kind:' "$out/runframe.yaml") objects"
