// Writes the on-disk timeline (timeline-format.ts) during the import's single
// streaming pass: events are kept as a few numeric columns per track (args go
// straight to args.bin), then each track is sorted, nested into rows, and
// written with its levels of detail; flows get the rows they end on; counters
// get their own levels. Memory is about 40 bytes per complete event.
import fs from 'node:fs'
import path from 'node:path'
import { BufferedFile, GrowableF64, GrowableU32 } from './growable'
import type { TraceEvent } from './read-trace'
import {
  ARGS_INDEX_BYTES,
  FLOW_BYTES,
  LEVEL_GAPS,
  NO_ARGS,
  POINT_BYTES,
  SLICE_BYTES,
  TIMELINE_VERSION,
  type LevelRun,
  type TimelineCounterMeta,
  type TimelineMeta,
  type TimelineTrackMeta,
} from './timeline-format'

// A level is kept only where it merges at least this share of the level below away.
const KEEP_LEVEL_BELOW = 0.9

class TrackColumns {
  ts = new GrowableF64()
  dur = new GrowableF64()
  name = new GrowableU32()
  cat = new GrowableU32()
  args = new GrowableU32()
  constructor(readonly key: string) {}
}

// One level of one row, as columns.
interface Blocks {
  start: Float64Array
  end: Float64Array
  name: Uint32Array
  cat: Uint32Array
  count: Uint32Array
  ref: Uint32Array // index of the representative (longest) event in level 0
  args: Uint32Array
  busy: Float64Array // µs covered by member events
  longest: Float64Array // the representative's duration
}

function blocks(n: number): Blocks {
  return {
    start: new Float64Array(n),
    end: new Float64Array(n),
    name: new Uint32Array(n),
    cat: new Uint32Array(n),
    count: new Uint32Array(n),
    ref: new Uint32Array(n),
    args: new Uint32Array(n),
    busy: new Float64Array(n),
    longest: new Float64Array(n),
  }
}

// Level k from level k-1: neighbours whose gap is under `gap` become one block.
function mergeBlocks(b: Blocks, n: number, gap: number): [Blocks, number] {
  const out = blocks(n)
  let m = -1
  for (let i = 0; i < n; i++) {
    if (m >= 0 && b.start[i] - out.end[m] < gap) {
      out.end[m] = Math.max(out.end[m], b.end[i])
      out.count[m] += b.count[i]
      out.busy[m] += b.busy[i]
      if (b.longest[i] > out.longest[m]) {
        out.longest[m] = b.longest[i]
        out.name[m] = b.name[i]
        out.cat[m] = b.cat[i]
        out.ref[m] = b.ref[i]
        out.args[m] = b.args[i]
      }
      continue
    }
    m++
    out.start[m] = b.start[i]
    out.end[m] = b.end[i]
    out.name[m] = b.name[i]
    out.cat[m] = b.cat[i]
    out.count[m] = b.count[i]
    out.ref[m] = b.ref[i]
    out.args[m] = b.args[i]
    out.busy[m] = b.busy[i]
    out.longest[m] = b.longest[i]
  }
  return [out, m + 1]
}

