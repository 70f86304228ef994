import { describe, expect, it } from 'vitest'
import { sharedData } from '../../../test-support/services'
import { analyzeTrace } from './analyze'
import { TimelineBuilder } from './timeline'

describe('trace timeline', () => {
  it('builds nested tracks named from metadata, with ac2g flow arrows from CPU launches to GPU kernels', async () => {
    const b = new TimelineBuilder()
    await analyzeTrace(sharedData('traces', 'fine_tuned_profiler.pt.trace.json'), undefined, (e) => b.add(e))
    const t = b.build()
    expect(t.tracks.reduce((n, tr) => n + tr.events.length, 0)).toBe(2775) // every complete (X) event
    const stream = t.tracks.find((tr) => /stream 7/.test(tr.label))!
    expect(stream.events.filter((e) => t.cats[e[3]] === 'kernel')).toHaveLength(87)
    for (const tr of t.tracks)
      for (let i = 1; i < tr.events.length; i++) expect(tr.events[i][0]).toBeGreaterThanOrEqual(tr.events[i - 1][0]) // sorted by start
    expect(Math.max(...t.tracks.map((tr) => tr.depth))).toBeGreaterThan(5) // python stacks nest deeply
    // 90 starts and 92 finishes: every start with a finish becomes an arrow, CPU thread -> GPU stream.
    const ac2g = t.flows.filter((f) => t.cats[f[6]] === 'ac2g')
    expect(ac2g.length).toBeGreaterThan(80)
    expect(ac2g.length).toBeLessThanOrEqual(90)
    for (const [from, ts, , to, tf] of ac2g) {
      expect(t.tracks[to].label).toMatch(/stream 7/)
      expect(t.tracks[from].label).not.toMatch(/stream/)
      expect(tf).toBeGreaterThanOrEqual(ts) // a kernel starts after its launch
    }
  })

  it('turns Kineto memory instants and Chrome counter events into counter tracks', async () => {
    const b = new TimelineBuilder()
    await analyzeTrace(sharedData('traces', 'fine_tuned_profiler.pt.trace.json'), undefined, (e) => b.add(e))
    const t = b.build()
    const allocated = t.counters!.filter((c) => / Total Allocated$/.test(c.label))
    expect(allocated.reduce((n, c) => n + c.points.length, 0)).toBe(238) // every "[memory]" instant, by device
    const cuda = allocated.find((c) => /memory cuda:0 /.test(c.label))!
    expect(cuda.max).toBeGreaterThan(60e6)
    expect(cuda.points.every((p, i) => i === 0 || p[0] >= cuda.points[i - 1][0])).toBe(true)

    const chrome = new TimelineBuilder()
    chrome.add({ ph: 'X', name: 'step', pid: 9, tid: 1, ts: 1000, dur: 50 })
    chrome.add({ ph: 'C', name: 'memory', pid: 9, tid: 1, ts: 1010, args: { rss_mb: 512, js_heap_mb: 40 } })
    const c = chrome.build().counters!
    expect(c.map((x) => x.label)).toEqual(['pid 9 · memory js_heap_mb', 'pid 9 · memory rss_mb'])
    expect(c[1].points).toEqual([[10, 512]])
  })
})
