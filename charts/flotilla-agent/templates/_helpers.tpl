{{/*
The chart's name, or nameOverride.
*/}}
{{- define "flotilla-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name: fullnameOverride, else the release name (when it already holds the
chart name), else release-chart. Truncated so suffixed names (-state, -bootstrap) still fit.
*/}}
{{- define "flotilla-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "flotilla-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "flotilla-agent.labels" -}}
helm.sh/chart: {{ include "flotilla-agent.chart" . }}
{{ include "flotilla-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: flotilla
{{- end }}

{{- define "flotilla-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flotilla-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "flotilla-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flotilla-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "flotilla-agent.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The Secret holding the bootstrap token: the user's, or the chart's when given inline.
Empty when there is none (the agent has registered already).
*/}}
{{- define "flotilla-agent.bootstrapSecretName" -}}
{{- if .Values.bootstrapToken.existingSecret }}
{{- .Values.bootstrapToken.existingSecret }}
{{- else if .Values.bootstrapToken.value }}
{{- printf "%s-bootstrap" (include "flotilla-agent.fullname" .) }}
{{- end }}
{{- end }}

{{- define "flotilla-agent.bootstrapSecretKey" -}}
{{- if .Values.bootstrapToken.existingSecret }}
{{- .Values.bootstrapToken.existingSecretKey }}
{{- else }}token{{- end }}
{{- end }}

{{/*
The Secrets the agent keeps its state in (apps/agent/src/state-store.ts); fixed names.
*/}}
{{- define "flotilla-agent.stateSecrets" -}}
- flotilla-agent-credential
- flotilla-agent-plan
{{- end }}
