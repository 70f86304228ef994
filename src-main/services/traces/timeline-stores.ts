// The open timelines of imported traces, a few at a time (each holds file
// handles and a page cache). Timelines saved by earlier versions as one
// timeline.json are rewritten into the on-disk format the first time they open.
import fs from 'node:fs'
import path from 'node:path'
import { TimelineStore } from '../../engine/traces/timeline-read'
import { TimelineWriter } from '../../engine/traces/timeline-write'
import type { RunDetail } from '../../contract/types'
import { NotFoundError } from '../errors'

const MAX_OPEN = 4

// The shape of the version 1 timeline.json (one JSON document with every event).
interface LegacyTimeline {
  start: number
  names: string[]
  cats: string[]
  args: string[]
  tracks: { key: string; label: string; events: [number, number, number, number, number, number][] }[]
  flows: [number, number, number, number, number, number, number][]
  counters?: { label: string; points: [number, number][] }[]
}

function convertLegacy(jsonFile: string, dir: string): void {
  const old = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as LegacyTimeline
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  const w = new TimelineWriter(tmp)
  old.tracks.forEach((t, i) => {
    // Labels were already resolved from the trace's metadata: keep them as they were.
    const key = `T${i}:0`
    const [proc, ...thread] = t.label.split(' · ')
    w.setProcessName(`T${i}`, proc)
    w.setThreadName(key, thread.join(' · ') || t.key)
    for (const e of t.events) w.addSlice(key, old.start + e[0], e[1], old.names[e[2]], old.cats[e[3]], e[5] >= 0 ? old.args[e[5]] : null)
  })
  old.flows.forEach(([a, ta, , b, tb, , cat], i) => {
    w.addFlowEnd(`legacy:${i}`, 's', `T${a}:0`, old.start + ta, old.cats[cat])
    w.addFlowEnd(`legacy:${i}`, 'f', `T${b}:0`, old.start + tb, old.cats[cat])
  })
  ;(old.counters ?? []).forEach((c, i) => {
    const [proc, ...name] = c.label.split(' · ')
    w.setProcessName(`C${i}`, proc)
    for (const [t, v] of c.points) w.addCounterPoint(`C${i}`, name.join(' · '), old.start + t, v)
  })
  w.finish()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(tmp, dir)
}

export class TimelineStores {
  private readonly open = new Map<number, TimelineStore>()

  get(run: RunDetail): TimelineStore {
    const cached = this.open.get(run.id)
    if (cached) {
      this.open.delete(run.id)
      this.open.set(run.id, cached)
      return cached
    }
    const saved = (run.summary as { timeline?: string | null } | null)?.timeline
    if (run.kind !== 'trace-import' || !saved || !fs.existsSync(saved)) throw new NotFoundError(`Run ${run.id} has no trace timeline`)
    let dir = saved
    if (saved.endsWith('.json')) {
      dir = path.join(path.dirname(saved), 'timeline')
      if (!fs.existsSync(path.join(dir, 'meta.json'))) convertLegacy(saved, dir)
    }
    const store = new TimelineStore(dir)
    this.open.set(run.id, store)
    if (this.open.size > MAX_OPEN) {
      const [oldest, s] = this.open.entries().next().value!
      s.close()
      this.open.delete(oldest)
    }
    return store
  }

  forget(runId: number): void {
    this.open.get(runId)?.close()
    this.open.delete(runId)
  }
}
