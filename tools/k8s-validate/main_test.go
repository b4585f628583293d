package main

import (
	"strings"
	"testing"
)

// A minimal app that passes every check: the baseline the cases below break.
const validApp = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      securityContext: { runAsNonRoot: true, runAsUser: 1000 }
      containers:
        - name: api
          image: example/api:1.2.3
          env:
            - { name: APP, value: api }
            - { name: SELF_URL, value: "http://api.default.svc.cluster.local:7001" }
            - name: TOKEN
              valueFrom: { secretKeyRef: { name: external, key: TOKEN } }
          ports: [{ name: grpc, containerPort: 7001 }, { name: admin, containerPort: 8001 }]
          livenessProbe: { httpGet: { path: /healthz, port: admin } }
          readinessProbe: { httpGet: { path: /readyz, port: admin } }
          resources:
            requests: { cpu: 100m, memory: 64Mi }
            limits: { cpu: "1", memory: 128Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
---
apiVersion: v1
kind: Service
metadata: { name: api, labels: { app: api } }
spec:
  clusterIP: None
  selector: { app: api }
  ports: [{ name: grpc, port: 7001, targetPort: grpc }, { name: admin, port: 8001, targetPort: admin }]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: api }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }
  minReplicas: 2
  maxReplicas: 4
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } } }]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: api }
spec:
  selector: { matchLabels: { app: api } }
  endpoints: [{ port: admin, path: /metrics }]
`

func validate(t *testing.T, manifests string) []string {
	t.Helper()
	objects, problems := Decode([]byte(manifests))
	return append(problems, Check(objects, Options{ExternalSecrets: []string{"external"}})...)
}

func TestAcceptsAValidApp(t *testing.T) {
	if problems := validate(t, validApp); len(problems) > 0 {
		t.Fatalf("unexpected problems: %q", problems)
	}
}

// Each case breaks validApp in one place; the validator must say so. The
// first cases are what makes it worth running: a field the API does not
// have, a duplicate or a wrong type is an error, not silently dropped as a
// lenient decoder would.
func TestRejects(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"an unknown field",
			"readinessProbe: { httpGet: { path: /readyz, port: admin } }",
			"readinessProbe: { httpGet: { path: /readyz, port: admin }, initialDelay: 5 }",
			`unknown field "spec.template.spec.containers[0].readinessProbe.initialDelay"`},
		{"an unknown field in a ServiceMonitor",
			"endpoints: [{ port: admin, path: /metrics }]", "endpoints: [{ port: admin, pth: /metrics }]",
			`unknown field "spec.endpoints[0].pth"`},
		{"a duplicate field", "maxReplicas: 4", "maxReplicas: 4\n  maxReplicas: 5", `key "maxReplicas" already set`},
		{"a wrong type", "maxReplicas: 4", "maxReplicas: four", "HorizontalPodAutoscaler"},
		{"an unknown kind", "kind: Service\n", "kind: Servce\n", `no kind "Servce" is registered`},
		{"a Service that selects nothing", "selector: { app: api }", "selector: { app: apl }",
			"Service/api: selects no Deployment's pods"},
		{"a URL to a missing port", "svc.cluster.local:7001", "svc.cluster.local:7002", "Service api has no port 7002"},
		{"a missing Secret", "name: external, key: TOKEN", "name: internal, key: TOKEN", "no Secret internal"},
		{"a writable root file system", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
			"readOnlyRootFilesystem must be true"},
		{"a probe on a port the container lacks", "path: /healthz, port: admin", "path: /healthz, port: metrics",
			"liveness probe port metrics is not a container port"},
		{"an unpinned image", "example/api:1.2.3", "example/api", "is not pinned"},
		{"a missing CPU limit", `limits: { cpu: "1", memory: 128Mi }`, "limits: { memory: 128Mi }",
			"needs a cpu request and limit"},
		{"an autoscaler of nothing", "kind: Deployment, name: api", "kind: Deployment, name: apl",
			"scales Deployment/apl, which is not in the manifests"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			broken := strings.Replace(validApp, c.from, c.to, 1)
			if broken == validApp {
				t.Fatalf("%q is not in validApp", c.from)
			}
			problems := validate(t, broken)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Fatalf("want a problem containing %q, got %q", c.want, problems)
		})
	}
}

func TestRequiresTheComposeEnvironment(t *testing.T) {
	objects, problems := Decode([]byte(validApp))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	compose := `
x-env: &env
  TOKEN: x
services:
  api:
    environment: { <<: *env, APP: api, SELF_URL: "http://api:7001", MONGO_URL: x }
  other:
    environment: { APP: other }
`
	got := strings.Join(CompareCompose(objects, []byte(compose)), "\n")
	for _, want := range []string{"lacks [MONGO_URL]", "APP=other, which no Deployment runs"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in %q", want, got)
		}
	}
	if strings.Contains(got, "TOKEN") {
		t.Errorf("merged TOKEN is set, yet reported: %q", got)
	}
}
