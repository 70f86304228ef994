import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sharedData } from '../../../test-support/services'
import { analyzeTrace } from './analyze'
import { writeSyntheticTrace } from './synthetic-trace'
import { LEVEL_GAPS } from './timeline-format'
import { TimelineStore } from './timeline-read'
import { TimelineWriter } from './timeline-write'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-timeline-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

async function importTrace(file: string, name: string): Promise<TimelineStore> {
  const w = new TimelineWriter(path.join(tmp, name))
  await analyzeTrace(file, undefined, (e) => w.addTraceEvent(e))
  w.finish()
  return new TimelineStore(path.join(tmp, name))
}

describe('on-disk trace timeline', () => {
  it('keeps every complete event of the shared trace in nested rows, with ac2g flow arrows from CPU launches to GPU kernels', async () => {
    const s = await importTrace(sharedData('traces', 'fine_tuned_profiler.pt.trace.json'), 'shared')
    const { meta } = s
    expect(meta.events).toBe(2775) // every complete (X) event
    const all = s.window(0, meta.end, 1e9 > meta.end ? Math.ceil(meta.end * 1e3) : 20_000) // a pixel per ns: level 0
    expect(all.level).toBe(0)
    expect(all.tracks.reduce((n, t) => n + t.length, 0)).toBe(2775)
    const stream = meta.tracks.findIndex((t) => /stream 7/.test(t.label))
    expect(all.tracks[stream].filter((e) => meta.cats[e[3]] === 'kernel')).toHaveLength(87)
    for (const t of all.tracks) {
      for (let i = 1; i < t.length; i++) {
        if (t[i][4] !== t[i - 1][4]) continue
        expect(t[i][0]).toBeGreaterThanOrEqual(t[i - 1][0] + t[i - 1][1] - 1e-6) // a row never overlaps itself
      }
    }
    expect(Math.max(...meta.tracks.map((t) => t.depth))).toBeGreaterThan(5) // python stacks nest deeply
    // 90 starts and 92 finishes: every start with a finish becomes an arrow, CPU thread -> GPU stream.
    const ac2g = (all.flows ?? []).filter((f) => meta.cats[f[6]] === 'ac2g')
    expect(ac2g.length).toBe(meta.flows.count)
    expect(ac2g.length).toBeGreaterThan(80)
    expect(ac2g.length).toBeLessThanOrEqual(90)
    for (const [from, ts, , to, tf] of ac2g) {
      expect(meta.tracks[to].label).toMatch(/stream 7/)
      expect(meta.tracks[from].label).not.toMatch(/stream/)
      expect(tf).toBeGreaterThanOrEqual(ts) // a kernel starts after its launch
    }
    // Search counts every match and returns them by start; an event's args come back as the trace had them.
    const found = s.search('fmha_cutlassF')
    expect(found.total).toBe(4)
    expect(found.matches.map((m) => meta.names[m.slice[2]])).toEqual(Array(4).fill(found.matches[0] ? meta.names[found.matches[0].slice[2]] : ''))
    expect(s.args(found.matches[0].slice[6])).toHaveProperty('correlation')
    expect(() => s.args(1e9)).toThrow(/no args/)
    s.close()
  })

  it('turns Kineto memory instants and Chrome counter events into counter tracks', async () => {
    const s = await importTrace(sharedData('traces', 'fine_tuned_profiler.pt.trace.json'), 'counters')
    const allocated = s.meta.counters.filter((c) => / Total Allocated$/.test(c.label))
    expect(allocated.reduce((n, c) => n + c.points, 0)).toBe(238) // every "[memory]" instant, by device
    const cuda = allocated.find((c) => /memory cuda:0 /.test(c.label))!
    expect(cuda.max).toBeGreaterThan(60e6)
    s.close()

    const w = new TimelineWriter(path.join(tmp, 'chrome'))
    w.addTraceEvent({ ph: 'X', name: 'step', pid: 9, tid: 1, ts: 1000, dur: 50 })
    w.addTraceEvent({ ph: 'C', name: 'memory', pid: 9, tid: 1, ts: 1010, args: { rss_mb: 512, js_heap_mb: 40 } })
    const meta = w.finish()
    expect(meta.counters.map((x) => x.label)).toEqual(['pid 9 · memory js_heap_mb', 'pid 9 · memory rss_mb'])
    const c = new TimelineStore(path.join(tmp, 'chrome'))
    expect(c.window(0, 50, 100).counters[1]).toEqual([[10, 512]])
    c.close()
  })

  it('merges neighbours closer than a pixel: a zoomed-out window stays near the canvas width, and its blocks cover exactly the events', () => {
    // 200,000 kernels of 1-3 µs with 0.5-20 µs gaps on one stream, written out of order.
    const w = new TimelineWriter(path.join(tmp, 'lod'))
    const events: [number, number][] = []
    let t = 1000
    for (let i = 0; i < 200_000; i++) {
      const dur = 1 + (i % 3)
      events.push([t, dur])
      t += dur + (i % 7 === 0 ? 20 : 0.5)
    }
    for (let i = events.length - 1; i >= 0; i--) w.addSlice('0:7', events[i][0], events[i][1], `k${i % 5}`, 'kernel', null)
    const meta = w.finish()
    const s = new TimelineStore(path.join(tmp, 'lod'))
    const levels = meta.tracks[0].rows[0].levels
    expect(levels.length).toBe(3) // the events; the 0.5 µs gaps merged; everything merged (gaps of 20 µs)
    for (let k = 1; k < levels.length; k++) expect(levels[k].count).toBeLessThanOrEqual(0.9 * levels[k - 1].count)
    for (const span of [meta.end, meta.end / 10, meta.end / 1000]) {
      const pixels = 1000
      const win = s.window(meta.end / 2 - span / 2, meta.end / 2 + span / 2, pixels)
      const blocks = win.tracks[0]
      expect(blocks.length).toBeLessThanOrEqual(4 * pixels + 2) // remaining gaps are at least a quarter pixel
      // Every event in the window lies inside one block (blocks at the edges also count members outside it).
      const inside = events.filter(([s0, d]) => s0 - 1000 + d >= win.t0 && s0 - 1000 <= win.t1)
      expect(blocks.reduce((n, b) => n + b[5], 0)).toBeGreaterThanOrEqual(inside.length)
      let j = 0
      for (const [s0, d] of inside) {
        while (blocks[j][0] + blocks[j][1] < s0 - 1000 + d - 1e-6) j++
        expect(blocks[j][0]).toBeLessThanOrEqual(s0 - 1000 + 1e-6)
      }
      expect(LEVEL_GAPS[win.level]).toBeLessThanOrEqual(span / pixels)
    }
    // Zoomed in, the events themselves.
    const near = s.window(100, 140, 1000)
    expect(near.level).toBe(0)
    expect(near.tracks[0].every((b) => b[5] === 1)).toBe(true)
    s.close()
  })

  it('imports a Kineto-shaped synthetic trace: slices, flows and counters all land', async () => {
    const file = path.join(tmp, 'synthetic.json')
    const stats = writeSyntheticTrace(file, 2_000_000)
    const s = await importTrace(file, 'synthetic')
    expect(s.meta.flows.count).toBe(stats.kernels) // one ac2g arrow per launched kernel
    expect(s.search('ProfilerStep#').total).toBe(stats.steps)
    const far = s.window(0, s.meta.end, 800)
    expect(far.flows).toBeNull() // thousands of arrows: hidden until zoomed in
    expect(far.tracks.reduce((n, t) => n + t.length, 0)).toBeLessThan(s.meta.events / 2)
    s.close()
  })
})

