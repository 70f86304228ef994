// Sweeps and their trials. A trial row links a sweep to the fine-tune run that
// tried its parameters; the sweep's config is stored so it can resume.
import type { Db } from './database'

export interface SweepRow {
  id: number
  name: string
  method: string
  config: string // the YAML/JSON text as given
  settings: Record<string, unknown> // model, task, data and other fixed options
  status: string
}

const now = () => new Date().toISOString()

export function createSweep(db: Db, name: string, method: string, configText: string, settings: Record<string, unknown>): number {
  return Number(
    db
      .prepare(`INSERT INTO sweeps (name, method, config_json, status, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?)`)
      .run(name, method, JSON.stringify({ text: configText, settings }), now(), now()).lastInsertRowid,
  )
}

export function getSweep(db: Db, id: number): SweepRow | null {
  const row = db.prepare('SELECT id, name, method, config_json, status FROM sweeps WHERE id = ?').get(id) as
    | { id: number; name: string; method: string; config_json: string; status: string }
    | undefined
  if (!row) return null
  const { text, settings } = JSON.parse(row.config_json) as { text: string; settings: Record<string, unknown> }
  return { id: row.id, name: row.name, method: row.method, config: text, settings, status: row.status }
}

export function setSweepStatus(db: Db, id: number, status: string): void {
  db.prepare('UPDATE sweeps SET status = ?, updated_at = ? WHERE id = ?').run(status, now(), id)
}

export function addTrial(db: Db, sweepId: number, runId: number, params: Record<string, unknown>): void {
  db.prepare(`INSERT INTO trials (sweep_id, run_id, params_json, status, created_at) VALUES (?, ?, ?, 'running', ?)`).run(sweepId, runId, JSON.stringify(params), now())
}

export function setTrialStatus(db: Db, runId: number, status: string): void {
  db.prepare('UPDATE trials SET status = ? WHERE run_id = ?').run(status, runId)
}

export interface TrialRow {
  runId: number
  params: Record<string, unknown>
  status: string
}

export function listTrials(db: Db, sweepId: number): TrialRow[] {
  return (db.prepare('SELECT run_id, params_json, status FROM trials WHERE sweep_id = ? ORDER BY id').all(sweepId) as { run_id: number; params_json: string; status: string }[]).map(
    (r) => ({ runId: r.run_id, params: JSON.parse(r.params_json) as Record<string, unknown>, status: r.status }),
  )
}
