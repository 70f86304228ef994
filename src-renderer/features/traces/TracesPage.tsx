// Traces: import PyTorch profiler (Kineto) or other Chrome traces (streamed in a
// job with progress), then read their summary, the operator table (like
// torch.profiler's key_averages: calls, self/total CPU time, device time) and
// the kernel table, and diff two traces' operator tables.
import { useCallback, useEffect, useMemo, useState } from 'react'
import type { RunSummary } from '../../../src-main/contract/types'
import type { KernelRow, OpRow, TraceSummary } from '../../../src-main/engine/traces/analyze'
import { useAppStore } from '../../app/store'
import { api } from '../../lib/api'
import { formatCount } from '../../lib/format'
import { BarChartFigure } from '../../shared/charts/BarChartFigure'
import { PathForm } from '../library/PathForm'
import { TimelineView } from './TimelineView'
import { useRunsStore } from '../runs/store'
import type { TimelineMeta } from '../../../src-main/engine/traces/timeline-format'

interface StoredTrace {
  file: string
  bytes: number
  summary: TraceSummary
  ops: OpRow[]
  kernels: KernelRow[]
  source_run?: number | null // the run that recorded it
}

const ms = (us: number) => (us / 1000).toFixed(3)
const fileName = (r: RunSummary) => String((r.summary as { file?: string }).file ?? r.name).split(/[\\/]/).pop()

