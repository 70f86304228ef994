// `npx tsx scripts/bench-runs.ts`: the run history at scale. Fills a fresh
// database with 5,000 runs (30 params each) and 1,000,000 metric points, then
// times the Runs page's queries: the list, a filter, a search, extra columns,
// a comparison and a long curve (thinned in SQL). Prints each in ms.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openDatabase } from '../src-main/db/database'
import { metricSeries } from '../src-main/db/metrics'
import { compareRuns } from '../src-main/db/run-compare'
import { listRuns } from '../src-main/db/runs'

const RUNS = 5000
const POINTS = 1_000_000
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-bench-runs-'))
const db = openDatabase(path.join(dir, 'workbench.db'))

const t0 = Date.now()
const insertRun = db.prepare(`INSERT INTO runs (kind, name, status, config_json, summary_json, created_at) VALUES ('finetune', ?, ?, '{}', ?, ?)`)
const insertParam = db.prepare('INSERT INTO params (run_id, key, value_json) VALUES (?, ?, ?)')
const insertMetric = db.prepare('INSERT INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)')
const perRun = POINTS / RUNS // 200: 100 steps of train/loss and eval/accuracy
db.transaction(() => {
  for (let i = 1; i <= RUNS; i++) {
    const acc = 0.6 + 0.3 * ((i * 7919) % 1000) / 1000
    const id = Number(insertRun.run(`run ${i} mrpc lora`, i % 17 ? 'completed' : 'failed', JSON.stringify({ metrics: { accuracy: acc } }), new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString()).lastInsertRowid)
    const params: Record<string, unknown> = { task: 'mrpc', loraR: [4, 8, 16, 32][i % 4], lr: [1e-4, 3.9e-4, 1e-3][i % 3], seed: i % 5, optimizer: ['adamw', 'sgd'][i % 2] }
    for (let k = 0; k < 25; k++) params[`p${k}`] = k
    for (const [k, v] of Object.entries(params)) insertParam.run(id, k, JSON.stringify(v))
    for (let s = 1; s <= perRun / 2; s++) {
      insertMetric.run(id, 'train/loss', s, 1 / s, s)
      insertMetric.run(id, 'eval/accuracy', s, acc * (1 - 1 / (s + 1)), s)
    }
  }
})()
console.log(`filled ${RUNS} runs, ${POINTS.toLocaleString('en-US')} metric points in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

const time = (label: string, fn: () => unknown) => {
  fn() // warm
  const n = 5
  const start = process.hrtime.bigint()
  let out: unknown
  for (let i = 0; i < n; i++) out = fn()
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / n
  const rows = Array.isArray(out) ? ` (${out.length} rows)` : ''
  console.log(`${label.padEnd(64)} ${ms.toFixed(1).padStart(7)} ms${rows}${ms < 300 ? '' : '  OVER 300 ms'}`)
}
time('list all (the Runs page opens)', () => listRuns(db, { limit: 10_000 }))
time('filter metrics.eval/accuracy > 0.8 and params.loraR = 16', () => listRuns(db, { limit: 10_000, filter: 'metrics.eval/accuracy > 0.8 and params.loraR = 16' }))
time('filter (status = failed or params.optimizer = sgd) and name ~ mrpc', () => listRuns(db, { limit: 10_000, filter: '(status = failed or params.optimizer = sgd) and name ~ mrpc' }))
time('search "run 42"', () => listRuns(db, { limit: 10_000, search: 'run 42' }))
time('list all with columns params.loraR, params.lr, metrics.eval/accuracy', () => listRuns(db, { limit: 10_000, columns: ['params.loraR', 'params.lr', 'metrics.eval/accuracy'] }))
time('compare 10 runs', () => compareRuns(db, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false))
time('one run\'s curves, thinned to 2,000 points per key', () => metricSeries(db, 4321, undefined, 2000))
db.close()
fs.rmSync(dir, { recursive: true, force: true })
