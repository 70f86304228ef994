// Quantize & export: write an int8 / nf4 / fp16 / bf16 model folder, compare the model's size
// under every policy (a chart), and export a model or fine-tune run as a merged folder, a PEFT
// adapter or ONNX (each checked against the workbench's logits).
import { useEffect, useState } from 'react'
import type { JobSpec } from '../../../src-main/contract/commands'
import { EXPORT_FORMATS } from '../../../src-main/contract/export'
import { checkpointOfRun } from '../../../src-main/contract/run-checkpoint'
import { QUANT_MODES } from '../../../src-main/engine/quant/policy'
import type { SizeRow } from '../../../src-main/engine/quant/size-report'
import { api } from '../../lib/api'
import { BarChartFigure } from '../../shared/charts/BarChartFigure'
import { JobResultView } from '../../shared/components/JobResultView'
import { useLibraryStore } from '../library/store'

const mib = (b: unknown) => `${(Number(b) / 2 ** 20).toFixed(2)} MiB`

function useStarter(): [number | null, string | null, (spec: JobSpec) => Promise<void>] {
  const [runId, setRunId] = useState<number | null>(null)
  const [error, setError] = useState<string | null>(null)
  const start = async (spec: JobSpec) => {
    setError(null)
    try {
      setRunId((await api.call('jobs.start', spec)).runId)
    } catch (err) {
      setError((err as Error).message)
    }
  }
  return [runId, error, start]
}

function QuantizeCard({ model }: { model: string }) {
  const [mode, setMode] = useState<(typeof QUANT_MODES)[number]>('nf4')
  const [doubleQuant, setDoubleQuant] = useState(true)
  const [emb8, setEmb8] = useState(false)
  const [out, setOut] = useState('')
  const [runId, error, start] = useStarter()
  const target = out || (model ? `${model}-${mode}${emb8 ? '-emb8' : ''}` : '')
  return (
    <div className="card wide">
      <h2>Quantize a model</h2>
      <div className="form-grid">
        <label>
          Mode
          <select aria-label="Mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
            {QUANT_MODES.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Output folder
          <input aria-label="Output folder" value={target} onChange={(e) => setOut(e.target.value)} />
        </label>
      </div>
      {mode === 'nf4' && (
        <label className="inline">
          <input type="checkbox" aria-label="double quantization" checked={doubleQuant} onChange={(e) => setDoubleQuant(e.target.checked)} /> double quantization (int8 absmaxes, as QLoRA)
        </label>
      )}
      <label className="inline">
        <input type="checkbox" aria-label="int8 word embeddings" checked={emb8} onChange={(e) => setEmb8(e.target.checked)} /> word embeddings in int8
      </label>
      <p className="muted small">Linear layers of the encoder and the pooler are quantized (int8 per output channel, or nf4 in blocks of 64); the classifier and everything else is stored in fp16 (bf16 in bf16 mode).</p>
      <button
        disabled={!model}
        onClick={() => void start({ kind: 'quantize', params: { model, out: target, mode, doubleQuant: mode === 'nf4' && doubleQuant, embeddings: emb8 ? 'int8' : 'same', overwrite: false } })}
      >
        Quantize
      </button>
      {error && <p className="error">{error}</p>}
      <JobResultView runId={runId}>
        {(s) => (
          <p data-testid="quantize-result">
            Wrote <code>{String(s.out)}</code>: {mib(s.disk_bytes)}, {Number(s.ratio).toFixed(2)}× smaller than {mib(s.source_bytes)}. Score it with <code>tbw eval --model {String(s.out)} --task mrpc</code>, or benchmark it on the Benchmarks page.
          </p>
        )}
      </JobResultView>
    </div>
  )
}

function SizesCard({ model }: { model: string }) {
  const [runId, error, start] = useStarter()
  return (
    <div className="card wide">
      <h2>Size under every policy</h2>
      <button disabled={!model} onClick={() => void start({ kind: 'size-report', params: { model } })}>
        Measure sizes
      </button>
      {error && <p className="error">{error}</p>}
      <JobResultView runId={runId}>
        {(s) => {
          const rows = s.rows as SizeRow[]
          const seed = s.seedQlora as { totalMiB: number; loraParams: number }
          return (
            <div data-testid="size-report">
              <BarChartFigure title="Size on disk (MiB) by policy" chart="sizes" data={rows.map((r) => ({ policy: r.policy, count: Number(r.diskMiB.toFixed(2)) }))} x="policy" color="#7aa2f7" />
              <table className="runs-table">
                <thead>
                  <tr>
                    <th>policy</th>
                    <th>weights MiB</th>
                    <th>on disk MiB</th>
                    <th>in memory MiB</th>
                    <th>what</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.policy}>
                      <td>{r.policy}</td>
                      <td>{r.weightsMiB.toFixed(2)}</td>
                      <td>{r.diskMiB.toFixed(2)}</td>
                      <td>{r.memoryMiB.toFixed(2)}</td>
                      <td className="muted small">{r.description}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="muted small">
                The seed study's 21.19 MB is its QLoRA model as Hugging Face counts it: the bnb-nf4 weights plus {seed.loraParams.toLocaleString('en-US')} fp32 LoRA parameters and the fp16 classifier copy = {seed.totalMiB.toFixed(2)} MiB here.
              </p>
            </div>
          )
        }}
      </JobResultView>
    </div>
  )
}

