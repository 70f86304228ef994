import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDataDir } from '../../test-support/services'
import { openDatabase, schemaVersion } from './database'
import { insertMetric, metricSeries } from './metrics'
import { createRun, getRun } from './runs'
import { MIGRATIONS } from './migrations'

describe('database', () => {
  it('applies every numbered migration in order, in WAL mode', () => {
    const db = openDatabase(path.join(tempDataDir('db'), 'w.db'))
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name)
    for (const t of ['experiments', 'runs', 'params', 'metrics', 'artifacts', 'sweeps', 'trials', 'benchmarks', 'traces', 'run_tags'])
      expect(tables).toContain(t)
    db.close()
  })

  it('upgrading from an older schema keeps the data', () => {
    const file = path.join(tempDataDir('upgrade'), 'w.db')
    const old = openDatabase(file, { migrateTo: 1 })
    expect(schemaVersion(old)).toBe(1)
    const runId = createRun(old, { kind: 'finetune', name: 'seed', config: { lr: 3.9e-4 }, params: { lora_r: 16 }, hostPid: 1 })
    for (let step = 0; step < 10; step++) insertMetric(old, { runId, key: 'loss', step, value: 1 / (step + 1), wallTime: step })
    old.close()

    const db = openDatabase(file)
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version)
    const run = getRun(db, runId)!
    expect(run).toMatchObject({ name: 'seed', config: { lr: 3.9e-4 }, params: { lora_r: 16 }, notes: '' })
    expect(metricSeries(db, runId, ['loss'], 100)[0].points.map((p) => p.value)).toEqual(
      Array.from({ length: 10 }, (_, i) => 1 / (i + 1)),
    )
    db.close()
  })

  it('refuses a database from a newer workbench instead of touching it', () => {
    const file = path.join(tempDataDir('newer'), 'w.db')
    openDatabase(file).close()
    expect(() => openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) })).toThrow(/newer than this workbench/)
  })

  it('a failing migration leaves the previous version intact', () => {
    const file = path.join(tempDataDir('failmig'), 'w.db')
    openDatabase(file, { migrateTo: 1 }).close()
    const broken = [...MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: 'CREATE TABLE ok (x); SELECT * FROM nope;' }]
    expect(() => openDatabase(file, { migrations: broken })).toThrow(/nope/)
    const db = openDatabase(file, { migrateTo: 1 })
    expect(schemaVersion(db)).toBe(1)
    expect(db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'ok'`).get()).toEqual({ n: 0 })
    db.close()
  })

  it('records the options that are set as params and skips those left undefined', () => {
    const db = openDatabase(path.join(tempDataDir('params'), 'p.db'))
    const runId = createRun(db, { kind: 'export', name: 'x', config: {}, params: { format: 'onnx', checkpoint: undefined, model: '/m' }, hostPid: 1 })
    expect(getRun(db, runId)!.params).toEqual({ format: 'onnx', model: '/m' })
    db.close()
  })

  it('stores non-finite metric values as null and thins long series', () => {
    const db = openDatabase(path.join(tempDataDir('metrics'), 'w.db'))
    const runId = createRun(db, { kind: 'x', name: 'x', config: {}, params: {}, hostPid: 1 })
    insertMetric(db, { runId, key: 'loss', step: 0, value: NaN, wallTime: 0 })
    for (let step = 1; step <= 1000; step++) insertMetric(db, { runId, key: 'loss', step, value: step, wallTime: step })
    const [series] = metricSeries(db, runId, ['loss'], 100)
    expect(series.points[0].value).toBeNull()
    expect(series.points.length).toBeLessThanOrEqual(101)
    expect(series.points.at(-1)!.step).toBe(1000)
    db.close()
  })
})
