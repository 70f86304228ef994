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

export interface Timeline {
  start: number // absolute µs of the first event
  end: number // µs from start
  names: string[]
  cats: string[]
  args: string[] // JSON of each event's args
  tracks: TimelineTrack[]
}

export const TIMELINE_MAX_EVENTS = 2_000_000

export class TimelineBuilder {
  private readonly names = new Map<string, number>()
  private readonly cats = new Map<string, number>()
  private readonly args: string[] = []
  private readonly tracks = new Map<string, TimelineEvent[]>()
  private readonly processNames = new Map<string, string>()
  private readonly threadNames = new Map<string, string>()
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
    return { start: Number.isFinite(this.start) ? this.start : 0, end, names: [...this.names.keys()], cats: [...this.cats.keys()], args: this.args, tracks }
  }
}