// Index of the last value ≤ t in a sorted array, or -1.
function lastAtOrBefore(xs: Float64Array, t: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (xs[mid] <= t) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

export class TimelineWriter {
  private readonly names = new Map<string, number>()
  private readonly nameCounts: number[] = []
  private readonly cats = new Map<string, number>()
  private readonly tracks = new Map<string, TrackColumns>()
  private readonly trackIds = new Map<string, number>() // in order of first appearance
  private readonly processNames = new Map<string, string>()
  private readonly threadNames = new Map<string, string>()
  private readonly flowIds = new Map<string, number>()
  private readonly flowCols = { sTrack: new GrowableU32(), sTs: new GrowableF64(), fTrack: new GrowableU32(), fTs: new GrowableF64(), cat: new GrowableU32() }
  private readonly counters = new Map<string, { pid: string; name: string; t: GrowableF64; v: GrowableF64 }>()
  private readonly open = new Map<string, TraceEvent[]>() // B events waiting for their E, per thread
  private readonly argsData: BufferedFile
  private readonly argsIndex: BufferedFile
  private argsCount = 0
  private events = 0
  private start = Infinity

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true })
    this.argsData = new BufferedFile(path.join(dir, 'args.bin'))
    this.argsIndex = new BufferedFile(path.join(dir, 'args-index.bin'))
  }

  private id(map: Map<string, number>, key: string): number {
    let i = map.get(key)
    if (i === undefined) map.set(key, (i = map.size))
    return i
  }

  private track(key: string): TrackColumns {
    let t = this.tracks.get(key)
    if (!t) {
      this.tracks.set(key, (t = new TrackColumns(key)))
      this.trackIds.set(key, this.trackIds.size)
    }
    return t
  }

  setProcessName(pid: string, name: string): void {
    this.processNames.set(pid, name)
  }

  setThreadName(key: string, name: string): void {
    this.threadNames.set(key, name)
  }

  addSlice(trackKey: string, ts: number, dur: number, name: string, cat: string, argsJson: string | null): void {
    const t = this.track(trackKey)
    let args = NO_ARGS
    if (argsJson !== null) {
      const offset = this.argsData.position
      const length = this.argsData.writeString(argsJson)
      const [buf, at] = this.argsIndex.reserve(ARGS_INDEX_BYTES)
      buf.writeDoubleLE(offset, at)
      buf.writeDoubleLE(length, at + 8)
      args = this.argsCount++
    }
    const n = this.id(this.names, name)
    this.nameCounts[n] = (this.nameCounts[n] ?? 0) + 1
    t.ts.push(ts)
    t.dur.push(dur)
    t.name.push(n)
    t.cat.push(this.id(this.cats, cat))
    t.args.push(args)
    this.events++
    if (ts < this.start) this.start = ts
  }

  // One end of a flow arrow (s: where it leaves, f: where it arrives), matched by category and id.
  addFlowEnd(id: string, end: 's' | 'f', trackKey: string, ts: number, cat: string): void {
    const c = this.flowCols
    let i = this.flowIds.get(id)
    if (i === undefined) {
      this.flowIds.set(id, (i = c.cat.length))
      c.sTrack.push(NO_ARGS)
      c.sTs.push(0)
      c.fTrack.push(NO_ARGS)
      c.fTs.push(0)
      c.cat.push(this.id(this.cats, cat))
    }
    this.track(trackKey) // a flow may end on a thread with no slices: it still needs its track
    const index = this.trackIds.get(trackKey)!
    if (end === 's') ((c.sTrack.data[i] = index), (c.sTs.data[i] = ts))
    else ((c.fTrack.data[i] = index), (c.fTs.data[i] = ts))
  }

  addCounterPoint(pid: string, name: string, ts: number, value: number): void {
    const id = `${pid}|${name}`
    let c = this.counters.get(id)
    if (!c) this.counters.set(id, (c = { pid, name, t: new GrowableF64(), v: new GrowableF64() }))
    c.t.push(ts)
    c.v.push(value)
    if (ts < this.start) this.start = ts
  }

  // A Chrome Trace Event: X slices and B/E pairs, M names, s/f flows, C counters and Kineto "[memory]" instants.
  addTraceEvent(e: TraceEvent): void {
    const argsOf = (x: TraceEvent) => (x.args && Object.keys(x.args).length ? JSON.stringify(x.args) : null)
    if (e.ph === 'X' && typeof e.ts === 'number') return this.addSlice(`${e.pid}:${e.tid}`, e.ts, typeof e.dur === 'number' ? e.dur : 0, e.name ?? '', e.cat ?? '', argsOf(e))
    if ((e.ph === 'B' || e.ph === 'E') && typeof e.ts === 'number') {
      // A B/E pair becomes one slice; an E closes the innermost open B of its thread (an E with no B is dropped).
      const key = `${e.pid}:${e.tid}`
      let stack = this.open.get(key)
      if (!stack) this.open.set(key, (stack = []))
      if (e.ph === 'B') return void stack.push(e)
      const b = stack.pop()
      if (b) this.addSlice(key, b.ts!, Math.max(0, e.ts - b.ts!), b.name ?? e.name ?? '', b.cat ?? e.cat ?? '', argsOf({ ...b, args: { ...b.args, ...e.args } }))
      return
    }
    if (e.ph === 'M') {
      const name = (e.args as { name?: unknown } | undefined)?.name
      if (typeof name !== 'string') return
      if (e.name === 'process_name') this.setProcessName(String(e.pid), name)
      if (e.name === 'thread_name') this.setThreadName(`${e.pid}:${e.tid}`, name)
      return
    }
    if ((e.ph === 's' || e.ph === 'f') && e.id !== undefined && typeof e.ts === 'number') return this.addFlowEnd(`${e.cat}:${e.id}`, e.ph, `${e.pid}:${e.tid}`, e.ts, e.cat ?? '')
    if ((e.ph === 'C' || (e.ph === 'i' && e.name === '[memory]')) && typeof e.ts === 'number' && e.args) {
      const args = e.args
      const memory = e.ph === 'i'
      const device = memory ? (args['Device Type'] === 1 ? `cuda:${args['Device Id'] ?? 0}` : 'cpu') : ''
      for (const k of memory ? ['Total Allocated', 'Total Reserved'] : Object.keys(args)) {
        const v = args[k]
        if (typeof v === 'number' && Number.isFinite(v)) this.addCounterPoint(String(e.pid), memory ? `memory ${device} ${k}` : `${e.name ?? 'counter'} ${k}`, e.ts, v)
      }
    }
  }

  // Writes slices.bin, flows.bin, counters.bin and meta.json; returns the meta.
  finish(): TimelineMeta {
    this.argsData.close()
    this.argsIndex.close()
    const start = Number.isFinite(this.start) ? this.start : 0
    const slices = new BufferedFile(path.join(this.dir, 'slices.bin'))
    let records = 0
    let end = 0
    const writeLevel = (b: Blocks, n: number): LevelRun => {
      const run = { gap: 0, offset: records, count: n }
      for (let i = 0; i < n; i++) {
        const [buf, at] = slices.reserve(SLICE_BYTES)
        buf.writeDoubleLE(b.start[i], at)
        buf.writeDoubleLE(b.end[i], at + 8)
        buf.writeUInt32LE(b.name[i], at + 16)
        buf.writeUInt32LE(b.cat[i], at + 20)
        buf.writeUInt32LE(b.count[i], at + 24)
        buf.writeUInt32LE(b.ref[i], at + 28)
        buf.writeUInt32LE(b.args[i], at + 32)
        buf.writeFloatLE(b.busy[i], at + 36)
      }
      records += n
      return run
    }
    const label = (key: string) => {
      const [pid, tid] = key.split(':')
      return `${this.processNames.get(pid) ?? `pid ${pid}`} · ${this.threadNames.get(key) ?? `tid ${tid}`}`
    }
    const insertion = [...this.tracks.keys()]
    const sortedKeys = [...insertion].sort((a, b) => label(a).localeCompare(label(b)))
    const trackIndex = new Map(sortedKeys.map((k, i) => [k, i]))
    const rowEdges: { starts: Float64Array; ends: Float64Array }[][] = [] // level 0 of every row, for flow ends
    const tracks: TimelineTrackMeta[] = sortedKeys.map((key) => {
      const t = this.tracks.get(key)!
      const n = t.ts.length
      const [ts, dur] = [t.ts.data, t.dur.data]
      const order = new Uint32Array(n)
      for (let i = 0; i < n; i++) order[i] = i
      let sorted = true
      for (let i = 1; i < n && sorted; i++) sorted = ts[i - 1] < ts[i] || (ts[i - 1] === ts[i] && dur[i - 1] >= dur[i])
      if (!sorted) order.sort((a, b) => ts[a] - ts[b] || dur[b] - dur[a])
      // Rows: an event's row is the number of events still open when it starts (parents start first).
      const row = new Uint32Array(n)
      const open: number[] = []
      let depth = 0
      for (const i of order) {
        const s = ts[i]
        while (open.length && open[open.length - 1] <= s) open.pop()
        row[i] = open.length
        open.push(s + dur[i])
        depth = Math.max(depth, open.length)
        end = Math.max(end, s + dur[i] - start)
      }
      const perRow = new Uint32Array(depth)
      for (let i = 0; i < n; i++) perRow[row[i]]++
      const levels0 = Array.from(perRow, (c) => blocks(c))
      const fill = new Uint32Array(depth)
      for (const i of order) {
        const r = row[i]
        const b = levels0[r]
        const j = fill[r]++
        b.start[j] = ts[i] - start
        b.end[j] = ts[i] - start + dur[i]
        b.name[j] = t.name.data[i]
        b.cat[j] = t.cat.data[i]
        b.count[j] = 1
        b.ref[j] = j
        b.args[j] = t.args.data[i]
        b.busy[j] = dur[i]
        b.longest[j] = dur[i]
      }
      this.tracks.delete(key) // its columns are no longer needed
      rowEdges.push(levels0.map((b) => ({ starts: b.start, ends: b.end })))
      const rows = levels0.map((b0, r) => {
        const levels: LevelRun[] = [writeLevel(b0, perRow[r])]
        let [b, count] = [b0, perRow[r]]
        let kept = count
        for (let k = 1; k < LEVEL_GAPS.length && count > 1; k++) {
          ;[b, count] = mergeBlocks(b, count, LEVEL_GAPS[k])
          if (count > KEEP_LEVEL_BELOW * kept) continue
          levels.push({ ...writeLevel(b, count), gap: LEVEL_GAPS[k] })
          kept = count
        }
        return { levels }
      })
      return { key, label: label(key), depth, events: n, rows }
    })
    slices.close()

    // Flows: both ends known, each ending on the deepest row that covers its time, sorted by their earlier end.
    const depthAt = (track: number, t: number) => {
      const rows = rowEdges[track]
      for (let r = rows.length - 1; r >= 0; r--) {
        const i = lastAtOrBefore(rows[r].starts, t)
        if (i >= 0 && rows[r].ends[i] >= t) return r
      }
      return 0
    }
    const c = this.flowCols
    const complete: number[] = []
    for (let i = 0; i < c.cat.length; i++) if (c.sTrack.data[i] !== NO_ARGS && c.fTrack.data[i] !== NO_ARGS) complete.push(i)
    complete.sort((a, b) => Math.min(c.sTs.data[a], c.fTs.data[a]) - Math.min(c.sTs.data[b], c.fTs.data[b]))
    const flows = new BufferedFile(path.join(this.dir, 'flows.bin'))
    let maxSpan = 0
    for (const i of complete) {
      const [a, b] = [trackIndex.get(insertion[c.sTrack.data[i]])!, trackIndex.get(insertion[c.fTrack.data[i]])!]
      const [ta, tb] = [c.sTs.data[i] - start, c.fTs.data[i] - start]
      maxSpan = Math.max(maxSpan, Math.abs(tb - ta))
      const values = [Math.min(ta, tb), Math.max(ta, tb), a, ta, depthAt(a, ta), b, tb, depthAt(b, tb), c.cat.data[i]]
      const [buf, at] = flows.reserve(FLOW_BYTES)
      values.forEach((v, k) => buf.writeDoubleLE(v, at + 8 * k))
    }
    flows.close()

    // Counters: points sorted by time; level k keeps the largest value per LEVEL_GAPS[k] µs bucket.
    const points = new BufferedFile(path.join(this.dir, 'counters.bin'))
    let pointRecords = 0
    const writePoints = (t: Float64Array, v: Float64Array, n: number): LevelRun => {
      for (let i = 0; i < n; i++) {
        const [buf, at] = points.reserve(POINT_BYTES)
        buf.writeDoubleLE(t[i], at)
        buf.writeDoubleLE(v[i], at + 8)
      }
      pointRecords += n
      return { gap: 0, offset: pointRecords - n, count: n }
    }
    const counters: TimelineCounterMeta[] = [...this.counters.values()]
      .map((cnt) => {
        const n = cnt.t.length
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cnt.t.data[a] - cnt.t.data[b])
        let t = Float64Array.from(order, (i) => cnt.t.data[i] - start)
        let v = Float64Array.from(order, (i) => cnt.v.data[i])
        end = Math.max(end, t[n - 1])
        const levels = [writePoints(t, v, n)]
        let [count, kept] = [n, n]
        for (let k = 1; k < LEVEL_GAPS.length && count > 1; k++) {
          const gap = LEVEL_GAPS[k]
          const [nt, nv] = [new Float64Array(count), new Float64Array(count)]
          let m = -1
          for (let i = 0; i < count; i++) {
            if (m >= 0 && Math.floor(t[i] / gap) === Math.floor(nt[m] / gap)) nv[m] = Math.max(nv[m], v[i])
            else ((nt[++m] = t[i]), (nv[m] = v[i]))
          }
          ;[t, v, count] = [nt, nv, m + 1]
          if (count > KEEP_LEVEL_BELOW * kept) continue
          levels.push({ ...writePoints(t, v, count), gap })
          kept = count
        }
        let max = -Infinity
        for (let i = 0; i < n; i++) max = Math.max(max, cnt.v.data[i])
        return { label: `${this.processNames.get(cnt.pid) ?? `pid ${cnt.pid}`} · ${cnt.name}`, max, points: n, levels }
      })
      .sort((a, b) => a.label.localeCompare(b.label))
    points.close()

    const meta: TimelineMeta = {
      version: TIMELINE_VERSION,
      start,
      end,
      events: this.events,
      names: [...this.names.keys()],
      nameCounts: this.nameCounts,
      cats: [...this.cats.keys()],
      tracks,
      counters,
      flows: { count: complete.length, maxSpan },
    }
    fs.writeFileSync(path.join(this.dir, 'meta.json'), JSON.stringify(meta))
    return meta
  }
}