export function TracesPage() {
  const [runs, setRuns] = useState<RunSummary[]>([])
  const [selected, setSelected] = useState<number | null>(useAppStore.getState().traceToOpen)
  const [other, setOther] = useState<number | null>(null)
  const [trace, setTrace] = useState<StoredTrace | null>(null)
  const [timeline, setTimeline] = useState<TimelineMeta | null>(null)
  const [otherTrace, setOtherTrace] = useState<StoredTrace | null>(null)
  const [error, setError] = useState<string | null>(null)
  const upsertJob = useAppStore((s) => s.upsertJob)
  const jobs = useAppStore((s) => s.jobs)

  const refresh = useCallback(async () => setRuns(await api.call('runs.list', { kind: 'trace-import', limit: 500 })), [])
  // Refresh when an import finishes (its job leaves the jobs panel state).
  const running = Object.values(jobs).filter((j) => j.status === 'running').length
  useEffect(() => void refresh(), [refresh, running])

  const load = async (id: number | null, set: (t: StoredTrace | null) => void) => {
    if (id === null) return set(null)
    const run = await api.call('runs.get', { id })
    set(run.status === 'completed' ? (run.summary as unknown as StoredTrace) : null)
  }
  // Reload when the selection changes or its import finishes.
  const selectedStatus = runs.find((r) => r.id === selected)?.status
  const otherStatus = runs.find((r) => r.id === other)?.status
  useEffect(() => void load(selected, setTrace), [selected, selectedStatus])
  useEffect(() => {
    setTimeline(null)
    if (selected !== null && selectedStatus === 'completed') api.call('traces.timeline', { runId: selected }).then(setTimeline, () => setTimeline(null))
  }, [selected, selectedStatus])
  useEffect(() => void load(other, setOtherTrace), [other, otherStatus])

  const importFile = async (file: string) => {
    setError(null)
    try {
      const { runId } = await api.call('jobs.start', { kind: 'trace-import', params: { file }, name: `trace ${file.split(/[\\/]/).pop()}` })
      upsertJob(runId, { label: `Importing ${file.split(/[\\/]/).pop()} (run ${runId})` })
      setSelected(runId)
      await refresh()
    } catch (err) {
      setError((err as Error).message)
    }
  }

  const selectedRun = runs.find((r) => r.id === selected)
  return (
    <section className="page traces-page">
      <h1>Traces</h1>
      <div className="card wide">
        <PathForm label="Trace file" initial="" busy={false} action="Import" placeholder="/path/to/trace.pt.trace.json (.json, .json.gz)" onSubmit={(p) => void importFile(p)} />
        {error && <p className="error">{error}</p>}
        {runs.length > 0 && (
          <table className="plain" data-testid="trace-list">
            <thead>
              <tr>
                <th>Run</th>
                <th>File</th>
                <th>Status</th>
                <th>Events</th>
                <th>Device</th>
                <th>Compare</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const sum = (r.summary as { summary?: TraceSummary }).summary
                return (
                  <tr key={r.id} className={r.id === selected ? 'selected' : ''} data-trace-run={r.id} onClick={() => setSelected(r.id)}>
                    <td>{r.id}</td>
                    <td>{fileName(r)}</td>
                    <td>
                      <span className={`status status-${r.status}`}>{r.status}</span> {r.error ?? ''}
                    </td>
                    <td>{sum ? formatCount(sum.events) : ''}</td>
                    <td>{sum?.device ?? ''}</td>
                    <td onClick={(e) => e.stopPropagation()}>
                      <input type="radio" name="compare" aria-label={`compare with run ${r.id}`} checked={other === r.id} onChange={() => setOther(r.id)} />
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </div>
      {selectedRun?.status === 'failed' && <p className="error">{selectedRun.error}</p>}
      {trace && timeline && selected !== null && <TimelineView key={selected} runId={selected} meta={timeline} />}
      {trace && <TraceView trace={trace} />}
      {trace && otherTrace && other !== selected && <OpDiff a={trace} b={otherTrace} />}
    </section>
  )
}

function TraceView({ trace }: { trace: StoredTrace }) {
  const s = trace.summary
  const cats = Object.entries(s.by_cat)
    .map(([cat, count]) => ({ cat, count }))
    .sort((a, b) => b.count - a.count)
  return (
    <div data-testid="trace-view">
      <div className="card wide">
        <h2>{trace.file}</h2>
        {trace.source_run ? (
          <p>
            Recorded by run {trace.source_run}.{' '}
            <button
              onClick={() => {
                void useRunsStore.getState().select(trace.source_run!)
                useAppStore.getState().goTo('runs')
              }}
            >
              Open run {trace.source_run} in Runs
            </button>
          </p>
        ) : null}
        <dl className="facts">
          {(
            [
              ['Events', formatCount(s.events)],
              ['Processes / threads', `${s.processes} / ${s.threads}`],
              ['Device', s.device ?? 'CPU only'],
              ['GPU kernel time', `${ms(s.kernel_total_us)} ms`],
              ['CUDA flows (ac2g)', `${s.flows.ac2g_start} starts / ${s.flows.ac2g_finish} finishes`],
              ['Phases', Object.entries(s.by_ph).map(([k, v]) => `${k} ${v}`).join(', ')],
              ...(s.gpu
                ? ([
                    ['GPU idle', s.gpu.devices.map((d) => `${(100 * d.idle_share).toFixed(1)}% of ${ms(d.window_us)} ms (device ${d.pid})`).join('; ')],
                    [
                      'Launch → kernel start',
                      s.gpu.launch_delay_us ? `median ${s.gpu.launch_delay_us.median.toFixed(1)} µs, max ${s.gpu.launch_delay_us.max.toFixed(1)} µs over ${s.gpu.launches} launches` : '—',
                    ],
                    ['Launch call (CPU)', s.gpu.launch_call_us ? `mean ${s.gpu.launch_call_us.mean.toFixed(1)} µs` : '—'],
                  ] as const)
                : []),
            ] as const
          ).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd data-fact={k}>{v}</dd>
            </div>
          ))}
        </dl>
        <BarChartFigure title="Events by category" chart="categories" data={cats} x="cat" color="#4ea1ff" height={200} />
      </div>
      <OpTable ops={trace.ops} />
      {trace.kernels.length > 0 && <KernelTable kernels={trace.kernels} />}
    </div>
  )
}

type OpKey = 'name' | 'calls' | 'self_us' | 'total_us' | 'avg_us' | 'device_us'

function OpTable({ ops }: { ops: OpRow[] }) {
  const [sort, setSort] = useState<OpKey>('self_us')
  const [filter, setFilter] = useState('')
  const rows = useMemo(
    () =>
      ops
        .filter((o) => o.name.toLowerCase().includes(filter.toLowerCase()))
        .sort((a, b) => (sort === 'name' ? a.name.localeCompare(b.name) : (b[sort] as number) - (a[sort] as number))),
    [ops, sort, filter],
  )
  const th = (k: OpKey, label: string) => (
    <th className="sortable" onClick={() => setSort(k)} aria-sort={sort === k ? 'descending' : 'none'}>
      {label}
    </th>
  )
  return (
    <div className="card wide" data-testid="op-table">
      <h2>Operators ({ops.length})</h2>
      <input aria-label="filter operators" placeholder="filter by name" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <div className="table-scroll">
        <table className="plain">
          <thead>
            <tr>
              {th('name', 'Name')}
              <th>Self %</th>
              {th('self_us', 'Self CPU ms')}
              {th('total_us', 'CPU total ms')}
              {th('avg_us', 'CPU avg µs')}
              {th('device_us', 'Device ms')}
              {th('calls', 'Calls')}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, 200).map((o) => (
              <tr key={o.name} data-op={o.name}>
                <td>{o.name}</td>
                <td>{(100 * o.self_share).toFixed(1)}%</td>
                <td>{ms(o.self_us)}</td>
                <td>{ms(o.total_us)}</td>
                <td>{o.avg_us.toFixed(1)}</td>
                <td>{ms(o.device_us)}</td>
                <td>{o.calls}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function KernelTable({ kernels }: { kernels: KernelRow[] }) {
  return (
    <div className="card wide" data-testid="kernel-table">
      <h2>GPU kernels ({kernels.length})</h2>
      <div className="table-scroll">
        <table className="plain">
          <thead>
            <tr>
              <th>Kernel</th>
              <th>Calls</th>
              <th>Total ms</th>
              <th>Avg µs</th>
              <th>Share</th>
            </tr>
          </thead>
          <tbody>
            {kernels.slice(0, 200).map((k) => (
              <tr key={k.name}>
                <td className="mono">{k.name}</td>
                <td>{k.calls}</td>
                <td>{ms(k.total_us)}</td>
                <td>{k.avg_us.toFixed(1)}</td>
                <td>{(100 * k.share).toFixed(1)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

// Operator-table deltas: self CPU and device time of b minus a, largest changes first.
function OpDiff({ a, b }: { a: StoredTrace; b: StoredTrace }) {
  const rows = useMemo(() => {
    const names = new Set([...a.ops.map((o) => o.name), ...b.ops.map((o) => o.name)])
    const get = (t: StoredTrace, n: string) => t.ops.find((o) => o.name === n)
    return [...names]
      .map((name) => {
        const x = get(a, name)
        const y = get(b, name)
        return { name, selfA: x?.self_us ?? 0, selfB: y?.self_us ?? 0, devA: x?.device_us ?? 0, devB: y?.device_us ?? 0, callsA: x?.calls ?? 0, callsB: y?.calls ?? 0 }
      })
      .sort((p, q) => Math.abs(q.selfB - q.selfA) - Math.abs(p.selfB - p.selfA))
  }, [a, b])
  return (
    <div className="card wide" data-testid="op-diff">
      <h2>
        Diff: {b.file.split(/[\\/]/).pop()} − {a.file.split(/[\\/]/).pop()}
      </h2>
      <div className="table-scroll">
        <table className="plain">
          <thead>
            <tr>
              <th>Operator</th>
              <th>Self CPU ms (A → B)</th>
              <th>Δ self ms</th>
              <th>Device ms (A → B)</th>
              <th>Calls (A → B)</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, 100).map((r) => (
              <tr key={r.name} data-diff-op={r.name}>
                <td>{r.name}</td>
                <td>
                  {ms(r.selfA)} → {ms(r.selfB)}
                </td>
                <td className={r.selfB > r.selfA ? 'worse' : 'better'}>{(r.selfB - r.selfA >= 0 ? '+' : '') + ms(r.selfB - r.selfA)}</td>
                <td>
                  {ms(r.devA)} → {ms(r.devB)}
                </td>
                <td>
                  {r.callsA} → {r.callsB}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
