// The timeline the Traces page draws: one track per process/thread (named from
// the trace's M metadata), its complete (X) events as compact rows sorted by
// start, with their nesting depth, and their args kept apart. Built during the
// import's single streaming pass and saved beside the run.
import type { TraceEvent } from './read-trace'

// One event: [start µs from the trace start, duration µs, name index, category index, depth, args index or -1].
export type TimelineEvent = [number, number, number, number, number, number]

export interface TimelineTrack {
  key: string // "pid:tid"
  label: string
  depth: number // rows: the deepest nesting + 1
  events: TimelineEvent[]
}

// A counter track: Chrome counter (C) events, one series per argument, and Kineto's "[memory]"
// instants (Total Allocated / Total Reserved per device). Points: [µs from start, value].
export interface TimelineCounter {
  label: string
  max: number
  points: [number, number][]
}

export interface Timeline {
  start: number // absolute µs of the first event
  end: number // µs from start
  names: string[]
  cats: string[]
  args: string[] // JSON of each event's args
  tracks: TimelineTrack[]
  // Flow arrows (ac2g: CPU launch -> GPU kernel; fwdbwd: forward op -> its backward):
  // [from track, from µs, from depth, to track, to µs, to depth, category index].
  flows: [number, number, number, number, number, number, number][]
  counters?: TimelineCounter[] // absent in timelines saved before counter tracks existed
}

export const TIMELINE_MAX_EVENTS = 2_000_000
export const TIMELINE_MAX_COUNTER_POINTS = 500_000

export class TimelineBuilder {
  private readonly names = new Map<string, number>()
  private readonly cats = new Map<string, number>()
  private readonly args: string[] = []
  private readonly tracks = new Map<string, TimelineEvent[]>()
  private readonly processNames = new Map<string, string>()
  private readonly threadNames = new Map<string, string>()
  private readonly flowEnds = new Map<string, { s?: { key: string; ts: number }; f?: { key: string; ts: number }; cat: string }>()
  private readonly counters = new Map<string, { pid: string; name: string; points: [number, number][] }>()
  private counterPoints = 0
  private start = Infinity
  private count = 0
  overflow = false

  private id(map: Map<string, number>, key: string): number {
    let i = map.get(key)
    if (i === undefined) map.set(key, (i = map.size))
    return i
  }

  add(e: TraceEvent): void {
    if (e.ph === 'M') {
      const name = (e.args as { name?: unknown } | undefined)?.name
      if (typeof name !== 'string') return
      if (e.name === 'process_name') this.processNames.set(String(e.pid), name)
      if (e.name === 'thread_name') this.threadNames.set(`${e.pid}:${e.tid}`, name)
      return
    }
    if ((e.ph === 's' || e.ph === 'f') && e.id !== undefined && typeof e.ts === 'number') {
      const id = `${e.cat}:${e.id}`
      const flow = this.flowEnds.get(id) ?? { cat: e.cat ?? '' }
      flow[e.ph] = { key: `${e.pid}:${e.tid}`, ts: e.ts }
      this.flowEnds.set(id, flow)
      return
    }
    if ((e.ph === 'C' || (e.ph === 'i' && e.name === '[memory]')) && typeof e.ts === 'number' && e.args) return this.addCounter(e)
    if (e.ph !== 'X' || typeof e.ts !== 'number' || this.overflow) return
    if (++this.count > TIMELINE_MAX_EVENTS) {
      this.overflow = true
      return
    }
    const key = `${e.pid}:${e.tid}`
    let list = this.tracks.get(key)
    if (!list) this.tracks.set(key, (list = []))
    const args = e.args && Object.keys(e.args).length ? this.args.push(JSON.stringify(e.args)) - 1 : -1
    this.start = Math.min(this.start, e.ts)
    list.push([e.ts, typeof e.dur === 'number' ? e.dur : 0, this.id(this.names, e.name ?? ''), this.id(this.cats, e.cat ?? ''), 0, args])
  }

