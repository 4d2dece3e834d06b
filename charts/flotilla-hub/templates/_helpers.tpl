{{/*
The chart's name, or nameOverride.
*/}}
{{- define "flotilla-hub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name: fullnameOverride, else the release name (when it already holds the
chart name), else release-chart. Truncated so suffixed names (-worker, -migrations) still fit.
*/}}
{{- define "flotilla-hub.fullname" -}}
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

{{- define "flotilla-hub.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "flotilla-hub.labels" -}}
helm.sh/chart: {{ include "flotilla-hub.chart" . }}
{{ include "flotilla-hub.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flotilla
{{- end }}

{{- define "flotilla-hub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flotilla-hub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component (api, worker, migrations). Argument: dict "root" $ "component" NAME.
*/}}
{{- define "flotilla-hub.componentLabels" -}}
{{ include "flotilla-hub.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "flotilla-hub.componentSelectorLabels" -}}
{{ include "flotilla-hub.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Name of one component's objects: the full name for the API, full name + "-" + component else.
*/}}
{{- define "flotilla-hub.componentName" -}}
{{- if eq .component "api" }}
{{- include "flotilla-hub.fullname" .root }}
{{- else }}
{{- printf "%s-%s" (include "flotilla-hub.fullname" .root) .component }}
{{- end }}
{{- end }}

{{- define "flotilla-hub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flotilla-hub.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "flotilla-hub.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The Secret the chart owns, holding the values given inline (not through existingSecret).
*/}}
{{- define "flotilla-hub.secretName" -}}
{{- include "flotilla-hub.fullname" . }}
{{- end }}

{{/*
Whether the chart's Secret holds the generated or inline admin token.
*/}}
{{- define "flotilla-hub.adminTokenInSecret" -}}
{{- $t := .Values.adminToken }}
{{- if and (not $t.existingSecret) (or $t.value $t.generate) }}true{{- end }}
{{- end }}

{{/*
The variables the chart's Secret holds, comma-separated (empty when it holds none).
*/}}
{{- define "flotilla-hub.secretKeys" -}}
{{- $keys := list }}
{{- if and .Values.database.url (not .Values.database.existingSecret) }}{{ $keys = append $keys "DATABASE_URL" }}{{ end }}
{{- if and .Values.redis.url (not .Values.redis.existingSecret) }}{{ $keys = append $keys "REDIS_URL" }}{{ end }}
{{- if include "flotilla-hub.adminTokenInSecret" . }}{{ $keys = append $keys "FLOTILLA_ADMIN_TOKEN" }}{{ end }}
{{- if and .Values.webhookSecret.value (not .Values.webhookSecret.existingSecret) }}{{ $keys = append $keys "FLOTILLA_WEBHOOK_SECRET" }}{{ end }}
{{- if and .Values.gitCredentials.value (not .Values.gitCredentials.existingSecret) }}{{ $keys = append $keys "FLOTILLA_GIT_CREDENTIALS" }}{{ end }}
{{- join "," $keys }}
{{- end }}

{{/*
One environment variable read from a Secret: the user's existingSecret, else the chart's
Secret when it holds the variable, else nothing.
Argument: dict "root" $ "name" VARIABLE "from" (the values block).
*/}}
{{- define "flotilla-hub.secretEnv" -}}
{{- $inChart := has .name (splitList "," (include "flotilla-hub.secretKeys" .root)) }}
{{- if .from.existingSecret }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .from.existingSecret | quote }}
      key: {{ .from.existingSecretKey | quote }}
{{- else if $inChart }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "flotilla-hub.secretName" .root | quote }}
      key: {{ .name }}
{{- end }}
{{- end }}

{{/*
The hub container's environment for a set of roles.
Argument: dict "root" $ "roles" (list "api" "worker") "extra" (component extraEnv).
*/}}
{{- define "flotilla-hub.env" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- include "flotilla-hub.secretEnv" (dict "root" $root "name" "DATABASE_URL" "from" $v.database) }}
{{- include "flotilla-hub.secretEnv" (dict "root" $root "name" "REDIS_URL" "from" $v.redis) }}
{{- if has "api" .roles }}
{{- include "flotilla-hub.secretEnv" (dict "root" $root "name" "FLOTILLA_ADMIN_TOKEN" "from" $v.adminToken) }}
{{- include "flotilla-hub.secretEnv" (dict "root" $root "name" "FLOTILLA_WEBHOOK_SECRET" "from" $v.webhookSecret) }}
{{- end }}
{{- if has "worker" .roles }}
{{- include "flotilla-hub.secretEnv" (dict "root" $root "name" "FLOTILLA_GIT_CREDENTIALS" "from" $v.gitCredentials) }}
{{- end }}
- name: FLOTILLA_ROLES
  value: {{ join "," .roles | quote }}
- name: PORT
  value: "8080"
- name: HOST
  value: "0.0.0.0"
- name: FLOTILLA_SKIP_MIGRATIONS
  value: {{ $v.migrations.enabled | toString | quote }}
- name: FLOTILLA_REDIS_PREFIX
  value: {{ $v.redis.prefix | quote }}
- name: FLOTILLA_LOG_FORMAT
  value: {{ $v.config.logFormat | quote }}
- name: FLOTILLA_GIT_POLL_SECONDS
  value: {{ $v.config.gitPollSeconds | toString | quote }}
- name: FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS
  value: {{ $v.config.heartbeatTimeoutSeconds | toString | quote }}
- name: FLOTILLA_LONG_POLL_SECONDS
  value: {{ $v.config.longPollSeconds | toString | quote }}
- name: FLOTILLA_AGENT_CREDENTIAL_CACHE_SECONDS
  value: {{ $v.config.agentCredentialCacheSeconds | toString | quote }}
- name: FLOTILLA_RECONCILE_SECONDS
  value: {{ $v.config.reconcileSeconds | toString | quote }}
- name: FLOTILLA_RETRY_BASE_SECONDS
  value: {{ $v.config.retryBaseSeconds | toString | quote }}
- name: FLOTILLA_RETRY_MAX_SECONDS
  value: {{ $v.config.retryMaxSeconds | toString | quote }}
- name: FLOTILLA_PLAN_CONCURRENCY
  value: {{ $v.config.planConcurrency | toString | quote }}
{{- with $v.config.renderNetworkRepositories }}
- name: FLOTILLA_RENDER_NETWORK_REPOSITORIES
  value: {{ join "," . | quote }}
{{- end }}
- name: FLOTILLA_CACHE_DIR
  value: /var/cache/flotilla
- name: HOME
  value: /tmp
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Volumes every hub pod has: /tmp and the cache (the root filesystem is read-only).
*/}}
{{- define "flotilla-hub.volumes" -}}
- name: tmp
  emptyDir: {}
- name: cache
  emptyDir:
    {{- with .Values.cache.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with .Values.cache.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "flotilla-hub.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: cache
  mountPath: /var/cache/flotilla
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by the Deployments. Argument: dict "root" $ "c" (component values).
*/}}
{{- define "flotilla-hub.podScheduling" -}}
{{- with .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}
