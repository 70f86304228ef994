// Runs a sweep's trials as fine-tune jobs, one after another, each a run in the
// history linked to its sweep; applies Hyperband early termination while
// trials run; and resumes a sweep from where it stopped (trial i of a random
// sweep is drawn with seed i, trial i of a grid is combination i, so the
// continuation is the one an uninterrupted sweep would have run).
import os from 'node:os'
import { lastMetricValue } from '../../db/metrics'
import { addTrial, createSweep, getSweep, listTrials, setSweepStatus, setTrialStatus } from '../../db/sweeps'
import { parseSweepConfig } from '../../engine/sweeps/config'
import { hyperbandBands, hyperbandStops } from '../../engine/sweeps/hyperband'
import { gridSize, gridTrial, randomTrial, trainerOptions } from '../../engine/sweeps/sample'
import { paretoFront, type Objective } from '../../engine/sweeps/pareto'
import { tpeTrial, type Observation } from '../../engine/sweeps/tpe'
import type { AppServices } from '../app-services'

export interface SweepEvents {
  trialStarted(index: number, runId: number, params: Record<string, unknown>): void
  trialFinished(index: number, runId: number, status: string, metric: number | null): void
}

export interface SweepResult {
  sweepId: number
  trials: { runId: number; status: string; metric: number | null; params: Record<string, unknown> }[]
  best: { runId: number; metric: number } | null
  pareto: number[] | null // run ids on the Pareto front, when extra objectives were given
}

export function startSweep(s: AppServices, configText: string, settings: Record<string, unknown>, name: string): number {
  const config = parseSweepConfig(configText)
  trainerOptions(config, config.method === 'grid' ? gridTrial(config, 0) : randomTrial(config, 1), settings) // fails now, not mid-sweep
  return createSweep(s.db, name, config.method, configText, settings)
}

// Completed trials and their (sign-adjusted) last metric value, for the Bayesian sampler.
function observations(s: AppServices, trials: { runId: number; params: Record<string, unknown>; status: string }[], key: string, sign: number): Observation[] {
  return trials.flatMap((t) => {
    const v = t.status === 'completed' ? lastMetric(s, t.runId, key) : null
    return v === null ? [] : [{ trial: t.params, loss: sign * v }]
  })
}

const lastMetric = (s: AppServices, runId: number, key: string) => lastMetricValue(s.db, runId, key)

export interface RunOptions {
  parallel?: number // trials at once (default 1); each gets cores / parallel kernel threads
  objectives?: Objective[] // extra objectives for the Pareto front (e.g. eval/latency_ms minimize)
}

export async function runSweep(s: AppServices, sweepId: number, count: number | null, events: SweepEvents, opts: RunOptions = {}): Promise<SweepResult> {
  const sweep = getSweep(s.db, sweepId)
  if (!sweep) throw new Error(`sweep ${sweepId} does not exist`)
  const config = parseSweepConfig(sweep.config)
  const metric = config.metric
  const cap = Math.min(config.runCap ?? Infinity, config.method === 'grid' ? gridSize(config) : Infinity)
  const bands = config.earlyTerminate ? hyperbandBands(config.earlyTerminate) : null
  const sign = metric?.goal === 'maximize' ? -1 : 1
  const parallel = Math.max(1, opts.parallel ?? 1)
  const threads = parallel > 1 ? Math.max(1, Math.floor(os.availableParallelism() / parallel)) : undefined
  let started = 0
  setSweepStatus(s.db, sweepId, 'running')

  // Starts the next trial, or returns null when the sweep has run what it should.
  const launch = (): Promise<void> | null => {
    const done = listTrials(s.db, sweepId)
    const index = done.length
    if (index >= cap || (count !== null && started >= count)) return null
    const trial =
      config.method === 'grid'
        ? gridTrial(config, index)
        : config.method === 'bayes'
          ? tpeTrial(config, observations(s, done, metric!.name, sign), index + 1)
          : randomTrial(config, index + 1)
    const params = { ...trainerOptions(config, trial, sweep.settings), ...(threads ? { threads } : {}) }
    const runId = s.jobs.start({ kind: 'finetune', params }, `${sweep.name} · trial ${index + 1}`, sweepId)
    addTrial(s.db, sweepId, runId, trial)
    started++
    events.trialStarted(index, runId, trial)
    return new Promise<string>((resolve) => {
      const off = s.bus.subscribe((e) => {
        if (e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running') {
          off()
          resolve(e.payload.status)
        }
        // Hyperband: after each new value of the sweep's metric, stop this trial if it falls below its bracket.
        if (bands && metric && e.name === 'job.metric' && e.payload.runId === runId && e.payload.key === metric.name) {
          const histories = listTrials(s.db, sweepId).map((t) => ({
            id: t.runId,
            running: t.runId === runId,
            history: (s.db.prepare('SELECT value FROM metrics WHERE run_id = ? AND key = ? AND value IS NOT NULL ORDER BY step').all(t.runId, metric.name) as { value: number }[]).map((r) => sign * r.value),
          }))
          if (hyperbandStops(bands, config.earlyTerminate!.eta, histories).includes(runId)) {
            setTrialStatus(s.db, runId, 'stopped')
            s.jobs.cancel(runId)
          }
        }
      })
    }).then((status) => {
      const trialStatus = listTrials(s.db, sweepId).find((t) => t.runId === runId)?.status === 'stopped' ? 'stopped' : status
      setTrialStatus(s.db, runId, trialStatus)
      events.trialFinished(index, runId, trialStatus, metric ? lastMetric(s, runId, metric.name) : null)
    })
  }

  const running = new Set<Promise<void>>()
  for (;;) {
    while (running.size < parallel) {
      const p = launch()
      if (!p) break
      running.add(p)
      void p.finally(() => running.delete(p))
    }
    if (!running.size) break
    await Promise.race(running)
  }
  const trials = listTrials(s.db, sweepId).map((t) => ({ ...t, metric: metric ? lastMetric(s, t.runId, metric.name) : null }))
  const scored = trials.filter((t) => t.metric !== null && t.status === 'completed') as (typeof trials[number] & { metric: number })[]
  const best = scored.length ? scored.reduce((a, b) => (sign * b.metric < sign * a.metric ? b : a)) : null
  const objectives = [...(metric ? [metric] : []), ...(opts.objectives ?? [])]
  const pareto =
    opts.objectives?.length
      ? paretoFront(
          trials.filter((t) => t.status === 'completed').map((t) => ({ runId: t.runId, values: Object.fromEntries(objectives.map((o) => [o.name, lastMetric(s, t.runId, o.name)])) })),
          objectives,
        ).map((t) => t.runId)
      : null
  setSweepStatus(s.db, sweepId, trials.length >= cap ? 'finished' : 'paused')
  return { sweepId, trials, best: best ? { runId: best.runId, metric: best.metric } : null, pareto }
}
