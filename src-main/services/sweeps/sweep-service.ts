// The Sweeps page's backend: validate a config as the user types, start a
// sweep (its trials run as jobs while the host serves), list sweeps, and one
// sweep's trials with the best run, parameter importance and Pareto front.
import type { Db } from '../../db/database'
import { lastMetricValue } from '../../db/metrics'
import { listTrials } from '../../db/sweeps'
import { validateSweep } from '../../engine/sweeps/validate'
import type { SweepDetail, SweepValidation } from '../../contract/types'
import { spearman } from '../../engine/train/metrics'
import type { AppServices } from '../app-services'
import { runSweep, startSweep } from './sweep-runner'
import { parseSweepConfig } from '../../engine/sweeps/config'
import { paretoFront, type Objective } from '../../engine/sweeps/pareto'

export function validateSweepText(text: string): SweepValidation {
  try {
    const plan = validateSweep(text)
    return {
      ok: true,
      error: null,
      method: plan.config.method,
      parameters: Object.entries(plan.config.parameters).map(([name, p]) => ({ name, option: p.option, distribution: p.distribution })),
      trials: plan.trials,
      metric: plan.config.metric,
      bands: plan.bands,
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message, method: null, parameters: [], trials: null, metric: null, bands: null }
  }
}

export function launchSweep(s: AppServices, text: string, settings: Record<string, unknown>, name: string, count: number | null, parallel: number): number {
  const sweepId = startSweep(s, text, settings, name)
  continueSweep(s, sweepId, count, parallel)
  return sweepId
}

// Runs (more of) a sweep in the background of the host; a restarted app calls it to resume.
export function continueSweep(s: AppServices, sweepId: number, count: number | null, parallel: number): void {
  void runSweep(s, sweepId, count, { trialStarted: () => {}, trialFinished: () => {} }, { parallel }).catch((err: Error) => console.error(`sweep ${sweepId}: ${err.message}`))
}

// How much each parameter moves the metric: |Spearman| for numbers, the correlation ratio (η) for categories.
export function importance(trials: { params: Record<string, unknown>; metric: number | null }[], names: string[]): { name: string; score: number }[] {
  const done = trials.filter((t) => t.metric !== null) as { params: Record<string, unknown>; metric: number }[]
  if (done.length < 3) return []
  const y = done.map((t) => t.metric)
  const mean = y.reduce((a, b) => a + b, 0) / y.length
  const total = y.reduce((a, b) => a + (b - mean) ** 2, 0)
  return names
    .map((name) => {
      const xs = done.map((t) => t.params[name])
      if (xs.every((x) => typeof x === 'number')) return { name, score: Math.abs(spearman(xs as number[], y)) || 0 }
      const groups = new Map<string, number[]>()
      xs.forEach((x, i) => groups.set(JSON.stringify(x), [...(groups.get(JSON.stringify(x)) ?? []), y[i]]))
      const between = [...groups.values()].reduce((a, g) => a + g.length * (g.reduce((p, q) => p + q, 0) / g.length - mean) ** 2, 0)
      return { name, score: total ? Math.sqrt(between / total) : 0 }
    })
    .sort((a, b) => b.score - a.score)
}

export function sweepDetail(db: Db, id: number, extra: Objective[] = []): SweepDetail | null {
  const row = db.prepare('SELECT id, name, method, status, config_json, created_at FROM sweeps WHERE id = ?').get(id) as
    | { id: number; name: string; method: string; status: string; config_json: string; created_at: string }
    | undefined
  if (!row) return null
  const { text, settings } = JSON.parse(row.config_json) as { text: string; settings: Record<string, unknown> }
  const config = parseSweepConfig(text)
  const metric = config.metric
  const last = (runId: number, key: string) => lastMetricValue(db, runId, key)
  const trials = listTrials(db, id).map((t) => {
    const run = db.prepare('SELECT status FROM runs WHERE id = ?').get(t.runId) as { status: string } | undefined
    return { runId: t.runId, params: t.params, status: t.status === 'stopped' ? 'stopped' : (run?.status ?? 'deleted'), metric: metric ? last(t.runId, metric.name) : null }
  })
  const sign = metric?.goal === 'maximize' ? -1 : 1
  const scored = trials.filter((t) => t.status === 'completed' && t.metric !== null)
  const best = scored.length ? scored.reduce((a, b) => (sign * b.metric! < sign * a.metric! ? b : a)) : null
  return {
    id: row.id,
    name: row.name,
    method: row.method,
    status: row.status,
    createdAt: row.created_at,
    text,
    settings,
    metric,
    parameters: Object.keys(config.parameters),
    options: Object.fromEntries(Object.entries(config.parameters).map(([k, p]) => [k, p.option])),
    trials,
    best: best ? { runId: best.runId, metric: best.metric!, params: best.params } : null,
    importance: importance(trials.filter((t) => t.status === 'completed'), Object.keys(config.parameters)),
    pareto: extra.length
      ? paretoFront(
          trials.filter((t) => t.status === 'completed').map((t) => ({ runId: t.runId, values: Object.fromEntries([...(metric ? [metric] : []), ...extra].map((o) => [o.name, last(t.runId, o.name)])) })),
          [...(metric ? [metric] : []), ...extra],
        ).map((t) => t.runId)
      : null,
  }
}

export function listSweeps(db: Db): { id: number; name: string; method: string; status: string; trials: number; createdAt: string }[] {
  return (
    db.prepare('SELECT s.id, s.name, s.method, s.status, s.created_at, (SELECT COUNT(*) FROM trials t WHERE t.sweep_id = s.id) AS n FROM sweeps s ORDER BY s.id DESC').all() as {
      id: number
      name: string
      method: string
      status: string
      created_at: string
      n: number
    }[]
  ).map((r) => ({ id: r.id, name: r.name, method: r.method, status: r.status, trials: r.n, createdAt: r.created_at }))
}

export function sweepOfRun(db: Db, runId: number): number | null {
  return (db.prepare('SELECT sweep_id FROM runs WHERE id = ?').get(runId) as { sweep_id: number | null } | undefined)?.sweep_id ?? null
}
