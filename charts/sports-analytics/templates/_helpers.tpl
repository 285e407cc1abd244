{{/*
Names, labels and shared pieces. Names are truncated to 63 characters (DNS label limit).
*/}}

{{- define "sports-analytics.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name when it already contains the chart name.
*/}}
{{- define "sports-analytics.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sports-analytics.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: name and instance only (selectors are immutable after the first install).
*/}}
{{- define "sports-analytics.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sports-analytics.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels that don't select anything: shared by every object.
*/}}
{{- define "sports-analytics.baseLabels" -}}
helm.sh/chart: {{ include "sports-analytics.chart" . }}
app.kubernetes.io/version: {{ include "sports-analytics.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sports-analytics
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Standard labels for object metadata.
*/}}
{{- define "sports-analytics.labels" -}}
{{ include "sports-analytics.selectorLabels" . }}
{{ include "sports-analytics.baseLabels" . }}
{{- end }}

{{/*
Labels for pods that must never match the API selectors (migration Job, helm test pod): they
carry the instance and a component, but not app.kubernetes.io/name, so the Service, PDB, HPA
and the API NetworkPolicy never count or route to them.
*/}}
{{- define "sports-analytics.auxPodLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "sports-analytics.baseLabels" . }}
{{- end }}

{{- define "sports-analytics.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sports-analytics.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image tag (the chart's appVersion unless set). "latest" is refused.
*/}}
{{- define "sports-analytics.imageTag" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag | toString }}
{{- if eq $tag "latest" }}
{{- fail "image.tag: \"latest\" is not allowed; pin a version tag or set image.digest" }}
{{- end }}
{{- $tag }}
{{- end }}

{{/*
Full image reference: repository@digest when a digest is set, else repository:tag.
*/}}
{{- define "sports-analytics.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "sports-analytics.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
Migration Job name: <fullname>-migrate-<first 8 hex of sha256("<image ref>|<chart version>")>.
A new image or chart version gives a new, immutable Job; the same release re-applies the same one.
scripts/render_k8s_base.py computes the same name for the kustomize overlays.
*/}}
{{- define "sports-analytics.migrationJobName" -}}
{{- $hash := printf "%s|%s" (include "sports-analytics.image" .) .Chart.Version | sha256sum | trunc 8 }}
{{- printf "%s-migrate-%s" (include "sports-analytics.fullname" . | trunc 46 | trimSuffix "-") $hash }}
{{- end }}

{{/*
Secret mode. Exactly one source must be active; anything else fails with a message that says
how to fix it.
*/}}
{{- define "sports-analytics.secretMode" -}}
{{- $modes := list }}
{{- if .Values.secrets.existingSecret }}{{ $modes = append $modes (printf "secrets.existingSecret=%q" .Values.secrets.existingSecret) }}{{ end }}
{{- if .Values.externalSecret.enabled }}{{ $modes = append $modes "externalSecret.enabled=true" }}{{ end }}
{{- if .Values.secretProviderClass.enabled }}{{ $modes = append $modes "secretProviderClass.enabled=true" }}{{ end }}
{{- if .Values.secrets.create }}{{ $modes = append $modes "secrets.create=true" }}{{ end }}
{{- if gt (len $modes) 1 }}
{{- fail (printf "secrets: exactly one secret source may be active, found %d: %s. Keep one and switch the others off (secrets.existingSecret=\"\" disables mode 1)." (len $modes) (join ", " $modes)) }}
{{- else if eq (len $modes) 0 }}
{{- fail "secrets: no secret source is active. Set one of secrets.existingSecret, externalSecret.enabled, secretProviderClass.enabled or (development only) secrets.create." }}
{{- end }}
{{- if .Values.secrets.existingSecret }}existing
{{- else if .Values.externalSecret.enabled }}external
{{- else if .Values.secretProviderClass.enabled }}csi
{{- else }}create
{{- end }}
{{- end }}

{{/*
Name of the Kubernetes Secret mounted into the pods (not used in csi mode).
*/}}
{{- define "sports-analytics.secretName" -}}
{{- $mode := include "sports-analytics.secretMode" . }}
{{- if eq $mode "existing" }}
{{- .Values.secrets.existingSecret }}
{{- else if eq $mode "external" }}
{{- default (include "sports-analytics.fullname" .) .Values.externalSecret.targetName }}
{{- else }}
{{- include "sports-analytics.fullname" . }}
{{- end }}
{{- end }}

{{/*
Cross-field checks that the JSON schema can't express. Included by every workload template.
*/}}
{{- define "sports-analytics.validate" -}}
{{- $mode := include "sports-analytics.secretMode" . }}
{{- if and .Values.migrations.useHelmHooks (ne $mode "existing") }}
{{- fail "migrations.useHelmHooks=true requires secrets.existingSecret: a pre-install hook runs before the chart creates its Secret, ExternalSecret or SecretProviderClass, so the migration would find no credentials. Use the default Job (useHelmHooks=false) or an existing Secret." }}
{{- end }}
{{- if and .Values.migrations.useHelmHooks (not .Values.migrations.enabled) }}
{{- fail "migrations.useHelmHooks=true has no effect with migrations.enabled=false; enable migrations or drop useHelmHooks." }}
{{- end }}
{{- if eq $mode "create" }}
{{- if and (eq .Values.secrets.databaseCredential "password") (not .Values.secrets.values.postgresPassword) }}
{{- fail "secrets.create=true needs secrets.values.postgresPassword (or databaseCredential=url with secrets.values.databaseUrl)." }}
{{- end }}
{{- if and (eq .Values.secrets.databaseCredential "url") (not .Values.secrets.values.databaseUrl) }}
{{- fail "secrets.create=true with databaseCredential=url needs secrets.values.databaseUrl." }}
{{- end }}
{{- if and .Values.gemini.enabled (not .Values.secrets.values.geminiApiKey) }}
{{- fail "secrets.create=true with gemini.enabled=true needs secrets.values.geminiApiKey." }}
{{- end }}
{{- end }}
{{- if eq $mode "external" }}
{{- if not .Values.externalSecret.secretStoreRef.name }}
{{- fail "externalSecret.enabled=true needs externalSecret.secretStoreRef.name (a SecretStore or ClusterSecretStore)." }}
{{- end }}
{{- if and (eq .Values.secrets.databaseCredential "password") (not .Values.externalSecret.remoteRefs.postgresPassword.key) }}
{{- fail "externalSecret.enabled=true needs externalSecret.remoteRefs.postgresPassword.key (or databaseCredential=url with remoteRefs.databaseUrl.key)." }}
{{- end }}
{{- if and (eq .Values.secrets.databaseCredential "url") (not .Values.externalSecret.remoteRefs.databaseUrl.key) }}
{{- fail "externalSecret.enabled=true with databaseCredential=url needs externalSecret.remoteRefs.databaseUrl.key." }}
{{- end }}
{{- if and .Values.gemini.enabled (not .Values.externalSecret.remoteRefs.geminiApiKey.key) }}
{{- fail "externalSecret.enabled=true with gemini.enabled=true needs externalSecret.remoteRefs.geminiApiKey.key." }}
{{- end }}
{{- end }}
{{- if and (eq .Values.shutdown.preStopMode "sleep") (semverCompare "<1.30.0-0" .Capabilities.KubeVersion.Version) }}
{{- fail (printf "shutdown.preStopMode=sleep needs Kubernetes 1.30 or newer (this cluster is %s); use preStopMode=exec." .Capabilities.KubeVersion.Version) }}
{{- end }}
{{- if and .Values.httpRoute.enabled (not .Values.httpRoute.parentRefs) }}
{{- fail "httpRoute.enabled=true needs httpRoute.parentRefs (the Gateway to attach to)." }}
{{- end }}
{{- include "sports-analytics.validateTlsOtel" . }}
{{- end }}

{{/*
terminationGracePeriodSeconds = preStop sleep + gunicorn graceful timeout + margin.
*/}}
{{- define "sports-analytics.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.config.gracefulTimeoutSeconds .Values.shutdown.marginSeconds }}
{{- end }}

{{/*
Non-secret settings (the ConfigMap data), as YAML. Values are strings.
*/}}
{{- define "sports-analytics.configData" -}}
APP_ENV: {{ .Values.config.appEnv | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
PORT: {{ .Values.containerPort | quote }}
WEB_CONCURRENCY: {{ .Values.config.webConcurrency | quote }}
GRACEFUL_TIMEOUT: {{ .Values.config.gracefulTimeoutSeconds | quote }}
WORKER_TIMEOUT: {{ .Values.config.workerTimeoutSeconds | quote }}
MAX_PAGE_SIZE: {{ .Values.config.maxPageSize | quote }}
MAX_BODY_BYTES: {{ .Values.config.maxBodyBytes | int64 | quote }}
DB_WAIT_SECONDS: {{ .Values.config.dbWaitSeconds | quote }}
POSTGRES_HOST: {{ .Values.database.host | quote }}
POSTGRES_PORT: {{ .Values.database.port | quote }}
POSTGRES_DB: {{ .Values.database.name | quote }}
POSTGRES_USER: {{ .Values.database.user | quote }}
PGSSLMODE: {{ .Values.database.sslMode | quote }}
DB_POOL_SIZE: {{ .Values.database.poolSize | quote }}
DB_MAX_OVERFLOW: {{ .Values.database.maxOverflow | quote }}
DB_POOL_TIMEOUT_SECONDS: {{ .Values.database.poolTimeoutSeconds | quote }}
DB_CONNECT_TIMEOUT_SECONDS: {{ .Values.database.connectTimeoutSeconds | quote }}
DB_STATEMENT_TIMEOUT_MS: {{ .Values.database.statementTimeoutMs | quote }}
JOB_STATEMENT_TIMEOUT_MS: {{ .Values.database.jobStatementTimeoutMs | int64 | quote }}
{{- if and .Values.database.readHost (not .Values.database.readUrl) }}
POSTGRES_READ_HOST: {{ .Values.database.readHost | quote }}
{{- end }}
GEMINI_MODEL: {{ .Values.gemini.model | quote }}
{{- with .Values.gemini.baseUrl }}
GEMINI_BASE_URL: {{ . | quote }}
{{- end }}
GEMINI_TIMEOUT_SECONDS: {{ .Values.gemini.timeoutSeconds | quote }}
GEMINI_MAX_RETRIES: {{ .Values.gemini.maxRetries | quote }}
GEMINI_BREAKER_FAILURES: {{ .Values.gemini.breakerFailures | quote }}
GEMINI_BREAKER_COOLDOWN_SECONDS: {{ .Values.gemini.breakerCooldownSeconds | quote }}
{{- range $k, $v := .Values.config.extra }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/*
Environment variables that point the app at its secret files (paths, not secrets).
*/}}
{{- define "sports-analytics.secretFileEnv" -}}
{{- $dir := .Values.secrets.mountPath | trimSuffix "/" }}
{{- if eq .Values.secrets.databaseCredential "url" }}
- name: DATABASE_URL_FILE
  value: {{ printf "%s/%s" $dir .Values.secrets.keys.databaseUrl | quote }}
{{- else }}
- name: POSTGRES_PASSWORD_FILE
  value: {{ printf "%s/%s" $dir .Values.secrets.keys.postgresPassword | quote }}
{{- end }}
{{- if .Values.database.readUrl }}
- name: DATABASE_READ_URL_FILE
  value: {{ printf "%s/%s" $dir .Values.secrets.keys.databaseReadUrl | quote }}
{{- end }}
{{- if .Values.gemini.enabled }}
- name: GEMINI_API_KEY_FILE
  value: {{ printf "%s/%s" $dir .Values.secrets.keys.geminiApiKey | quote }}
{{- end }}
{{- end }}

{{/*
The secret volume: a Secret (existing, ESO-made or chart-made) or the secrets-store CSI driver.
*/}}
{{- define "sports-analytics.secretVolume" -}}
- name: secrets
{{- if eq (include "sports-analytics.secretMode" .) "csi" }}
  csi:
    driver: secrets-store.csi.k8s.io
    readOnly: true
    volumeAttributes:
      secretProviderClass: {{ include "sports-analytics.fullname" . }}
{{- else }}
  secret:
    secretName: {{ include "sports-analytics.secretName" . }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{/*
checksum/secret: the chart-made Secret's content, or the secret source's description
(an external rotation doesn't change it: restart the pods, or use a reloader).
*/}}
{{- define "sports-analytics.secretChecksum" -}}
{{- $mode := include "sports-analytics.secretMode" . }}
{{- if eq $mode "create" }}
{{- toJson .Values.secrets.values | sha256sum }}
{{- else }}
{{- toJson (dict "mode" $mode "secrets" (omit .Values.secrets "values") "external" .Values.externalSecret "csi" .Values.secretProviderClass) | sha256sum }}
{{- end }}
{{- end }}

{{/*
The container securityContext.
*/}}
{{- define "sports-analytics.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/*
Egress shared by the API, migration and refresh NetworkPolicies: DNS, PostgreSQL, the
OpenTelemetry Collector (only with otel.enabled), extra rules.
*/}}
{{- define "sports-analytics.commonEgress" -}}
{{- $np := .Values.networkPolicy }}
# DNS
- to:
    - namespaceSelector:
        {{- toYaml $np.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml $np.dns.podSelector | nindent 8 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
# PostgreSQL
- ports:
    - port: {{ .Values.database.port }}
      protocol: TCP
  {{- if or $np.database.cidrs $np.database.namespaceSelector $np.database.podSelector }}
  to:
    {{- range $np.database.cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
    {{- if or $np.database.namespaceSelector $np.database.podSelector }}
    - {{- with $np.database.namespaceSelector }}
      namespaceSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $np.database.podSelector }}
      podSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
  {{- end }}
{{- if .Values.otel.enabled }}
{{- $c := $np.otelCollector }}
# OpenTelemetry Collector (OTLP/HTTP)
- ports:
    - port: {{ $c.port }}
      protocol: TCP
  {{- if or $c.cidrs $c.namespaceSelector $c.podSelector }}
  to:
    {{- range $c.cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
    {{- if or $c.namespaceSelector $c.podSelector }}
    - {{- with $c.namespaceSelector }}
      namespaceSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.podSelector }}
      podSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
  {{- end }}
{{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Database CA bundle (database.tls): one volume, one read-only mount and PGSSLROOTCERT, for every
pod that talks to the database. Each renders nothing when no CA source is set, so a template
includes all three unconditionally:
  env:          {{ include "sports-analytics.dbCaEnv" . | nindent 12 }}
  volumeMounts: {{ include "sports-analytics.dbCaVolumeMount" . | nindent 12 }}
  volumes:      {{ include "sports-analytics.dbCaVolume" . | nindent 8 }}
*/}}
{{- define "sports-analytics.dbCaKey" -}}
{{- $tls := .Values.database.tls }}
{{- if $tls.caSecret.name }}{{ $tls.caSecret.key }}{{ else if $tls.caConfigMap.name }}{{ $tls.caConfigMap.key }}{{ end }}
{{- end }}

{{- define "sports-analytics.dbCaEnv" -}}
{{- with include "sports-analytics.dbCaKey" . }}
- name: PGSSLROOTCERT
  value: {{ printf "%s/%s" ($.Values.database.tls.mountPath | trimSuffix "/") . | quote }}
{{- end }}
{{- end }}

{{- define "sports-analytics.dbCaVolumeMount" -}}
{{- if include "sports-analytics.dbCaKey" . }}
- name: db-ca
  mountPath: {{ .Values.database.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "sports-analytics.dbCaVolume" -}}
{{- $tls := .Values.database.tls }}
{{- if $tls.caSecret.name }}
- name: db-ca
  secret:
    secretName: {{ $tls.caSecret.name }}
    defaultMode: 0444
    items:
      - key: {{ $tls.caSecret.key }}
        path: {{ $tls.caSecret.key }}
{{- else if $tls.caConfigMap.name }}
- name: db-ca
  configMap:
    name: {{ $tls.caConfigMap.name }}
    defaultMode: 0444
    items:
      - key: {{ $tls.caConfigMap.key }}
        path: {{ $tls.caConfigMap.key }}
{{- end }}
{{- end }}

{{/*
OpenTelemetry (otel.*): the standard OTEL_* variables for the API, migration and refresh
containers. Renders nothing when otel.enabled is false (the SDK then starts no exporter).
*/}}
{{- define "sports-analytics.otelEnv" -}}
{{- $o := .Values.otel }}
{{- if $o.enabled }}
{{- if $o.existingConfigMap.name }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  valueFrom:
    configMapKeyRef:
      name: {{ $o.existingConfigMap.name }}
      key: {{ $o.existingConfigMap.key }}
{{- else }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $o.endpoint | quote }}
{{- end }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: http/protobuf
- name: OTEL_SERVICE_NAME
  value: {{ default (include "sports-analytics.name" .) $o.serviceName | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $o.sampler | quote }}
{{- if ne (toString $o.samplerArg) "" }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $o.samplerArg | toString | quote }}
{{- end }}
- name: OTEL_K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- $attrs := list (printf "service.version=%s" (include "sports-analytics.imageTag" .)) (printf "k8s.namespace.name=%s" .Release.Namespace) "k8s.pod.name=$(OTEL_K8S_POD_NAME)" }}
{{- range $k, $v := $o.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k $v) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- end }}
{{- end }}

{{/*
Checks for database.tls and otel (included by sports-analytics.validate).
*/}}
{{- define "sports-analytics.validateTlsOtel" -}}
{{- $tls := .Values.database.tls }}
{{- if and $tls.caSecret.name $tls.caConfigMap.name }}
{{- fail "database.tls: set either caSecret.name or caConfigMap.name, not both." }}
{{- end }}
{{- $userRoot := hasKey .Values.config.extra "PGSSLROOTCERT" }}
{{- range .Values.extraEnv }}{{ if eq (toString .name) "PGSSLROOTCERT" }}{{ $userRoot = true }}{{ end }}{{ end }}
{{- if and (has .Values.database.sslMode (list "verify-ca" "verify-full")) (not (include "sports-analytics.dbCaKey" .)) (not $userRoot) }}
{{- fail (printf "database.sslMode=%s needs the CA bundle that signed the server's certificate: set database.tls.caSecret.name or database.tls.caConfigMap.name (libpq refuses to verify without one)." .Values.database.sslMode) }}
{{- end }}
{{- if and .Values.otel.enabled (not .Values.otel.endpoint) (not .Values.otel.existingConfigMap.name) }}
{{- fail "otel.enabled=true needs otel.endpoint (e.g. http://otel-collector.observability.svc:4318) or otel.existingConfigMap.name." }}
{{- end }}
{{- end }}
