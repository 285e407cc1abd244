{{/*
Name of the refresh CronJob: <fullname>-refresh, within the 52 characters a CronJob name may
have (the controller appends an 11-character suffix to name each Job).
*/}}
{{- define "sports-analytics.refreshName" -}}
{{- printf "%s-refresh" (include "sports-analytics.fullname" . | trunc 44 | trimSuffix "-") }}
{{- end }}

{{/*
Months of the season as a PromQL filter on month() (UTC), e.g. "month() == 10 or month() == 11".
*/}}
{{- define "sports-analytics.refreshSeasonMonths" -}}
{{- $parts := list }}
{{- range .Values.refresh.alerts.seasonMonths }}
{{- $parts = append $parts (printf "month() == %d" (int .)) }}
{{- end }}
{{- join " or " $parts }}
{{- end }}
