// The trace timeline on a canvas: a track per process/thread, nested slices by
// row, zoom and pan by mouse (wheel, drag) and keys (W/S zoom, A/D pan, as in
// Perfetto), click to select (its args below), search that counts matches and
// steps through them. The page never holds the whole trace: on every view
// change it asks the main process for the window it shows, at a level of
// detail where neighbours closer than a pixel are merged into one block, so
// drawing and transfer follow the canvas width, not the trace's size.
// Counter tracks (Chrome C events, Kineto memory) are drawn as step areas on top.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { api } from '../../lib/api'
import type { TimelineMatch, TimelineMeta, TimelineWindow, WindowSlice } from '../../../src-main/engine/traces/timeline-format'

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

interface View {
  t0: number
  t1: number
}

// Index of the first point at or after t (sorted by time).
function lowerBound(points: readonly (readonly number[])[], t: number): number {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (points[mid][0] < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

const sameSlice = (a: TimelineMatch | null, b: TimelineMatch | null) =>
  !!a && !!b && a.track === b.track && a.slice[0] === b.slice[0] && a.slice[4] === b.slice[4] && a.slice[2] === b.slice[2]

// Asks for the window of each view, one request at a time: while one is out, only the newest view waits.
function useWindow(runId: number, view: View, pixels: number): TimelineWindow | null {
  const [data, setData] = useState<TimelineWindow | null>(null)
  const inFlight = useRef(false)
  const wanted = useRef<View & { pixels: number }>({ ...view, pixels })
  const fetchNext = useCallback(() => {
    if (inFlight.current) return
    const w = wanted.current
    inFlight.current = true
    api
      .call('traces.window', { runId, t0: w.t0, t1: w.t1, pixels: w.pixels })
      .then(setData, () => undefined)
      .finally(() => {
        inFlight.current = false
        const next = wanted.current
        if (next.t0 !== w.t0 || next.t1 !== w.t1 || next.pixels !== w.pixels) fetchNext()
      })
  }, [runId])
  useEffect(() => {
    wanted.current = { ...view, pixels }
    fetchNext()
  }, [view, pixels, fetchNext])
  return data
}

export function TimelineView({ runId, meta }: { runId: number; meta: TimelineMeta }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const [view, setView] = useState<View>({ t0: 0, t1: Math.max(1, meta.end) })
  const [selected, setSelected] = useState<TimelineMatch | null>(null)
  const [args, setArgs] = useState<Record<string, unknown> | null>(null)
  const [query, setQuery] = useState('')
  const [search, setSearch] = useState<{ query: string; total: number; matches: TimelineMatch[] } | null>(null)
  const [showFlows, setShowFlows] = useState(true)
  const [width, setWidth] = useState(1000)
  const [drawMs, setDrawMs] = useState(0)
  const drag = useRef<{ x: number; t0: number; t1: number } | null>(null)
  const win = useWindow(runId, view, Math.max(1, Math.round(width - LABEL_W)))

  const counters = meta.counters
  const countersHeight = counters.length * (COUNTER_H + TRACK_GAP)
  const layout = useMemo(() => {
    let y = meta.counters.length * (COUNTER_H + TRACK_GAP)
    return meta.tracks.map((t) => {
      const top = y
      y += t.depth * ROW_H + TRACK_GAP
      return { top }
    })
  }, [meta])
  const lastTrack = meta.tracks[meta.tracks.length - 1]
  const height = Math.max(40, layout.length ? layout[layout.length - 1].top + lastTrack.depth * ROW_H + TRACK_GAP : countersHeight)
  const matchNames = useMemo(() => {
    if (!query) return null
    const q = query.toLowerCase()
    return new Set(meta.names.map((n, i) => (n.toLowerCase().includes(q) ? i : -1)).filter((i) => i >= 0))
  }, [query, meta])

  useEffect(() => {
    if (!query) return setSearch(null)
    let live = true
    const t = setTimeout(() => {
      api.call('traces.search', { runId, query, limit: 10_000 }).then((r) => live && setSearch({ query, ...r }), () => undefined)
    }, 150)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [query, runId])
  useEffect(() => {
    setArgs(null)
    const id = selected?.slice[6] ?? -1
    if (id < 0) return
    let live = true
    api.call('traces.args', { runId, id }).then((a) => live && setArgs(a), () => undefined)
    return () => {
      live = false
    }
  }, [selected, runId])

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
    const began = performance.now()
    const dpr = window.devicePixelRatio || 1
    c.width = width * dpr
    c.height = height * dpr
    const g = c.getContext('2d')!
    g.setTransform(dpr, 0, 0, dpr, 0, 0)
    g.fillStyle = '#0e1218'
    g.fillRect(0, 0, width, height)
    g.font = '11px system-ui, sans-serif'
    meta.tracks.forEach((track, ti) => {
      const { top } = layout[ti]
      g.fillStyle = '#141a23'
      g.fillRect(0, top, width, track.depth * ROW_H)
      const lastX = new Array<number>(track.depth).fill(-1) // one block per pixel per row
      for (const s of win?.tracks[ti] ?? []) {
        const [start, dur, name, cat, row, count, , busy] = s
        if (start > view.t1 || start + dur < view.t0) continue
        const x0 = Math.max(LABEL_W, xOf(start))
        const x1 = Math.min(width, xOf(start + dur))
        const w = Math.max(1, x1 - x0)
        if (w < 1.5 && Math.floor(x0) === lastX[row]) continue
        lastX[row] = Math.floor(x0)
        const dim = matchNames && !matchNames.has(name)
        g.globalAlpha = count > 1 ? 0.4 + 0.6 * busy : 1 // merged blocks: as solid as they are busy
        g.fillStyle = dim ? '#2a3240' : COLORS[cat % COLORS.length]
        g.fillRect(x0, top + row * ROW_H + 1, w, ROW_H - 2)
        g.globalAlpha = 1
        if (w > 40) {
          g.fillStyle = dim ? '#8a96a8' : '#04121f'
          g.save()
          g.beginPath()
          g.rect(x0, top + row * ROW_H, w, ROW_H)
          g.clip()
          g.fillText(count > 1 ? `${meta.names[name]} +${count - 1}` : meta.names[name], x0 + 3, top + row * ROW_H + 12)
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
      const pts = win?.counters[ci] ?? []
      const scale = counter.max > 0 ? (COUNTER_H - 4) / counter.max : 0
      g.fillStyle = 'rgba(60, 207, 145, 0.55)'
      let i = Math.max(0, lowerBound(pts, view.t0) - 1)
      for (; i < pts.length && pts[i][0] <= view.t1; i++) {
        const x0 = Math.max(LABEL_W, xOf(pts[i][0]))
        const x1 = Math.min(width, i + 1 < pts.length ? xOf(pts[i + 1][0]) : width)
        if (x1 < LABEL_W) continue
        let v = pts[i][1]
        while (i + 1 < pts.length && xOf(pts[i + 1][0]) < x0 + 1) v = Math.max(v, pts[++i][1])
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
    if (showFlows && win?.flows) {
      // Flow arrows whose span overlaps the view: CPU launch -> GPU kernel, forward -> backward.
      g.strokeStyle = 'rgba(245, 165, 36, 0.8)'
      g.fillStyle = 'rgba(245, 165, 36, 0.9)'
      g.lineWidth = 1
      for (const [a, ta, da, b, tb, db] of win.flows) {
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
      const [start, dur, , , row] = selected.slice
      const x0 = Math.max(LABEL_W, xOf(start))
      const w = Math.max(2, Math.min(width, xOf(start + dur)) - x0)
      g.strokeStyle = '#ffffff'
      g.lineWidth = 2
      g.strokeRect(x0, top + row * ROW_H + 1, w, ROW_H - 2)
    }
    setDrawMs(performance.now() - began)
  }, [meta, win, layout, view, width, height, selected, matchNames, xOf, showFlows, counters])

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
    const ti = layout.findIndex((l, i) => y >= l.top && y < l.top + meta.tracks[i].depth * ROW_H)
    if (ti < 0 || !win) return setSelected(null)
    const row = Math.floor((y - layout[ti].top) / ROW_H)
    // The slice at this row covering t (within a pixel's time, for tiny ones).
    const slack = (view.t1 - view.t0) / (width - LABEL_W)
    const hit: WindowSlice | undefined = win.tracks[ti].filter((s) => s[4] === row && s[0] - slack <= t && t <= s[0] + s[1] + slack).pop()
    if (hit && hit[5] > 1) {
      // A block of merged events: zoom to it (its members show once they are a pixel apart).
      setSelected(null)
      return setView({ t0: hit[0] - hit[1] * 0.05, t1: hit[0] + hit[1] * 1.05 })
    }
    setSelected(hit ? { track: ti, slice: hit } : null)
  }
  const focus = (m: TimelineMatch) => {
    setSelected(m)
    const pad = Math.max(m.slice[1], 1)
    setView({ t0: m.slice[0] - pad, t1: m.slice[0] + 2 * pad })
  }
  const matchList = search?.query === query ? search.matches : []
  const nextMatch = () => {
    if (!matchList.length) return
    const i = matchList.findIndex((m) => sameSlice(m, selected))
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
    ? { x: (Math.max(LABEL_W, xOf(sel.slice[0])) + Math.min(width, xOf(sel.slice[0] + sel.slice[1]))) / 2, y: layout[sel.track].top + sel.slice[4] * ROW_H + ROW_H / 2 }
    : null
  const viewKey = `${view.t0.toFixed(3)}:${view.t1.toFixed(3)}`
  return (
    <div className="card wide timeline" data-testid="timeline">
      <h2>Timeline</h2>
      <div className="timeline-bar">
        <input aria-label="search events" placeholder="search by name" value={query} onChange={(e) => setQuery(e.target.value)} />
        {search && search.query === query && (
          <>
            <span className="muted" data-testid="match-count">
              {search.total.toLocaleString('en-US')} matches{search.total > matchList.length ? ` (stepping through the first ${matchList.length.toLocaleString('en-US')})` : ''}
            </span>
            <button onClick={nextMatch} disabled={!matchList.length}>
              Next match
            </button>
          </>
        )}
        <button onClick={() => setView({ t0: 0, t1: Math.max(1, meta.end) })}>Reset zoom</button>
        <label className="inline">
          <input type="checkbox" aria-label="show flows" checked={showFlows} onChange={(e) => setShowFlows(e.target.checked)} /> flows ({meta.flows.count.toLocaleString('en-US')})
        </label>
        {showFlows && win && !win.flows && <span className="muted small">too many flows here to draw: zoom in</span>}
        <span className="muted small">
          {(view.t1 - view.t0).toFixed(1)} µs shown · {meta.events.toLocaleString('en-US')} events · wheel or W/S to zoom, drag or A/D to pan, click to select (a merged block: zoom to it)
        </span>
      </div>
      <div className="timeline-scroll">
        <canvas
          ref={canvas}
          tabIndex={0}
          aria-label="trace timeline"
          data-testid="timeline-canvas"
          data-view={viewKey}
          data-ready={win ? `${win.t0.toFixed(3)}:${win.t1.toFixed(3)}` : ''}
          data-level={win?.level}
          data-draw-ms={drawMs.toFixed(2)}
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
          <b>{meta.names[sel.slice[2]]}</b>
          <span className="muted">
            {' '}
            · {meta.cats[sel.slice[3]] || '(no category)'} · {meta.tracks[sel.track].label} · start {sel.slice[0].toFixed(3)} µs · duration {sel.slice[1].toFixed(3)} µs
          </span>
          {args && <pre className="json">{JSON.stringify(args, null, 2)}</pre>}
        </div>
      )}
    </div>
  )
}
