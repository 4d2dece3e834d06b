{{/*
A hub Deployment: one image, roles by FLOTILLA_ROLES.
Argument: dict "root" $ "component" NAME "c" (component values) "roles" (list of roles).
*/}}
{{- define "flotilla-hub.deployment" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $c := .c }}
{{- $selector := dict "root" $root "component" .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "flotilla-hub.componentName" $selector }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "flotilla-hub.componentLabels" $selector | nindent 4 }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "flotilla-hub.componentSelectorLabels" $selector | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      annotations:
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "flotilla-hub.componentLabels" $selector | nindent 8 }}
        {{- with $c.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "flotilla-hub.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.serviceAccount.automountServiceAccountToken }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      {{- with include "flotilla-hub.podScheduling" (dict "c" $c) | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      containers:
        - name: hub
          image: {{ include "flotilla-hub.image" $root | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          args: ["dist/apps/hub/src/main.js"]
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          env:
            {{- include "flotilla-hub.env" (dict "root" $root "roles" .roles "extra" $c.extraEnv) | trim | nindent 12 }}
          {{- with $v.extraEnvFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: http}
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            {{- toYaml $v.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "flotilla-hub.volumeMounts" $root | nindent 12 }}
      volumes:
        {{- include "flotilla-hub.volumes" $root | nindent 8 }}
{{- end }}
