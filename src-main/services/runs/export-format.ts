// Runs as CSV (one row per run: params and each metric's last value) and JSON;
// pure functions shared by `tbw runs export` and the Runs page's export buttons.
import type { MetricSeries, RunDetail } from '../../contract/types'

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function runsToCsv(runs: RunDetail[], series: MetricSeries[][]): string {
  const last = series.map((list) => Object.fromEntries(list.map((m) => [m.key, m.points.at(-1)?.value ?? null])))
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort()
  const metricKeys = [...new Set(last.flatMap((m) => Object.keys(m)))].sort()
  const header = ['id', 'kind', 'name', 'status', 'created', ...paramKeys.map((k) => `params.${k}`), ...metricKeys.map((k) => `metrics.${k}`)]
  const rows = runs.map((r, i) => [r.id, r.kind, r.name, r.status, r.createdAt, ...paramKeys.map((k) => r.params[k]), ...metricKeys.map((k) => last[i][k])])
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n'
}

export function runsToJson(runs: RunDetail[], series: MetricSeries[][]): string {
  return JSON.stringify(runs.map((r, i) => ({ ...r, metrics: series[i] })), null, 2)
}
