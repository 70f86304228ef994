// The run filter language against a small run history, and comparing, archiving and deleting runs.
import { beforeAll, describe, expect, it } from 'vitest'
import { tempDataDir } from '../../test-support/services'
import { openDatabase, type Db } from './database'
import { insertMetric } from './metrics'
import { archiveRuns, compareRuns, deleteRuns } from './run-compare'
import { compileFilter } from './run-filter'
import { createRun, finishRun, listRuns } from './runs'

let db: Db
const ids: number[] = []

beforeAll(() => {
  db = openDatabase(`${tempDataDir('filter')}/w.db`)
  const runs = [
    { name: 'mrpc lora r16', kind: 'finetune', params: { task: 'mrpc', loraR: 16, lr: 3.9e-4, seed: 1, rslora: false }, acc: [0.6, 0.82], status: 'completed' },
    { name: 'mrpc lora r8', kind: 'finetune', params: { task: 'mrpc', loraR: 8, lr: 3.9e-4, seed: 1, rslora: true }, acc: [0.7, 0.79], status: 'completed' },
    { name: 'cola full', kind: 'finetune', params: { task: 'cola', loraR: 16, lr: 2e-5, seed: 1, rslora: false }, acc: [0.5], status: 'failed' },
    { name: 'trace T4', kind: 'trace-import', params: { file: '/x.json' }, acc: [], status: 'completed' },
  ] as const
  for (const r of runs) {
    const id = createRun(db, { kind: r.kind, name: r.name, config: {}, params: { ...r.params }, hostPid: 1 })
    r.acc.forEach((v, step) => insertMetric(db, { runId: id, key: 'eval/accuracy', step: (step + 1) * 10, value: v, wallTime: step }))
    r.acc.forEach((v, step) => insertMetric(db, { runId: id, key: 'train/loss', step: (step + 1) * 10, value: 1 - v, wallTime: step }))
    finishRun(db, id, r.status, { summary: { metrics: { accuracy: r.acc.at(-1) ?? null } } })
    ids.push(id)
  }
  db.prepare('INSERT INTO run_tags (run_id, tag) VALUES (?, ?)').run(ids[0], 'baseline')
})

const names = (filter: string, search?: string) => listRuns(db, { limit: 100, filter, search, archived: 'include' }).map((r) => r.name).sort()

describe('run filter language', () => {
  it('filters by params, last metric values, columns, tags and summary fields in SQL', () => {
    expect(names('metrics.eval/accuracy > 0.8 and params.loraR = 16')).toEqual(['mrpc lora r16'])
    expect(names('params.task = mrpc')).toEqual(['mrpc lora r16', 'mrpc lora r8'])
    expect(names('params.rslora = true')).toEqual(['mrpc lora r8'])
    expect(names('metrics.eval/accuracy >= 0.79 or status = failed')).toEqual(['cola full', 'mrpc lora r16', 'mrpc lora r8'])
    expect(names('kind = finetune and not (params.task = cola)')).toEqual(['mrpc lora r16', 'mrpc lora r8'])
    expect(names('tag = baseline')).toEqual(['mrpc lora r16'])
    expect(names('tag != baseline and kind = finetune')).toEqual(['cola full', 'mrpc lora r8'])
    expect(names('name ~ LORA')).toEqual(['mrpc lora r16', 'mrpc lora r8'])
    expect(names('summary.metrics.accuracy < 0.6')).toEqual(['cola full'])
    expect(names('params.lr = 2e-5')).toEqual(['cola full'])
    expect(names("name = 'trace T4'")).toEqual(['trace T4'])
    expect(names('', 'r8')).toEqual(['mrpc lora r8'])
  })

  it('names the position of what it cannot read', () => {
    expect(() => compileFilter('metrics.acc >')).toThrow(/expected a value after ">" at the end/)
    expect(() => compileFilter('foo = 1')).toThrow(/unknown field "foo" at position 0/)
    expect(() => compileFilter('status = failed status = crashed')).toThrow(/unexpected "status" at position 16 \(join conditions with and \/ or\)/)
    expect(() => compileFilter('(status = failed')).toThrow(/expected "\)" at the end/)
    expect(() => compileFilter("name = 'open")).toThrow(/unclosed string starting at position 7/)
    expect(() => compileFilter('tag > 1')).toThrow(/tag takes =, != or ~/)
  })

  it('compares runs showing only the parameters that differ, with last and best metric values', () => {
    const c = compareRuns(db, [ids[0], ids[1]], false)
    expect(c.params.map((p) => p.key)).toEqual(['loraR', 'rslora'])
    expect(c.params[0].values).toEqual([16, 8])
    expect(c.hiddenSameParams).toBe(3)
    expect(compareRuns(db, [ids[0], ids[1]], true).params.map((p) => p.key)).toEqual(['loraR', 'lr', 'rslora', 'seed', 'task'])
    const acc = c.metrics.find((m) => m.key === 'eval/accuracy')!
    expect(acc).toMatchObject({ lowerIsBetter: false, last: [0.82, 0.79], best: [0.82, 0.79] })
    const loss = c.metrics.find((m) => m.key === 'train/loss')!
    expect(loss.lowerIsBetter).toBe(true)
    expect(loss.best[1]).toBeCloseTo(0.21, 10)
  })

  it('archives and deletes runs with their params and metrics', () => {
    archiveRuns(db, [ids[3]], true)
    expect(names('archived = 1')).toEqual(['trace T4'])
    expect(listRuns(db, { limit: 100 }).map((r) => r.name)).not.toContain('trace T4') // hidden by default
    expect(listRuns(db, { limit: 100, archived: 'only' }).map((r) => r.name)).toEqual(['trace T4'])
    const withCols = listRuns(db, { limit: 100, columns: ['params.loraR', 'metrics.eval/accuracy'], filter: 'kind = finetune' })
    expect(withCols.map((r) => r.values)).toEqual([
      { 'params.loraR': 16, 'metrics.eval/accuracy': 0.5 },
      { 'params.loraR': 8, 'metrics.eval/accuracy': 0.79 },
      { 'params.loraR': 16, 'metrics.eval/accuracy': 0.82 },
    ])
    deleteRuns(db, [ids[2]])
    expect(names('kind = finetune')).toEqual(['mrpc lora r16', 'mrpc lora r8'])
    expect((db.prepare('SELECT COUNT(*) AS n FROM metrics WHERE run_id = ?').get(ids[2]) as { n: number }).n).toBe(0)
    expect((db.prepare('SELECT COUNT(*) AS n FROM params WHERE run_id = ?').get(ids[2]) as { n: number }).n).toBe(0)
  })
})
