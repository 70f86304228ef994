// Comparing runs: the parameters that differ (all of them on request) and, per
// metric, each run's last and best value (lowest for losses, highest otherwise).
// Deleting and archiving runs.
import type { RunComparison } from '../contract/types'
import type { Db } from './database'
import { lastMetricValue } from './metrics'
import { getRun } from './runs'

const lowerIsBetter = (key: string) => /loss|error|perplexity|time|latency/i.test(key)

export function compareRuns(db: Db, ids: number[], all: boolean): RunComparison {
  const runs = ids.map((id) => {
    const r = getRun(db, id)
    if (!r) throw new Error(`Run ${id} does not exist`)
    return r
  })
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort()
  const params = keys
    .map((key) => {
      const values = runs.map((r) => (key in r.params ? r.params[key] : null))
      const differs = new Set(values.map((v) => JSON.stringify(v))).size > 1
      return { key, values, differs }
    })
    .filter((p) => all || p.differs)
  const metricKeys = [...new Set(runs.flatMap((r) => r.metricKeys))].sort()
  const bestStmt = (low: boolean) => db.prepare(`SELECT ${low ? 'MIN' : 'MAX'}(value) AS v FROM metrics WHERE run_id = ? AND key = ?`)
  const metrics = metricKeys.map((key) => {
    const best = bestStmt(lowerIsBetter(key))
    return {
      key,
      lowerIsBetter: lowerIsBetter(key),
      last: runs.map((r) => lastMetricValue(db, r.id, key)),
      best: runs.map((r) => (best.get(r.id, key) as { v: number | null }).v),
    }
  })
  return {
    runs: runs.map((r) => ({ id: r.id, name: r.name, kind: r.kind, status: r.status })),
    params,
    hiddenSameParams: keys.length - params.filter((p) => p.differs).length,
    metrics,
  }
}

export function deleteRuns(db: Db, ids: number[]): void {
  db.transaction(() => {
    for (const id of ids) db.prepare('DELETE FROM runs WHERE id = ?').run(id) // params, metrics, artifacts, tags cascade
  })()
}

export function archiveRuns(db: Db, ids: number[], archived: boolean): void {
  const stmt = db.prepare('UPDATE runs SET archived = ? WHERE id = ?')
  db.transaction(() => ids.forEach((id) => stmt.run(archived ? 1 : 0, id)))()
}