describe('duration events', () => {
  it('pairs B/E events per thread into slices (innermost first); an E without a B is dropped', () => {
    const w = new TimelineWriter(path.join(tmp, 'begin-end'))
    w.addTraceEvent({ ph: 'B', name: 'step 1', cat: 'user_annotation', pid: 1, tid: 1, ts: 100, args: { step: 1 } })
    w.addTraceEvent({ ph: 'B', name: 'forward', pid: 1, tid: 1, ts: 110 })
    w.addTraceEvent({ ph: 'B', name: 'other thread', pid: 1, tid: 2, ts: 120 })
    w.addTraceEvent({ ph: 'E', pid: 1, tid: 1, ts: 150 })
    w.addTraceEvent({ ph: 'E', pid: 1, tid: 1, ts: 200 })
    w.addTraceEvent({ ph: 'E', pid: 1, tid: 1, ts: 210 })
    w.addTraceEvent({ ph: 'E', pid: 1, tid: 2, ts: 130 })
    w.finish()
    const s = new TimelineStore(path.join(tmp, 'begin-end'))
    const win = s.window(0, 200, 1000)
    const named = (t: number) => win.tracks[t].map((x) => [s.meta.names[x[2]], x[0], x[1], x[4]])
    expect(named(0)).toEqual([['step 1', 0, 100, 0], ['forward', 10, 40, 1]])
    expect(named(1)).toEqual([['other thread', 20, 10, 0]])
    expect(s.args(win.tracks[0][0][6])).toEqual({ step: 1 })
    s.close()
  })
})