function ExportCard({ model }: { model: string }) {
  const [format, setFormat] = useState<(typeof EXPORT_FORMATS)[number]>('onnx')
  const [source, setSource] = useState<'model' | 'run'>('model')
  const [runText, setRunText] = useState('')
  const [out, setOut] = useState('')
  const [prepError, setPrepError] = useState<string | null>(null)
  const [runId, error, start] = useStarter()
  const go = async () => {
    setPrepError(null)
    let checkpoint: string | undefined
    if (source === 'run') {
      try {
        checkpoint = checkpointOfRun(await api.call('runs.get', { id: Number(runText) }))
      } catch (err) {
        return setPrepError((err as Error).message)
      }
    }
    const dest = out || `${checkpoint ?? model}-export${format.startsWith('onnx') ? `/${format}.onnx` : `-${format}`}`
    await start({ kind: 'export', params: { format, model: source === 'model' ? model : undefined, checkpoint, out: dest, overwrite: false } })
  }
  return (
    <div className="card wide">
      <h2>Export</h2>
      <div className="form-grid">
        <label>
          Format
          <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as typeof format)}>
            {EXPORT_FORMATS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <select aria-label="Export source" value={source} onChange={(e) => setSource(e.target.value as 'model' | 'run')}>
            <option value="model">the model folder above</option>
            <option value="run">a fine-tune run</option>
          </select>
        </label>
        {source === 'run' && (
          <label>
            Run id
            <input aria-label="Run id" value={runText} onChange={(e) => setRunText(e.target.value)} />
          </label>
        )}
        <label>
          Output path
          <input aria-label="Export output" value={out} placeholder="default: beside the source" onChange={(e) => setOut(e.target.value)} />
        </label>
      </div>
      <p className="muted small">merged: an HF folder with LoRA merged into the weights; peft: adapter_config.json + adapter_model.safetensors; onnx / onnx-int8 / onnx-int4: checked in ONNX Runtime against the workbench's logits.</p>
      <button disabled={source === 'model' ? !model : !runText} onClick={() => void go()}>
        Export
      </button>
      {(error || prepError) && <p className="error">{error ?? prepError}</p>}
      <JobResultView runId={runId}>
        {(s) => (
          <p data-testid="export-result">
            Wrote <code>{String(s.out)}</code> ({mib(s.bytes)}).{' '}
            {s.max_abs_diff !== undefined && (
              <>
                Largest logit difference from the workbench: <strong>{Number(s.max_abs_diff).toExponential(2)}</strong> ({String(s.checked_with)}).
              </>
            )}
          </p>
        )}
      </JobResultView>
    </div>
  )
}

export function QuantizePage() {
  const opened = useLibraryStore((s) => s.model?.dir)
  const [model, setModel] = useState('')
  useEffect(() => {
    if (!model && opened) setModel(opened)
  }, [opened]) // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <section className="page quantize-page">
      <h1>Quantize & export</h1>
      <div className="card wide">
        <label>
          Model folder (fp32)
          <input aria-label="Model folder" value={model} placeholder="open one on the Models page, or type a path" onChange={(e) => setModel(e.target.value)} />
        </label>
      </div>
      <QuantizeCard model={model} />
      <SizesCard model={model} />
      <ExportCard model={model} />
    </section>
  )
}
