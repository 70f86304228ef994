// A timeline saved by an earlier version (one timeline.json) opens: it is rewritten into the
// on-disk format beside it, with its labels, slices, args, flows and counters.
import fs from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import type { RunDetail } from '../../contract/types'
import { tempDataDir } from '../../../test-support/services'
import { TimelineStores } from './timeline-stores'

it('converts a version 1 timeline.json on first open', () => {
  const dir = tempDataDir('legacy-timeline')
  const file = path.join(dir, 'timeline.json')
  const legacy = {
    start: 5000,
    end: 40,
    names: ['aten::addmm', 'gemm_kernel'],
    cats: ['cpu_op', 'kernel', 'ac2g'],
    args: ['{"correlation":7}'],
    tracks: [
      { key: '1:1', label: 'python3 · thread 1', depth: 1, events: [[0, 20, 0, 0, 0, -1]] },
      { key: '0:7', label: 'GPU 0 · stream 7', depth: 1, events: [[25, 10, 1, 1, 0, 0]] },
    ],
    flows: [[0, 5, 0, 1, 25, 0, 2]],
    counters: [{ label: 'python3 · memory rss_mb', max: 9, points: [[0, 3], [30, 9]] }],
  }
  fs.writeFileSync(file, JSON.stringify(legacy))
  const run = { id: 3, kind: 'trace-import', summary: { timeline: file } } as unknown as RunDetail
  const stores = new TimelineStores()
  const s = stores.get(run)
  expect(fs.existsSync(path.join(dir, 'timeline', 'meta.json'))).toBe(true)
  expect(s.meta.tracks.map((t) => t.label)).toEqual(['GPU 0 · stream 7', 'python3 · thread 1'])
  const w = s.window(0, 40, 400)
  expect(w.tracks[0]).toEqual([[25, 10, 1, 1, 0, 1, 0, 1]])
  expect(s.args(0)).toEqual({ correlation: 7 })
  expect(w.flows).toEqual([[1, 5, 0, 0, 25, 0, 2]])
  expect(s.meta.counters[0]).toMatchObject({ label: 'python3 · memory rss_mb', max: 9, points: 2 })
  stores.forget(run.id)
  expect(() => stores.get({ ...run, summary: {} } as unknown as RunDetail)).toThrow(/no trace timeline/)
})
