{{/* Names and labels shared by every object of the chart. */}}
{{- define "funnelstream.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "funnelstream.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "worker") */}}
{{- define "funnelstream.selector" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "funnelstream.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "funnelstream.secretName" -}}
{{ .Values.connection.existingSecret | default (printf "%s-connection" (include "funnelstream.fullname" .)) }}
{{- end -}}

{{/* Whether the connection Secret holds the optional keys. */}}
{{- define "funnelstream.hasRedisPassword" -}}
{{- if .Values.connection.existingSecret -}}
{{- if .Values.connection.existingSecretHas.redisPassword -}}true{{- end -}}
{{- else if .Values.connection.redisPassword -}}true{{- end -}}
{{- end -}}
{{- define "funnelstream.hasKafkaConfig" -}}
{{- if .Values.connection.existingSecret -}}
{{- if .Values.connection.existingSecretHas.kafkaClientConfig -}}true{{- end -}}
{{- else if .Values.connection.kafkaClientConfig -}}true{{- end -}}
{{- end -}}

{{/* Environment of every program: shared settings, addresses and
     credentials from the Secret. */}}
{{- define "funnelstream.env" -}}
- name: FUNNEL_KAFKA_BROKERS
  valueFrom:
    secretKeyRef:
      name: {{ include "funnelstream.secretName" . }}
      key: kafka-brokers
- name: FUNNEL_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "funnelstream.secretName" . }}
      key: redis-url
{{- if include "funnelstream.hasRedisPassword" . }}
- name: FUNNEL_REDIS_PASSWORD_FILE
  value: /etc/funnelstream/secret/redis-password
{{- end }}
- name: FUNNEL_TOPIC
  value: {{ .Values.config.topic | quote }}
- name: FUNNEL_DLQ_TOPIC
  value: {{ .Values.config.dlqTopic | quote }}
- name: FUNNEL_GROUP
  value: {{ .Values.config.group | quote }}
- name: FUNNEL_NAMESPACE
  value: {{ .Values.config.namespace | quote }}
- name: FUNNEL_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: FUNNEL_LOG_JSON
  value: {{ .Values.config.logJson | quote }}
{{- with .Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Flags that read the Kafka client file. */}}
{{- define "funnelstream.configArgs" -}}
{{- if include "funnelstream.hasKafkaConfig" . }}
- --config
- /etc/funnelstream/secret/kafka-client.conf
{{- end }}
{{- end -}}

{{- define "funnelstream.volumeMounts" -}}
- name: connection
  mountPath: /etc/funnelstream/secret
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "funnelstream.volumes" -}}
- name: connection
  secret:
    secretName: {{ include "funnelstream.secretName" . }}
    defaultMode: 0440
    # Only the files; the addresses are environment variables.  Optional:
    # the keys below are; the addresses' secretKeyRefs are not.
    items:
      - key: redis-password
        path: redis-password
      - key: kafka-client.conf
        path: kafka-client.conf
    optional: true
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- end -}}

{{- define "funnelstream.podAnnotations" -}}
{{- if .ctx.Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
checksum/connection: {{ include (print .ctx.Template.BasePath "/secret.yaml") .ctx | sha256sum }}
{{- end -}}

{{- define "funnelstream.probes" -}}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
{{- end -}}
