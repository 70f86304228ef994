// Reads the on-disk timeline for the Traces page: windows of slices, counters
// and flows at the level of detail the canvas can show, an event's args, and
// search by name. Files are read through a small page cache, so memory stays
// bounded however large the trace was.
import fs from 'node:fs'
import path from 'node:path'
import {
  ARGS_INDEX_BYTES,
  FLOW_BYTES,
  LEVEL_GAPS,
  MAX_WINDOW_FLOWS,
  NO_ARGS,
  POINT_BYTES,
  SLICE_BYTES,
  TIMELINE_VERSION,
  type LevelRun,
  type TimelineMatch,
  type TimelineMeta,
  type TimelineSearch,
  type TimelineWindow,
  type WindowFlow,
  type WindowSlice,
} from './timeline-format'

const PAGE_BYTES = 1 << 16
const MAX_PAGES = 256 // 16 MB per file at most
const MAX_WINDOW_SLICES = 400_000 // a guard: a window is normally a few thousand

// Fixed-size records in a file, read by index through an LRU cache of pages.
class RecordFile {
  private readonly fd: number
  private readonly pages = new Map<number, Buffer>()

  constructor(
    file: string,
    readonly recordBytes: number,
  ) {
    this.fd = fs.openSync(file, 'r')
  }

  // The buffer holding record i and the record's offset in it (a record never spans pages: PAGE_BYTES is a multiple).
  at(i: number): [Buffer, number] {
    const byte = i * this.recordBytes
    const perPage = Math.floor(PAGE_BYTES / this.recordBytes) * this.recordBytes
    const page = Math.floor(byte / perPage)
    let buf = this.pages.get(page)
    if (buf) {
      this.pages.delete(page) // most recently used last
      this.pages.set(page, buf)
    } else {
      buf = Buffer.allocUnsafe(perPage)
      fs.readSync(this.fd, buf, 0, perPage, page * perPage)
      this.pages.set(page, buf)
      if (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!)
    }
    return [buf, byte - page * perPage]
  }

  f64(i: number, field: number): number {
    const [buf, at] = this.at(i)
    return buf.readDoubleLE(at + 8 * field)
  }

  close(): void {
    fs.closeSync(this.fd)
  }
}

// The first index in [lo, hi) where `before(i)` is false (it is true, then false, along the range).
function partitionPoint(lo: number, hi: number, before: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (before(mid)) lo = mid + 1
    else hi = mid
  }
  return lo
}

// The stored level for a pixel of `pixel` µs: the coarsest whose merged gaps are under a pixel.
function levelFor(levels: LevelRun[], pixel: number): LevelRun {
  let best = levels[0]
  for (const l of levels) if (l.gap <= pixel && l.gap >= best.gap) best = l
  return best
}

export class TimelineStore {
  readonly meta: TimelineMeta
  private readonly slices: RecordFile
  private readonly flows: RecordFile
  private readonly points: RecordFile
  private readonly argsIndex: RecordFile
  private readonly argsFd: number
  private readonly argsCount: number

  constructor(readonly dir: string) {
    const metaFile = path.join(dir, 'meta.json')
    if (!fs.existsSync(metaFile)) throw new Error(`${dir}: no timeline here (meta.json is missing)`)
    this.meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as TimelineMeta
    if (this.meta.version !== TIMELINE_VERSION) throw new Error(`${metaFile}: timeline version ${this.meta.version}, this workbench reads ${TIMELINE_VERSION}; import the trace again`)
    this.slices = new RecordFile(path.join(dir, 'slices.bin'), SLICE_BYTES)
    this.flows = new RecordFile(path.join(dir, 'flows.bin'), FLOW_BYTES)
    this.points = new RecordFile(path.join(dir, 'counters.bin'), POINT_BYTES)
    this.argsIndex = new RecordFile(path.join(dir, 'args-index.bin'), ARGS_INDEX_BYTES)
    this.argsFd = fs.openSync(path.join(dir, 'args.bin'), 'r')
    this.argsCount = fs.statSync(path.join(dir, 'args-index.bin')).size / ARGS_INDEX_BYTES
  }

  close(): void {
    for (const f of [this.slices, this.flows, this.points, this.argsIndex]) f.close()
    fs.closeSync(this.argsFd)
  }

