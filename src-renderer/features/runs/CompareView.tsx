// Comparing runs: the parameters that differ (a toggle shows all), each metric's
// last and best value, and the curves overlaid with smoothing (debiased EMA or
// moving average) against step or wall time.
import { useEffect, useMemo, useState } from 'react'
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { MetricSeries, RunComparison } from '../../../src-main/contract/types'
import { api } from '../../lib/api'
import { emaDebiased, movingAverage } from './smoothing'

const COLORS = ['#4ea1ff', '#f5a524', '#3ccf91', '#e5484d', '#a78bfa', '#22d3ee', '#f472b6', '#a3e635']
const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(Number(v.toPrecision(5))) : typeof v === 'string' ? v : JSON.stringify(v))

export function CompareView({ ids, onClose }: { ids: number[]; onClose(): void }) {
  const [all, setAll] = useState(false)
  const [cmp, setCmp] = useState<RunComparison | null>(null)
  const [series, setSeries] = useState<Record<number, MetricSeries[]>>({})
  const [smoothing, setSmoothing] = useState<'none' | 'ema' | 'ma'>('ema')
  const [amount, setAmount] = useState(0.6)
  const [xAxis, setXAxis] = useState<'step' | 'epoch' | 'wallTime'>('step')
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    api.call('runs.compare', { ids, all }).then(setCmp, (e: Error) => setError(e.message))
  }, [ids, all])
  useEffect(() => {
    Promise.all(ids.map((id) => api.call('runs.metrics', { runId: id, maxPoints: 1000 }))).then(
      (list) => setSeries(Object.fromEntries(ids.map((id, i) => [id, list[i]]))),
      (e: Error) => setError(e.message),
    )
  }, [ids])

  // One chart per metric key: rows keyed by x, a column per run.
  const charts = useMemo(() => {
    const keys = [...new Set(Object.values(series).flatMap((s) => s.map((m) => m.key)))].sort()
    return keys.map((key) => {
      const rows = new Map<number, Record<string, number | null>>()
      ids.forEach((id) => {
        const m = series[id]?.find((x) => x.key === key)
        if (!m) return
        const start = m.points[0]?.wallTime ?? 0
        // Epochs come from the run's own train/epoch series (fine-tunes log it every step).
        const epochOf = new Map((series[id]?.find((x) => x.key === 'train/epoch')?.points ?? []).map((p) => [p.step, p.value]))
        if (xAxis === 'epoch' && !epochOf.size) return
        const pts = smoothing === 'ema' ? emaDebiased(m.points, amount) : smoothing === 'ma' ? movingAverage(m.points, Math.max(1, Math.round(amount * 20))) : m.points
        for (const p of pts) {
          const x = xAxis === 'step' ? p.step : xAxis === 'epoch' ? Number((epochOf.get(p.step) ?? NaN).toFixed(4)) : Number((p.wallTime - start).toFixed(3))
          if (!Number.isFinite(x)) continue
          rows.set(x, { ...(rows.get(x) ?? { x }), [`run ${id}`]: p.value })
        }
      })
      return { key, data: [...rows.values()].sort((a, b) => (a.x as number) - (b.x as number)) }
    })
  }, [series, ids, smoothing, amount, xAxis])

  return (
    <div className="card wide compare" data-testid="compare">
      <header className="page-header">
        <h2>Compare runs {ids.join(', ')}</h2>
        <button className="small" onClick={onClose}>
          Close
        </button>
      </header>
      {error && <p className="error">{error}</p>}
      {cmp && (
        <>
          <label className="inline">
            <input type="checkbox" aria-label="show all parameters" checked={all} onChange={(e) => setAll(e.target.checked)} /> show all parameters
            {!all && cmp.hiddenSameParams > 0 && <span className="muted"> ({cmp.hiddenSameParams} identical ones hidden)</span>}
          </label>
          <table className="plain" data-testid="compare-params">
            <thead>
              <tr>
                <th>Parameter</th>
                {cmp.runs.map((r) => (
                  <th key={r.id}>run {r.id}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {cmp.params.map((p) => (
                <tr key={p.key} data-param={p.key} className={p.differs ? 'differs' : ''}>
                  <td>{p.key}</td>
                  {p.values.map((v, i) => (
                    <td key={i}>{show(v)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <table className="plain" data-testid="compare-metrics">
            <thead>
              <tr>
                <th>Metric (last / best)</th>
                {cmp.runs.map((r) => (
                  <th key={r.id}>run {r.id}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {cmp.metrics.map((m) => {
                const bests = m.best.filter((b): b is number => b !== null)
                const winner = bests.length ? (m.lowerIsBetter ? Math.min(...bests) : Math.max(...bests)) : null
                return (
                  <tr key={m.key}>
                    <td>{m.key}</td>
                    {m.last.map((v, i) => (
                      <td key={i} className={m.best[i] === winner ? 'best' : ''}>
                        {show(v)} / {show(m.best[i])}
                      </td>
                    ))}
                  </tr>
                )
              })}
            </tbody>
          </table>
        </>
      )}
      <div className="timeline-bar">
        <select aria-label="smoothing" value={smoothing} onChange={(e) => setSmoothing(e.target.value as typeof smoothing)}>
          <option value="none">no smoothing</option>
          <option value="ema">EMA (debiased)</option>
          <option value="ma">moving average</option>
        </select>
        {smoothing !== 'none' && (
          <input aria-label="smoothing amount" type="range" min={0} max={0.99} step={0.01} value={amount} onChange={(e) => setAmount(Number(e.target.value))} />
        )}
        <select aria-label="x axis" value={xAxis} onChange={(e) => setXAxis(e.target.value as typeof xAxis)}>
          <option value="step">step</option>
          <option value="epoch">epoch</option>
          <option value="wallTime">wall time (s)</option>
        </select>
      </div>
      <div className="charts">
        {charts.map((c) => (
          <figure className="chart" key={c.key} data-metric={c.key}>
            <figcaption>{c.key}</figcaption>
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={c.data} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#2a3240" />
                <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} stroke="#8a96a8" fontSize={12} />
                <YAxis stroke="#8a96a8" fontSize={12} width={72} tickFormatter={(v: number) => v.toPrecision(3)} />
                <Tooltip contentStyle={{ background: '#141a23', border: '1px solid #2a3240' }} />
                <Legend />
                {ids.map((id, i) => (
                  <Line key={id} type="linear" dataKey={`run ${id}`} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} connectNulls />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </figure>
        ))}
      </div>
    </div>
  )
}
