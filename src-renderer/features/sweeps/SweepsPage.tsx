// Sweeps: paste or edit a W&B sweep config (validated as you type, errors name
// the key), choose the model, task and fixed options, launch; then the live
// trials table, the best run, a parallel-coordinates chart, parameter
// importance, and "fine-tune with the best configuration".
import { useEffect, useMemo, useState } from 'react'
import type { SweepDetail, SweepValidation } from '../../../src-main/contract/types'
import { GLUE_TASK_IDS } from '../../../src-main/engine/data/tasks'
import seedSweep from '../../../resources/sweeps/seed-study.yaml?raw'
import { useAppStore } from '../../app/store'
import { api } from '../../lib/api'
import { useFinetuneStore, type FormState } from '../finetune/store'
import { useLibraryStore } from '../library/store'

// "eval/latency_ms:minimize, model/trainable_params" -> objectives (minimize by default).
function parseObjectives(text: string): { name: string; goal: 'minimize' | 'maximize' }[] | undefined {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, goal] = s.split(':')
      return { name: name.trim(), goal: goal?.trim() === 'maximize' ? ('maximize' as const) : ('minimize' as const) }
    })
  return list.length ? list : undefined
}

const show = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : typeof v === 'string' ? v : JSON.stringify(v))

// "maxSteps=50\nlimitTrain=256" -> { maxSteps: 50, limitTrain: 256 }
function parseFixed(text: string): Record<string, unknown> {
  return Object.fromEntries(
    text
      .split(/[\n,]/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [k, ...v] = l.split('=')
        const raw = v.join('=').trim()
        return [k.trim(), raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw]
      }),
  )
}

