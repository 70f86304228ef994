// Metric series: (run, key, step, value, wall time).
import type { MetricSeries } from '../contract/types'
import type { Db } from './database'

export interface MetricRecord {
  runId: number
  key: string
  step: number
  value: number
  wallTime: number
}

export function insertMetric(db: Db, m: MetricRecord): void {
  // SQLite cannot store NaN/inf; they are kept as NULL so the point is not lost.
  const value = Number.isFinite(m.value) ? m.value : null
  db.prepare('INSERT INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)').run(
    m.runId,
    m.key,
    m.step,
    value,
    m.wallTime,
  )
}

export function metricSeries(db: Db, runId: number, keys: string[] | undefined, maxPoints: number): MetricSeries[] {
  const allKeys =
    keys ??
    (db.prepare('SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key').all(runId) as { key: string }[]).map(
      (r) => r.key,
    )
  const countStmt = db.prepare('SELECT COUNT(*) AS n FROM metrics WHERE run_id = ? AND key = ?')
  // Long curves are thinned in SQL: every k-th point by row order, plus the last one.
  const pointsStmt = db.prepare(
    `SELECT step, value, wall_time AS wallTime FROM (
       SELECT step, value, wall_time, ROW_NUMBER() OVER (ORDER BY step, rowid) - 1 AS i
       FROM metrics WHERE run_id = ? AND key = ?)
     WHERE i % ? = 0 OR i = ? - 1 ORDER BY step`,
  )
  return allKeys.map((key) => {
    const { n } = countStmt.get(runId, key) as { n: number }
    const stride = Math.max(1, Math.ceil(n / maxPoints))
    const points = pointsStmt.all(runId, key, stride, n) as MetricSeries['points']
    return { key, points }
  })
}

// A run's last logged value of a metric (null when never logged or not finite).
export function lastMetricValue(db: Db, runId: number, key: string): number | null {
  const row = db.prepare('SELECT value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step DESC LIMIT 1').get(runId, key) as { value: number | null } | undefined
  return row?.value ?? null
}
