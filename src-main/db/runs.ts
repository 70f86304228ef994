// Runs and their params: the only SQL that touches these tables.
import type { RunDetail, RunStatus, RunSummary } from '../contract/types'
import type { Db } from './database'
import { compileFilter, runValueSql } from './run-filter'

interface RunRow {
  id: number
  kind: string
  name: string
  status: RunStatus
  progress: number | null
  progress_message: string | null
  eta_seconds: number | null
  error: string | null
  created_at: string
  started_at: string | null
  ended_at: string | null
  summary_json: string
  config_json: string
  sweep_id: number | null
  notes: string
  host_pid: number | null
  job_pid: number | null
}

const now = () => new Date().toISOString()

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    progress: row.progress,
    progressMessage: row.progress_message,
    etaSeconds: row.eta_seconds,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    summary: JSON.parse(row.summary_json) as Record<string, unknown>,
    sweepId: row.sweep_id,
  }
}

export interface NewRun {
  kind: string
  name: string
  config: Record<string, unknown>
  params: Record<string, unknown>
  sweepId?: number | null
  hostPid: number
}

export function createRun(db: Db, run: NewRun): number {
  return db.transaction(() => {
    const info = db
      .prepare(
        `INSERT INTO runs (kind, name, status, config_json, sweep_id, host_pid, created_at)
         VALUES (?, ?, 'queued', ?, ?, ?, ?)`,
      )
      .run(run.kind, run.name, JSON.stringify(run.config), run.sweepId ?? null, run.hostPid, now())
    const runId = Number(info.lastInsertRowid)
    const insertParam = db.prepare('INSERT INTO params (run_id, key, value_json) VALUES (?, ?, ?)')
    // An option left unset (undefined) is not a parameter of the run.
    for (const [key, value] of Object.entries(run.params)) if (value !== undefined) insertParam.run(runId, key, JSON.stringify(value))
    return runId
  })()
}

export function markRunning(db: Db, runId: number, jobPid: number | null): void {
  db.prepare(`UPDATE runs SET status = 'running', job_pid = ?, started_at = ? WHERE id = ?`).run(jobPid, now(), runId)
}

export function updateProgress(db: Db, runId: number, fraction: number, message: string, etaSeconds: number | null): void {
  db.prepare('UPDATE runs SET progress = ?, progress_message = ?, eta_seconds = ? WHERE id = ?').run(
    fraction,
    message,
    etaSeconds,
    runId,
  )
}

export function finishRun(
  db: Db,
  runId: number,
  status: Exclude<RunStatus, 'queued' | 'running'>,
  fields: { error?: string | null; summary?: Record<string, unknown> } = {},
): void {
  db.prepare(
    `UPDATE runs SET status = ?, error = ?, summary_json = COALESCE(?, summary_json), eta_seconds = NULL, ended_at = ?
     WHERE id = ?`,
  ).run(status, fields.error ?? null, fields.summary ? JSON.stringify(fields.summary) : null, now(), runId)
}

export interface ListOptions {
  limit: number
  status?: RunStatus
  kind?: string
  filter?: string
  search?: string
  archived?: 'exclude' | 'include' | 'only'
  columns?: string[] // params.X / metrics.X values to return with each run
}

// A column's SQL: a param's value or a metric's last logged value.
function columnSql(col: string, args: unknown[]): string {
  const sql = runValueSql(col, args)
  if (!sql) throw new Error(`unknown column ${JSON.stringify(col)} (use params.<key> or metrics.<key>)`)
  return sql
}

export function listRuns(db: Db, opts: ListOptions): RunSummary[] {
  const where: string[] = []
  const args: unknown[] = []
  const selectArgs: unknown[] = []
  const columns = opts.columns ?? []
  const selects = columns.map((c, i) => `${columnSql(c, selectArgs)} AS c${i}`)
  if (opts.archived !== 'include') where.push(opts.archived === 'only' ? 'runs.archived = 1' : 'runs.archived = 0')
  if (opts.filter) {
    const f = compileFilter(opts.filter)
    where.push(f.sql)
    args.push(...f.args)
  }
  if (opts.search) {
    where.push(`(runs.name LIKE ? OR runs.notes LIKE ?)`)
    args.push(`%${opts.search}%`, `%${opts.search}%`)
  }
  if (opts.status) {
    where.push('status = ?')
    args.push(opts.status)
  }
  if (opts.kind) {
    where.push('kind = ?')
    args.push(opts.kind)
  }
  const sql = `SELECT runs.*${selects.map((s) => `, ${s}`).join('')} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`
  return (db.prepare(sql).all(...selectArgs, ...args, opts.limit) as (RunRow & Record<string, unknown>)[]).map((row) => {
    const run = toSummary(row)
    if (columns.length) run.values = Object.fromEntries(columns.map((c, i) => [c, row[`c${i}`] ?? null]))
    return run
  })
}

export function getRun(db: Db, runId: number): RunDetail | null {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined
  if (!row) return null
  const params: Record<string, unknown> = {}
  for (const p of db.prepare('SELECT key, value_json FROM params WHERE run_id = ? ORDER BY key').all(runId) as {
    key: string
    value_json: string
  }[])
    params[p.key] = JSON.parse(p.value_json)
  const metricKeys = (
    db.prepare('SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key').all(runId) as { key: string }[]
  ).map((r) => r.key)
  return {
    ...toSummary(row),
    config: JSON.parse(row.config_json) as Record<string, unknown>,
    params,
    metricKeys,
    notes: row.notes,
    tags: (db.prepare('SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag').all(runId) as { tag: string }[]).map((t) => t.tag),
    archived: !!(row as unknown as { archived: number }).archived,
  }
}

// Notes (markdown) and tags of a run.
export function updateRun(db: Db, runId: number, f: { notes?: string; tags?: string[] }): void {
  db.transaction(() => {
    if (f.notes !== undefined) db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(f.notes, runId)
    if (f.tags) {
      db.prepare('DELETE FROM run_tags WHERE run_id = ?').run(runId)
      const add = db.prepare('INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)')
      for (const t of f.tags) add.run(runId, t)
    }
  })()
}

// Runs left 'queued' or 'running' by a host process that no longer exists
// (the app was killed, the machine rebooted). Runs owned by a live host
// (another app or CLI sharing this data directory) are left alone.
export function orphanedRuns(db: Db, isAlive: (pid: number) => boolean): number[] {
  const rows = db.prepare(`SELECT id, host_pid FROM runs WHERE status IN ('queued', 'running')`).all() as {
    id: number
    host_pid: number | null
  }[]
  return rows.filter((r) => r.host_pid === null || !isAlive(r.host_pid)).map((r) => r.id)
}