export function SweepsPage() {
  const model = useLibraryStore((s) => s.model?.dir ?? '')
  const dataset = useLibraryStore((s) => s.dataset)
  const [text, setText] = useState(seedSweep)
  const [check, setCheck] = useState<SweepValidation | null>(null)
  const [modelDir, setModelDir] = useState(model)
  const [task, setTask] = useState(dataset?.task ?? 'mrpc')
  const [data, setData] = useState(dataset?.task ? dataset.dir : '')
  const [fixed, setFixed] = useState('maxSteps=50\nevalEvery=10')
  const system = useAppStore((s) => s.system)
  // As the CLI: half the cores, at most one trial per 2 GiB (of total memory here), at least one.
  const [parallel, setParallel] = useState(system ? Math.max(1, Math.min(Math.floor(system.platform.cores / 2), Math.floor(system.platform.memoryBytes / 2 ** 32))) : 1)
  const [objectives, setObjectives] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [sweeps, setSweeps] = useState<{ id: number; name: string; method: string; status: string; trials: number }[]>([])
  const [selected, setSelected] = useState<number | null>(null)
  const [detail, setDetail] = useState<SweepDetail | null>(null)

  useEffect(() => {
    const t = setTimeout(() => void api.call('sweeps.validate', { text }).then(setCheck), 250)
    return () => clearTimeout(t)
  }, [text])
  const refresh = async () => {
    setSweeps(await api.call('sweeps.list', {}))
    if (selected !== null) setDetail(await api.call('sweeps.get', { id: selected, objectives: parseObjectives(objectives) }))
  }
  useEffect(() => {
    void refresh()
    const timer = setInterval(() => void refresh(), 2000)
    return () => clearInterval(timer)
  }, [selected, objectives]) // eslint-disable-line react-hooks/exhaustive-deps

  const launch = async () => {
    setError(null)
    try {
      const settings = { ...parseFixed(fixed), model: modelDir, task, ...(data ? { data } : {}) }
      const { sweepId } = await api.call('sweeps.start', { text, name: check?.metric ? `sweep ${check.method}` : 'sweep', settings, parallel })
      setSelected(sweepId)
      await refresh()
    } catch (err) {
      setError((err as Error).message)
    }
  }
  return (
    <section className="page sweeps-page">
      <h1>Sweeps</h1>
      <div className="card wide">
        <h2>Config (W&B sweep YAML or JSON)</h2>
        <textarea aria-label="sweep config" className="config" rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        {check && (
          <p className={check.ok ? 'muted' : 'error'} data-testid="sweep-check">
            {check.ok
              ? `ok · ${check.method} over ${check.parameters.map((p) => `${p.name} → ${p.option}`).join(', ')} · ${check.trials ?? 'unlimited'} trials${check.metric ? ` · ${check.metric.goal} ${check.metric.name}` : ''}${check.bands ? ` · hyperband brackets ${check.bands.join(', ')}` : ''}`
              : check.error}
          </p>
        )}
        <div className="form-grid">
          <label>
            Model folder
            <input aria-label="sweep model" value={modelDir} onChange={(e) => setModelDir(e.target.value)} placeholder="open one on the Models page" />
          </label>
          <label>
            Task
            <select aria-label="sweep task" value={task} onChange={(e) => setTask(e.target.value)}>
              {GLUE_TASK_IDS.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            Dataset folder
            <input aria-label="sweep data" value={data} onChange={(e) => setData(e.target.value)} placeholder="default: the hub cache" />
          </label>
          <label>
            Fixed trainer options (key=value per line)
            <textarea aria-label="fixed options" rows={3} value={fixed} onChange={(e) => setFixed(e.target.value)} />
          </label>
          <label>
            Trials at once
            <input aria-label="parallel trials" type="number" min={1} max={64} value={parallel} onChange={(e) => setParallel(Number(e.target.value))} />
          </label>
        </div>
        <button className="primary" disabled={!check?.ok || !modelDir} onClick={() => void launch()}>
          Launch sweep
        </button>
        {error && <p className="error">{error}</p>}
      </div>
      {sweeps.length > 0 && (
        <div className="card wide">
          <h2>Sweeps</h2>
          <table className="plain">
            <tbody>
              {sweeps.map((s) => (
                <tr key={s.id} data-sweep={s.id} className={s.id === selected ? 'selected' : ''} onClick={() => setSelected(s.id)} style={{ cursor: 'pointer' }}>
                  <td>{s.id}</td>
                  <td>{s.name}</td>
                  <td>{s.method}</td>
                  <td>
                    <span className={`status status-${s.status === 'finished' ? 'completed' : s.status === 'running' ? 'running' : 'cancelled'}`}>{s.status}</span>
                  </td>
                  <td>{s.trials} trials</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {detail && (
        <label className="inline">
          Extra objectives for a Pareto front
          <input aria-label="extra objectives" value={objectives} placeholder="eval/latency_ms:minimize, model/trainable_params:minimize" onChange={(e) => setObjectives(e.target.value)} />
        </label>
      )}
      {detail && <SweepView detail={detail} />}
    </section>
  )
}

function SweepView({ detail }: { detail: SweepDetail }) {
  const goTo = useAppStore((s) => s.goTo)
  const fineTuneBest = () => {
    if (!detail.best) return
    const patch: Partial<FormState> = { ...(detail.settings as Partial<FormState>) }
    for (const [name, value] of Object.entries(detail.best.params)) (patch as Record<string, unknown>)[detail.options[name]] = value
    useFinetuneStore.getState().set(patch)
    goTo('finetune')
  }
  return (
    <div data-testid="sweep-view">
      <div className="card wide">
        <h2>
          Sweep {detail.id}: {detail.trials.length} trials · {detail.status}{' '}
          {detail.status !== 'finished' && !detail.trials.some((t) => t.status === 'running') && (
            <button className="small" onClick={() => void api.call('sweeps.resume', { id: detail.id })}>
              Resume
            </button>
          )}
        </h2>
        {detail.best ? (
          <p data-testid="sweep-best">
            Best: run {detail.best.runId}, {detail.metric?.name} {show(detail.best.metric)} with {Object.entries(detail.best.params).map(([k, v]) => `${k}=${show(v)}`).join(', ')}{' '}
            <button onClick={fineTuneBest}>Fine-tune with the best configuration</button>
          </p>
        ) : (
          <p className="muted">No finished trial yet.</p>
        )}
        <table className="plain" data-testid="trials">
          <thead>
            <tr>
              <th>Trial</th>
              <th>Run</th>
              {detail.parameters.map((p) => (
                <th key={p}>{p}</th>
              ))}
              <th>Status</th>
              <th>{detail.metric?.name ?? 'metric'}</th>
            </tr>
          </thead>
          <tbody>
            {detail.trials.map((t, i) => (
              <tr key={t.runId} data-trial-run={t.runId} className={detail.best?.runId === t.runId ? 'best-row' : ''}>
                <td>{i + 1}</td>
                <td>{t.runId}</td>
                {detail.parameters.map((p) => (
                  <td key={p}>{show(t.params[p])}</td>
                ))}
                <td>
                  <span className={`status status-${t.status === 'stopped' ? 'cancelled' : t.status}`}>{t.status}</span>
                </td>
                <td>
                  {t.metric === null ? '' : show(t.metric)} {detail.pareto?.includes(t.runId) && <span className="status status-completed">Pareto</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ParallelCoordinates detail={detail} />
      {detail.importance.length > 0 && (
        <div className="card wide" data-testid="importance">
          <h2>Parameter importance</h2>
          <p className="muted small">|Spearman correlation| with {detail.metric?.name} for numbers, the correlation ratio η for categories.</p>
          {detail.importance.map((x) => (
            <div key={x.name} className="importance-row">
              <span>{x.name}</span>
              <div className="importance-bar" style={{ width: `${Math.round(100 * x.score)}%` }} />
              <span className="muted">{x.score.toFixed(2)}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  )
}

// One vertical axis per parameter and one for the metric; a line per trial, colored by its metric.
function ParallelCoordinates({ detail }: { detail: SweepDetail }) {
  const axes = [...detail.parameters, detail.metric?.name ?? '']
  const trials = detail.trials.filter((t) => t.metric !== null)
  const W = 900
  const H = 260
  const pad = 40
  const scales = useMemo(
    () =>
      axes.map((axis, i) => {
        const values = trials.map((t) => (i === axes.length - 1 ? t.metric : t.params[axis]))
        if (values.every((v) => typeof v === 'number')) {
          const nums = values as number[]
          const logScale = nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) > 100
          const f = (v: number) => (logScale ? Math.log(v) : v)
          const lo = Math.min(...nums.map(f))
          const hi = Math.max(...nums.map(f))
          return (v: unknown) => H - pad - ((f(v as number) - lo) / (hi - lo || 1)) * (H - 2 * pad)
        }
        const cats = [...new Set(values.map((v) => JSON.stringify(v)))].sort()
        return (v: unknown) => H - pad - ((cats.indexOf(JSON.stringify(v)) + 0.5) / cats.length) * (H - 2 * pad)
      }),
    [detail], // eslint-disable-line react-hooks/exhaustive-deps
  )
  if (!trials.length) return null
  const x = (i: number) => pad + (i / Math.max(1, axes.length - 1)) * (W - 2 * pad)
  const ms = trials.map((t) => t.metric!)
  const [mlo, mhi] = [Math.min(...ms), Math.max(...ms)]
  const good = (m: number) => (detail.metric?.goal === 'maximize' ? (m - mlo) / (mhi - mlo || 1) : (mhi - m) / (mhi - mlo || 1))
  return (
    <div className="card wide" data-testid="parallel-coordinates">
      <h2>Parallel coordinates</h2>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H}>
        {axes.map((a, i) => (
          <g key={a}>
            <line x1={x(i)} x2={x(i)} y1={pad} y2={H - pad} stroke="#2a3240" />
            <text x={x(i)} y={H - 12} fill="#8a96a8" fontSize={11} textAnchor="middle">
              {a}
            </text>
          </g>
        ))}
        {trials.map((t) => (
          <polyline
            key={t.runId}
            className="pc-line"
            fill="none"
            strokeWidth={detail.best?.runId === t.runId ? 3 : 1.5}
            stroke={`hsl(${Math.round(120 * good(t.metric!))}, 70%, 55%)`}
            points={axes.map((a, i) => `${x(i)},${scales[i](i === axes.length - 1 ? t.metric : t.params[a])}`).join(' ')}
          >
            <title>{`run ${t.runId}: ${show(t.metric)}`}</title>
          </polyline>
        ))}
      </svg>
    </div>
  )
}