  private slice(i: number, row: number): WindowSlice {
    const [buf, at] = this.slices.at(i)
    const start = buf.readDoubleLE(at)
    const end = buf.readDoubleLE(at + 8)
    const args = buf.readUInt32LE(at + 32)
    const busy = buf.readFloatLE(at + 36)
    return [start, end - start, buf.readUInt32LE(at + 16), buf.readUInt32LE(at + 20), row, buf.readUInt32LE(at + 24), args === NO_ARGS ? -1 : args, end > start ? Math.min(1, busy / (end - start)) : 1]
  }

  // First record of a run whose end is ≥ t (a row's records are sorted by end as well as start).
  private firstEndingAfter(run: LevelRun, t: number): number {
    return partitionPoint(run.offset, run.offset + run.count, (i) => this.slices.f64(i, 1) < t)
  }

  // Everything in [t0, t1] at the detail a canvas `pixels` wide can show.
  window(t0: number, t1: number, pixels: number): TimelineWindow {
    const pixel = Math.max(0, (t1 - t0) / Math.max(1, pixels))
    let level = 0
    let budget = MAX_WINDOW_SLICES
    const tracks = this.meta.tracks.map((track) =>
      track.rows.map((row, r) => {
        const run = levelFor(row.levels, pixel)
        level = Math.max(level, LEVEL_GAPS.indexOf(run.gap))
        const out: WindowSlice[] = []
        for (let i = this.firstEndingAfter(run, t0); i < run.offset + run.count && budget > 0; i++, budget--) {
          const s = this.slice(i, r)
          if (s[0] > t1) break
          out.push(s)
        }
        return out
      }).flat(),
    )
    const counters = this.meta.counters.map((c) => {
      const run = levelFor(c.levels, pixel)
      const lo = partitionPoint(run.offset, run.offset + run.count, (i) => this.points.f64(i, 0) < t0)
      const out: [number, number][] = []
      for (let i = Math.max(run.offset, lo - 1); i < run.offset + run.count; i++) {
        const t = this.points.f64(i, 0)
        out.push([t, this.points.f64(i, 1)])
        if (t > t1) break // one point past the window: the last step's right edge
      }
      return out
    })
    return { t0, t1, level, tracks, counters, flows: this.flowsIn(t0, t1) }
  }

  private flowsIn(t0: number, t1: number): WindowFlow[] | null {
    const { count, maxSpan } = this.meta.flows
    const lo = partitionPoint(0, count, (i) => this.flows.f64(i, 0) < t0 - maxSpan)
    const out: WindowFlow[] = []
    for (let i = lo; i < count; i++) {
      const [buf, at] = this.flows.at(i)
      const v = Array.from({ length: 9 }, (_, k) => buf.readDoubleLE(at + 8 * k))
      if (v[0] > t1) break
      if (v[1] < t0) continue
      if (out.length === MAX_WINDOW_FLOWS) return null
      out.push([v[2], v[3], v[4], v[5], v[6], v[7], v[8]])
    }
    return out
  }

  // The args of one event as the trace had them.
  args(id: number): Record<string, unknown> {
    if (!Number.isInteger(id) || id < 0 || id >= this.argsCount) throw new RangeError(`no args ${id} in this timeline`)
    const offset = this.argsIndex.f64(id, 0)
    const length = this.argsIndex.f64(id, 1)
    const buf = Buffer.allocUnsafe(length)
    fs.readSync(this.argsFd, buf, 0, length, offset)
    return JSON.parse(buf.toString('utf8')) as Record<string, unknown>
  }

  // Events whose name contains `query` (case-insensitive): the total, and the first `limit` by start.
  search(query: string, limit = 10_000): TimelineSearch {
    const q = query.toLowerCase()
    const wanted = new Set<number>()
    let total = 0
    this.meta.names.forEach((n, i) => {
      if (!n.toLowerCase().includes(q)) return
      wanted.add(i)
      total += this.meta.nameCounts[i] ?? 0
    })
    const matches: TimelineMatch[] = []
    if (wanted.size) {
      this.meta.tracks.forEach((track, ti) =>
        track.rows.forEach((row, r) => {
          const run = row.levels[0]
          let found = 0 // a row is sorted by start: its first `limit` matches are all the global first `limit` can use
          for (let i = run.offset; i < run.offset + run.count && found < limit; i++) {
            const [buf, at] = this.slices.at(i)
            if (!wanted.has(buf.readUInt32LE(at + 16))) continue
            matches.push({ track: ti, slice: this.slice(i, r) })
            found++
          }
        }),
      )
    }
    matches.sort((a, b) => a.slice[0] - b.slice[0])
    return { total, matches: matches.slice(0, limit) }
  }
}
