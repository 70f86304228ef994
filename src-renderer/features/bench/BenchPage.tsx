// Benchmarks: run the inference matrix (native fp32 flash / naive, int8, nf4 against ONNX Runtime
// fp32 / int8, batch x sequence) as a job, then read it as charts and a table. Opens on the
// latest completed bench run.
import { useEffect, useState } from 'react'
import { BENCH_VARIANTS, type BenchVariant } from '../../../src-main/contract/bench'
import { benchRatios } from '../../../src-main/engine/bench/bench-report'
import type { BenchRow, BenchSeq } from '../../../src-main/engine/bench/bench-variant'
import { useJobResults } from '../../app/job-results'
import { useAppStore } from '../../app/store'
import { api } from '../../lib/api'
import { useLibraryStore } from '../library/store'
import { LatencyByBatch, TradeOff } from './BenchCharts'

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean)

export function BenchPage() {
  const opened = useLibraryStore((s) => s.model?.dir)
  const dataset = useLibraryStore((s) => s.dataset)
  const [model, setModel] = useState('')
  const [data, setData] = useState('')
  const [variants, setVariants] = useState<BenchVariant[]>([...BENCH_VARIANTS])
  const [batches, setBatches] = useState('1,8,16,32,64,128')
  const [seqs, setSeqs] = useState('mrpc,128,512')
  const [iterations, setIterations] = useState(10)
  const [profileCalls, setProfileCalls] = useState(0)
  const [runId, setRunId] = useState<number | null>(null)
  const [error, setError] = useState<string | null>(null)
  const result = useJobResults((s) => (runId === null ? undefined : s.results[runId]))
  const [rows, setRows] = useState<BenchRow[]>([])
  const [seq, setSeq] = useState<BenchSeq>(128)
  const [batch, setBatch] = useState(32)

  useEffect(() => {
    if (!model && opened) setModel(opened)
    if (!data && dataset?.task === 'mrpc') setData(dataset.dir)
  }, [opened, dataset]) // eslint-disable-line react-hooks/exhaustive-deps

  // The run opened from the Runs page, else the latest completed bench run, until this page starts one.
  useEffect(() => {
    const asked = useAppStore.getState().benchToOpen
    if (asked !== null) {
      setRunId(asked)
      void useJobResults.getState().load(asked)
      return
    }
    void api.call('runs.list', { kind: 'bench', status: 'completed', limit: 1 }).then((r) => {
      if (r[0] && runId === null) {
        setRunId(r[0].id)
        void useJobResults.getState().load(r[0].id)
      }
    })
  }, []) // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const got = (result?.summary?.rows as BenchRow[] | undefined) ?? []
    setRows(got)
    if (got.length && !got.some((r) => r.seq === seq)) setSeq(got[0].seq)
    if (got.length && !got.some((r) => r.batch === batch)) setBatch(got[got.length - 1].batch)
  }, [result]) // eslint-disable-line react-hooks/exhaustive-deps

  const start = async () => {
    setError(null)
    try {
      const s = list(seqs).map((x) => (x === 'mrpc' ? 'mrpc' : Number(x)))
      const params = { model, data: data || undefined, variants, batches: list(batches).map(Number), seqs: s, iterations, profileActive: profileCalls }
      setRunId((await api.call('jobs.start', { kind: 'bench', params })).runId)
    } catch (err) {
      setError((err as Error).message)
    }
  }

  const seqOptions = [...new Set(rows.map((r) => String(r.seq)))]
  const batchOptions = [...new Set(rows.map((r) => r.batch))]
  return (
    <section className="page bench-page">
      <h1>Benchmarks</h1>
      <div className="card wide">
        <div className="form-grid">
          <label>
            Model folder (fp32)
            <input aria-label="Model folder" value={model} onChange={(e) => setModel(e.target.value)} />
          </label>
          <label>
            MRPC folder (dev accuracy, real lengths)
            <input aria-label="Dataset folder" value={data} placeholder="optional" onChange={(e) => setData(e.target.value)} />
          </label>
          <label>
            Batch sizes
            <input aria-label="Batch sizes" value={batches} onChange={(e) => setBatches(e.target.value)} />
          </label>
          <label>
            Sequences (lengths or mrpc)
            <input aria-label="Sequences" value={seqs} onChange={(e) => setSeqs(e.target.value)} />
          </label>
          <label>
            Timed calls per cell
            <input type="number" aria-label="Iterations" value={iterations} onChange={(e) => setIterations(Number(e.target.value))} />
          </label>
          <label title="After each native variant's first cell is timed: 1 call skipped, 1 warm-up, then this many calls recorded into a Chrome trace (Runs: Open its profile in Traces)">
            Profile calls (0: off)
            <input type="number" min={0} max={100} aria-label="Profile calls" value={profileCalls} onChange={(e) => setProfileCalls(Number(e.target.value))} />
          </label>
        </div>
        <div className="targets">
          Variants:{' '}
          {BENCH_VARIANTS.map((v) => (
            <label key={v} className="inline">
              <input type="checkbox" aria-label={`variant ${v}`} checked={variants.includes(v)} onChange={(e) => setVariants(e.target.checked ? [...variants, v] : variants.filter((x) => x !== v))} /> {v}
            </label>
          ))}
        </div>
        <p className="muted small">Each variant runs in its own process, one after another, on the same threads; ONNX Runtime runs the workbench's own fp32 and int8 ONNX exports with graph optimizations on.</p>
        <button disabled={!model || !variants.length} onClick={() => void start()}>
          Run benchmark
        </button>
        {error && <p className="error">{error}</p>}
        {result && result.status !== 'completed' && <p className={result.status === 'running' ? 'muted' : 'error'}>run {runId}: {result.status} {result.error ?? ''}</p>}
      </div>
      {rows.length > 0 && (
        <div data-testid="bench-results">
          <p className="muted small">
            Run {runId}; threads {String(result?.summary?.threads ?? '?')}.{' '}
            <label className="inline">
              sequence{' '}
              <select aria-label="Chart sequence" value={String(seq)} onChange={(e) => setSeq(e.target.value === 'mrpc' ? 'mrpc' : Number(e.target.value))}>
                {seqOptions.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>{' '}
            <label className="inline">
              batch{' '}
              <select aria-label="Chart batch" value={batch} onChange={(e) => setBatch(Number(e.target.value))}>
                {batchOptions.map((b) => (
                  <option key={b}>{b}</option>
                ))}
              </select>
            </label>
          </p>
          <div className="charts">
            <LatencyByBatch rows={rows} seq={seq} />
            <TradeOff rows={rows} seq={seq} batch={batch} />
          </div>
          <ul className="small">
            {benchRatios(rows)
              .filter((r) => r.seq === seq)
              .map((r) => (
                <li key={`${r.ours}-${r.batch}`}>
                  {r.ours} / {r.peer} at batch {r.batch}: <strong>{r.ratio.toFixed(3)}×</strong> latency{r.target !== null && ` (target ≤ ${r.target}: ${r.ratio <= r.target ? 'met' : 'not met'})`}
                </li>
              ))}
          </ul>
          <div className="table-scroll">
            <table className="runs-table" data-testid="bench-table">
              <thead>
                <tr>
                  {['variant', 'batch', 'seq', 'p50 ms', 'p95 ms', 'seq/s', 'peak RSS MB', 'weights MB', 'dev acc %', 'dev F1 %'].map((h) => (
                    <th key={h}>{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={`${r.variant}-${r.batch}-${r.seq}`}>
                    <td>{r.variant}</td>
                    <td>{r.batch}</td>
                    <td>{String(r.seq)}</td>
                    <td>{r.p50_ms.toFixed(2)}</td>
                    <td>{r.p95_ms.toFixed(2)}</td>
                    <td>{r.seq_per_s.toFixed(1)}</td>
                    <td>{r.peak_rss_mb.toFixed(0)}</td>
                    <td>{r.weights_mb.toFixed(1)}</td>
                    <td>{r.dev_accuracy === null ? '-' : (100 * r.dev_accuracy).toFixed(2)}</td>
                    <td>{r.dev_f1 === null ? '-' : (100 * r.dev_f1).toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  )
}
