// The trace timeline on a canvas: a track per process/thread, nested events by
// depth, zoom and pan by mouse (wheel, drag) and keys (W/S zoom, A/D pan, as in
// Perfetto), click to select (its args below), search that highlights matches
// and steps through them. Events narrower than a pixel are merged per row
// (level of detail), so drawing cost follows the canvas width, not the trace.
// Counter tracks (Chrome C events, Kineto memory) are drawn as step areas on top.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { Timeline, TimelineEvent } from '../../../src-main/engine/traces/timeline'

const LABEL_W = 220
const ROW_H = 16
const TRACK_GAP = 8
const COUNTER_H = 40

// 66268160 -> "66.3M": counters are bytes, MB or plain counts.
function compact(v: number): string {
  const a = Math.abs(v)
  return a >= 1e9 ? `${(v / 1e9).toFixed(2)}G` : a >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(a < 10 ? 2 : 0)
}
const COLORS = ['#4ea1ff', '#3ccf91', '#f5a524', '#a78bfa', '#e5484d', '#22d3ee', '#f472b6', '#a3e635']

interface Selected {
  track: number
  event: TimelineEvent
}

// Index of the first event (or counter point) starting at or after t (sorted by start).
function lowerBound(events: readonly (readonly number[])[], t: number): number {
  let lo = 0
  let hi = events.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (events[mid][0] < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function TimelineView({ timeline }: { timeline: Timeline }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const [view, setView] = useState({ t0: 0, t1: Math.max(1, timeline.end) })
  const [selected, setSelected] = useState<Selected | null>(null)
  const [query, setQuery] = useState('')
  const [showFlows, setShowFlows] = useState(true)
  const [width, setWidth] = useState(1000)
  const drag = useRef<{ x: number; t0: number; t1: number } | null>(null)

  // Track y offsets; the longest event in each track lets the visible-range search start early enough.
  const counters = timeline.counters ?? []
  const countersHeight = counters.length * (COUNTER_H + TRACK_GAP)
  const layout = useMemo(() => {
    let y = (timeline.counters ?? []).length * (COUNTER_H + TRACK_GAP)
    return timeline.tracks.map((t) => {
      const top = y
      y += t.depth * ROW_H + TRACK_GAP
      return { top, longest: t.events.reduce((m, e) => Math.max(m, e[1]), 0) }
    })
  }, [timeline])
  const height = Math.max(40, layout.length ? layout[layout.length - 1].top + timeline.tracks[timeline.tracks.length - 1].depth * ROW_H + TRACK_GAP : countersHeight)
  const matches = useMemo(() => {
    if (!query) return null
    const q = query.toLowerCase()
    return new Set(timeline.names.map((n, i) => (n.toLowerCase().includes(q) ? i : -1)).filter((i) => i >= 0))
  }, [query, timeline])
  const matchList = useMemo(() => {
    if (!matches) return []
    const out: Selected[] = []
    timeline.tracks.forEach((t, track) => t.events.forEach((event) => matches.has(event[2]) && out.push({ track, event })))
    return out.sort((a, b) => a.event[0] - b.event[0])
  }, [matches, timeline])

  useEffect(() => {
    const el = canvas.current?.parentElement
    if (!el) return
    const ro = new ResizeObserver(() => setWidth(el.clientWidth))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  const xOf = useCallback((t: number) => LABEL_W + ((t - view.t0) / (view.t1 - view.t0)) * (width - LABEL_W), [view, width])

  useEffect(() => {
    const c = canvas.current
    if (!c) return
    const dpr = window.devicePixelRatio || 1
    c.width = width * dpr
    c.height = height * dpr
    const g = c.getContext('2d')!
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    g.fillStyle = '#0e1218'
    g.fillRect(0, 0, width, height)
    g.font = '11px system-ui, sans-serif'
    timeline.tracks.forEach((track, ti) => {
      const { top, longest } = layout[ti]
      g.fillStyle = '#141a23'
      g.fillRect(0, top, width, track.depth * ROW_H)
      const lastX = new Array<number>(track.depth).fill(-1) // level of detail: one block per pixel per row
      for (let i = lowerBound(track.events, view.t0 - longest); i < track.events.length; i++) {
        const ev = track.events[i]
        if (ev[0] > view.t1) break
        if (ev[0] + ev[1] < view.t0) continue
        const x0 = Math.max(LABEL_W, xOf(ev[0]))
        const x1 = Math.min(width, xOf(ev[0] + ev[1]))
        const w = Math.max(1, x1 - x0)
        if (w < 1.5 && Math.floor(x0) === lastX[ev[4]]) continue
        lastX[ev[4]] = Math.floor(x0)
        const dim = matches && !matches.has(ev[2])
        g.fillStyle = dim ? '#2a3240' : COLORS[ev[3] % COLORS.length]
        g.fillRect(x0, top + ev[4] * ROW_H + 1, w, ROW_H - 2)
        if (w > 40) {
          g.fillStyle = dim ? '#8a96a8' : '#04121f'
          g.save()
          g.beginPath()
          g.rect(x0, top + ev[4] * ROW_H, w, ROW_H)
          g.clip()
          g.fillText(timeline.names[ev[2]], x0 + 3, top + ev[4] * ROW_H + 12)
          g.restore()
        }
      }
      g.fillStyle = '#141a23'
      g.fillRect(0, top, LABEL_W - 4, track.depth * ROW_H)
      g.fillStyle = '#dfe6ef'
      g.fillText(track.label.slice(0, 34), 6, top + 12)
    })
    counters.forEach((counter, ci) => {
      // A step area: each value holds until the next point; per pixel the largest value is drawn.
      const top = ci * (COUNTER_H + TRACK_GAP)
      g.fillStyle = '#141a23'
      g.fillRect(0, top, width, COUNTER_H)
      const pts = counter.points
      const scale = counter.max > 0 ? (COUNTER_H - 4) / counter.max : 0
      g.fillStyle = 'rgba(60, 207, 145, 0.55)'
      let i = Math.max(0, lowerBound(pts, view.t0) - 1)
      for (; i < pts.length && pts[i][0] <= view.t1; i++) {
        const x0 = Math.max(LABEL_W, xOf(pts[i][0]))
        const x1 = Math.min(width, i + 1 < pts.length ? xOf(pts[i + 1][0]) : width)
        if (x1 < LABEL_W) continue
        let v = pts[i][1]
        while (i + 1 < pts.length && xOf(pts[i + 1][0]) < x0 + 1) v = Math.max(v, pts[++i][1]) // level of detail
        const h = Math.max(0, v * scale)
        g.fillRect(x0, top + COUNTER_H - h, Math.max(1, x1 - x0), h)
      }
      g.fillStyle = '#141a23'
      g.fillRect(0, top, LABEL_W - 4, COUNTER_H)
      g.fillStyle = '#dfe6ef'
      g.fillText(counter.label.slice(0, 34), 6, top + 12)
      g.fillStyle = '#8a96a8'
      g.fillText(`max ${compact(counter.max)}`, 6, top + 26)
    })
    if (showFlows) {
      // Flow arrows whose span overlaps the view: CPU launch -> GPU kernel, forward -> backward.
      g.strokeStyle = 'rgba(245, 165, 36, 0.8)'
      g.fillStyle = 'rgba(245, 165, 36, 0.9)'
      g.lineWidth = 1
      for (const [a, ta, da, b, tb, db] of timeline.flows) {
        if (Math.max(ta, tb) < view.t0 || Math.min(ta, tb) > view.t1) continue
        const [x0, y0] = [xOf(ta), layout[a].top + da * ROW_H + ROW_H / 2]
        const [x1, y1] = [xOf(tb), layout[b].top + db * ROW_H + ROW_H / 2]
        g.beginPath()
        g.moveTo(x0, y0)
        g.lineTo(x1, y1)
        g.stroke()
        const angle = Math.atan2(y1 - y0, x1 - x0)
        g.beginPath()
        g.moveTo(x1, y1)
        g.lineTo(x1 - 7 * Math.cos(angle - 0.4), y1 - 7 * Math.sin(angle - 0.4))
        g.lineTo(x1 - 7 * Math.cos(angle + 0.4), y1 - 7 * Math.sin(angle + 0.4))
        g.fill()
      }
    }
    if (selected) {
      const { top } = layout[selected.track]
      const x0 = Math.max(LABEL_W, xOf(selected.event[0]))
      const w = Math.max(2, Math.min(width, xOf(selected.event[0] + selected.event[1])) - x0)
      g.strokeStyle = '#ffffff'
      g.lineWidth = 2
      g.strokeRect(x0, top + selected.event[4] * ROW_H + 1, w, ROW_H - 2)
    }
  }, [timeline, layout, view, width, height, selected, matches, xOf, showFlows, counters])

  const zoom = (factor: number, at: number) => {
    setView((v) => {
      const span = Math.max(0.01, (v.t1 - v.t0) * factor)
      const t0 = at - (at - v.t0) * factor
      return { t0, t1: t0 + span }
    })
  }
  const timeAt = (clientX: number) => {
    const r = canvas.current!.getBoundingClientRect()
    return view.t0 + ((clientX - r.left - LABEL_W) / (width - LABEL_W)) * (view.t1 - view.t0)
  }
  const pick = (clientX: number, clientY: number) => {
    const r = canvas.current!.getBoundingClientRect()
    const y = clientY - r.top
    if (clientX - r.left < LABEL_W) return setSelected(null) // the track labels
    const t = timeAt(clientX)
    const ti = layout.findIndex((l, i) => y >= l.top && y < l.top + timeline.tracks[i].depth * ROW_H)
    if (ti < 0) return setSelected(null)
    const depth = Math.floor((y - layout[ti].top) / ROW_H)
    const events = timeline.tracks[ti].events
    // The event at this row covering t (within a pixel's time, for tiny ones).
    const slack = (view.t1 - view.t0) / (width - LABEL_W)
    let hit: TimelineEvent | null = null
    for (let i = lowerBound(events, t - layout[ti].longest - slack); i < events.length && events[i][0] <= t + slack; i++) {
      const ev = events[i]
      if (ev[4] === depth && ev[0] - slack <= t && t <= ev[0] + ev[1] + slack) hit = ev
    }
    setSelected(hit ? { track: ti, event: hit } : null)
  }
  const focus = (s: Selected) => {
    setSelected(s)
    const pad = Math.max(s.event[1], 1)
    setView({ t0: s.event[0] - pad, t1: s.event[0] + 2 * pad })
  }
  const nextMatch = () => {
    if (!matchList.length) return
    const i = selected ? matchList.findIndex((m) => m.event === selected.event) : -1
    focus(matchList[(i + 1) % matchList.length])
  }
  const onKey = (e: React.KeyboardEvent) => {
    const span = view.t1 - view.t0
    const mid = (view.t0 + view.t1) / 2
    if (e.key === 'w') zoom(0.8, mid)
    else if (e.key === 's') zoom(1.25, mid)
    else if (e.key === 'a') setView({ t0: view.t0 - span * 0.2, t1: view.t1 - span * 0.2 })
    else if (e.key === 'd') setView({ t0: view.t0 + span * 0.2, t1: view.t1 + span * 0.2 })
    else return
    e.preventDefault()
  }
  const sel = selected
  const selBox = sel
    ? { x: (Math.max(LABEL_W, xOf(sel.event[0])) + Math.min(width, xOf(sel.event[0] + sel.event[1]))) / 2, y: layout[sel.track].top + sel.event[4] * ROW_H + ROW_H / 2 }
    : null
  return (
    <div className="card wide timeline" data-testid="timeline">
      <h2>Timeline</h2>
      <div className="timeline-bar">
        <input aria-label="search events" placeholder="search by name" value={query} onChange={(e) => setQuery(e.target.value)} />
        {matches && (
          <>
            <span className="muted" data-testid="match-count">
              {matchList.length} matches
            </span>
            <button onClick={nextMatch} disabled={!matchList.length}>
              Next match
            </button>
          </>
        )}
        <button onClick={() => setView({ t0: 0, t1: Math.max(1, timeline.end) })}>Reset zoom</button>
        <label className="inline">
          <input type="checkbox" aria-label="show flows" checked={showFlows} onChange={(e) => setShowFlows(e.target.checked)} /> flows ({timeline.flows.length})
        </label>
        <span className="muted small">
          {(view.t1 - view.t0).toFixed(1)} µs shown · wheel or W/S to zoom, drag or A/D to pan, click to select
        </span>
      </div>
      <div className="timeline-scroll">
        <canvas
          ref={canvas}
          tabIndex={0}
          aria-label="trace timeline"
          data-testid="timeline-canvas"
          data-view={`${view.t0.toFixed(3)}:${view.t1.toFixed(3)}`}
          data-sel-x={selBox?.x.toFixed(1)}
          data-sel-y={selBox?.y.toFixed(1)}
          style={{ width, height }}
          onKeyDown={onKey}
          onWheel={(e) => zoom(e.deltaY > 0 ? 1.25 : 0.8, timeAt(e.clientX))}
          onMouseDown={(e) => (drag.current = { x: e.clientX, t0: view.t0, t1: view.t1 })}
          onMouseMove={(e) => {
            const d = drag.current
            if (!d || Math.abs(e.clientX - d.x) < 3) return
            const dt = ((e.clientX - d.x) / (width - LABEL_W)) * (d.t1 - d.t0)
            setView({ t0: d.t0 - dt, t1: d.t1 - dt })
          }}
          onMouseUp={(e) => {
            const d = drag.current
            drag.current = null
            if (d && Math.abs(e.clientX - d.x) < 3) pick(e.clientX, e.clientY)
          }}
        />
      </div>
      {counters.length > 0 && (
        <p className="muted small" data-testid="counter-tracks">
          Counter tracks: {counters.map((c) => `${c.label} (max ${compact(c.max)})`).join(' · ')}
        </p>
      )}
      {sel && (
        <div className="selection" data-testid="selection">
          <b>{timeline.names[sel.event[2]]}</b>
          <span className="muted">
            {' '}
            · {timeline.cats[sel.event[3]] || '(no category)'} · {timeline.tracks[sel.track].label} · start {sel.event[0].toFixed(3)} µs · duration {sel.event[1].toFixed(3)} µs
          </span>
          {sel.event[5] >= 0 && <pre className="json">{JSON.stringify(JSON.parse(timeline.args[sel.event[5]]), null, 2)}</pre>}
        </div>
      )}
    </div>
  )
}
