{{/*
The apps and how they are wired: each one's RPC port (the image's defaults;
the admin port is this + 1000, the edge serves /healthz, /readyz and
/metrics on its own port) and what it uses. Callers of an app are the apps
that list it under `calls`; the NetworkPolicy admits only them.
*/}}
{{- define "runframe.wiring" -}}
auth:
  port: 7001
  uses: [mongo, redis, secretKey, provisioning]
  calls: [incident]
incident:
  port: 7002
  uses: [mongo, provisioning]
  calls: [auth, normalizer-custom, normalizer-datadog, normalizer-sentry, normalizer-prometheus, normalizer-cloudwatch, normalizer-pagerduty]
normalizer-custom:
  port: 7101
  uses: []
  calls: []
normalizer-datadog:
  port: 7102
  uses: []
  calls: []
normalizer-sentry:
  port: 7103
  uses: []
  calls: []
normalizer-prometheus:
  port: 7104
  uses: []
  calls: []
normalizer-cloudwatch:
  port: 7105
  uses: []
  calls: []
normalizer-pagerduty:
  port: 7106
  uses: []
  calls: []
edge:
  port: 3000
  uses: []
  calls: [auth, incident, normalizer-custom, normalizer-datadog, normalizer-sentry, normalizer-prometheus, normalizer-cloudwatch, normalizer-pagerduty]
{{- end -}}

{{/* The name of an app's Deployment and Service: <release>-<app>. */}}
{{- define "runframe.name" -}}
{{- printf "%s-%s" .root.Release.Name .app | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select one app's pods. */}}
{{- define "runframe.selectorLabels" -}}
app.kubernetes.io/name: {{ .app }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Labels every pod of this release carries. */}}
{{- define "runframe.releaseLabels" -}}
app.kubernetes.io/part-of: runframe
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "runframe.labels" -}}
{{ include "runframe.selectorLabels" . }}
app.kubernetes.io/part-of: runframe
app.kubernetes.io/component: {{ .app }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The in-cluster URL of an app: its headless Service's DNS name, which resolves to every ready pod. */}}
{{- define "runframe.url" -}}
{{- $wiring := include "runframe.wiring" .root | fromYaml -}}
{{- printf "http://%s.%s.svc.%s:%v" (include "runframe.name" .) .root.Release.Namespace .root.Values.clusterDomain (get (get $wiring .app) "port") -}}
{{- end -}}

{{/* RUNFRAME_AUTH_URL, RUNFRAME_NORMALIZER_CUSTOM_URL, … */}}
{{- define "runframe.urlSetting" -}}
{{- printf "RUNFRAME_%s_URL" (. | upper | replace "-" "_") -}}
{{- end -}}

{{- define "runframe.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}