  private addCounter(e: TraceEvent): void {
    const args = e.args as Record<string, unknown>
    const memory = e.ph === 'i'
    const device = memory ? (args['Device Type'] === 1 ? `cuda:${args['Device Id'] ?? 0}` : 'cpu') : ''
    const keys = memory ? ['Total Allocated', 'Total Reserved'] : Object.keys(args)
    for (const k of keys) {
      const v = args[k]
      if (typeof v !== 'number' || !Number.isFinite(v) || this.counterPoints >= TIMELINE_MAX_COUNTER_POINTS) continue
      const name = memory ? `memory ${device} ${k}` : `${e.name ?? 'counter'} ${k}`
      const id = `${e.pid}|${name}`
      let c = this.counters.get(id)
      if (!c) this.counters.set(id, (c = { pid: String(e.pid), name, points: [] }))
      c.points.push([e.ts as number, v])
      this.counterPoints++
      this.start = Math.min(this.start, e.ts as number)
    }
  }

  build(): Timeline {
    let end = 0
    const tracks: TimelineTrack[] = []
    for (const [key, events] of this.tracks) {
      for (const ev of events) ev[0] -= this.start
      events.sort((a, b) => a[0] - b[0] || b[1] - a[1])
      const open: number[] = [] // end times of the enclosing events
      let depth = 0
      for (const ev of events) {
        while (open.length && open[open.length - 1] <= ev[0]) open.pop()
        ev[4] = open.length
        depth = Math.max(depth, open.length + 1)
        open.push(ev[0] + ev[1])
        end = Math.max(end, ev[0] + ev[1])
      }
      const [pid] = key.split(':')
      const thread = this.threadNames.get(key)
      const label = `${this.processNames.get(pid) ?? `pid ${pid}`} · ${thread ?? `tid ${key.split(':')[1]}`}`
      tracks.push({ key, label, depth, events })
    }
    tracks.sort((a, b) => a.label.localeCompare(b.label))
    const start = Number.isFinite(this.start) ? this.start : 0
    const index = new Map(tracks.map((t, i) => [t.key, i]))
    // The deepest event of a track that covers time t (its row is where the arrow ends).
    const depthAt = (track: TimelineTrack, t: number) => {
      const ev = track.events
      let lo = 0
      let hi = ev.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (ev[mid][0] <= t) lo = mid + 1
        else hi = mid
      }
      let depth = 0
      for (let i = lo - 1; i >= 0 && i >= lo - 200; i--) if (ev[i][0] <= t && t <= ev[i][0] + ev[i][1]) depth = Math.max(depth, ev[i][4])
      return depth
    }
    const flows: Timeline['flows'] = []
    for (const f of this.flowEnds.values()) {
      if (!f.s || !f.f) continue // a start without a finish (or the reverse) has nothing to connect
      const a = index.get(f.s.key)
      const b = index.get(f.f.key)
      if (a === undefined || b === undefined) continue
      const [ts, tf] = [f.s.ts - start, f.f.ts - start]
      flows.push([a, ts, depthAt(tracks[a], ts), b, tf, depthAt(tracks[b], tf), this.id(this.cats, f.cat)])
    }
    const counters = [...this.counters.values()]
      .map((c) => {
        const points = c.points.map(([t, v]) => [t - start, v] as [number, number]).sort((a, b) => a[0] - b[0])
        end = Math.max(end, points[points.length - 1][0])
        return { label: `${this.processNames.get(c.pid) ?? `pid ${c.pid}`} · ${c.name}`, max: points.reduce((m, p) => Math.max(m, p[1]), -Infinity), points }
      })
      .sort((a, b) => a.label.localeCompare(b.label))
    return { start, end, names: [...this.names.keys()], cats: [...this.cats.keys()], args: this.args, tracks, flows, counters }
  }
}
