// The Fine-tune wizard: model and data, method with its parameters (the seed
// study's defaults, and where they come from), training settings, an estimate
// of trainable parameters, memory and time, then the live run: progress, ETA,
// loss and accuracy curves, cancel, resume, and the finished run in Runs.
import { useEffect } from 'react'
import { SEED_DEFAULTS_SOURCE } from '../../../src-main/contract/finetune'
import { GLUE_TASK_IDS } from '../../../src-main/engine/data/tasks'
import { LORA_TARGETS, OPTIMIZERS, SCHEDULES, type LoraTarget } from '../../../src-main/engine/train/names'
import { useAppStore } from '../../app/store'
import { api } from '../../lib/api'
import { formatBytes, formatCount, formatEta } from '../../lib/format'
import { MetricChart } from '../../shared/charts/MetricChart'
import { ProgressBar } from '../../shared/components/ProgressBar'
import { useLibraryStore } from '../library/store'
import { useRunsStore } from '../runs/store'
import { useFinetuneStore, type FormState } from './store'

type Key = keyof FormState

function NumberField({ k, label, step = 'any' }: { k: Key; label: string; step?: string }) {
  const value = useFinetuneStore((s) => s.form[k]) as number | undefined
  const set = useFinetuneStore((s) => s.set)
  return (
    <label>
      {label}
      <input type="number" step={step} aria-label={label} value={value ?? ''} onChange={(e) => set({ [k]: e.target.value === '' ? undefined : Number(e.target.value) } as Partial<FormState>)} />
    </label>
  )
}

function SelectField({ k, label, options }: { k: Key; label: string; options: readonly string[] }) {
  const value = useFinetuneStore((s) => s.form[k]) as string
  const set = useFinetuneStore((s) => s.set)
  return (
    <label>
      {label}
      <select aria-label={label} value={value} onChange={(e) => set({ [k]: e.target.value } as Partial<FormState>)}>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  )
}

function CheckField({ k, label }: { k: Key; label: string }) {
  const value = useFinetuneStore((s) => s.form[k]) as boolean
  const set = useFinetuneStore((s) => s.set)
  return (
    <label className="inline">
      <input type="checkbox" aria-label={label} checked={!!value} onChange={(e) => set({ [k]: e.target.checked } as Partial<FormState>)} /> {label}
    </label>
  )
}

// cpu, or one of the GPUs the engine found; without one, why (on hover and below the select).
function DeviceField() {
  const value = useFinetuneStore((s) => s.form.device) ?? 'cpu'
  const set = useFinetuneStore((s) => s.set)
  const kernels = useAppStore((s) => s.system?.kernels)
  const cuda = kernels && !('error' in kernels) ? kernels.cuda : null
  const gpus = cuda?.devices ?? []
  return (
    <label title={gpus.length ? undefined : (cuda?.reason ?? 'the engine has not reported its GPUs')}>
      Device
      <select aria-label="Device" value={value} onChange={(e) => set({ device: e.target.value })}>
        <option value="cpu">cpu</option>
        {gpus.map((g) => (
          <option key={g.id} value={g.id}>
            {g.id} · {g.name}
          </option>
        ))}
      </select>
      {!gpus.length && <small data-testid="no-gpu">no GPU: {cuda?.reason ?? 'unknown'}</small>}
    </label>
  )
}

export function FinetunePage() {
  const { form, set, reset, estimate, estimateError, refreshEstimate, start, startError, run } = useFinetuneStore()
  const openedModel = useLibraryStore((s) => s.model?.dir)
  const openedData = useLibraryStore((s) => s.dataset)

  // Prefill from the Models and Datasets pages.
  useEffect(() => {
    if (!form.model && openedModel) set({ model: openedModel })
    if (!form.data && openedData?.task) set({ data: openedData.dir, task: openedData.task })
  }, [openedModel, openedData]) // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const t = setTimeout(() => void (form.model ? refreshEstimate() : undefined), 300)
    return () => clearTimeout(t)
  }, [form, refreshEstimate])

  const targets = (form.targetModules ?? []) as LoraTarget[]
  const toggleTarget = (t: LoraTarget, on: boolean) => set({ targetModules: on ? [...targets, t] : targets.filter((x) => x !== t) })

  return (
    <section className="page finetune-page">
      <h1>Fine-tune</h1>
      <p className="muted small" data-testid="seed-source">
        {SEED_DEFAULTS_SOURCE} <button className="small" onClick={reset}>Reset to the seed defaults</button>
      </p>
      <div className="card wide">
        <h2>1 · Model and data</h2>
        <div className="form-grid">
          <label>
            Model folder
            <input aria-label="Model folder" value={form.model} placeholder="open one on the Models page, or type a path" onChange={(e) => set({ model: e.target.value })} />
          </label>
          <SelectField k="task" label="Task" options={GLUE_TASK_IDS} />
          <label>
            Dataset folder
            <input aria-label="Dataset folder" value={form.data ?? ''} placeholder="default: the hub cache (tbw data pull glue/<task>)" onChange={(e) => set({ data: e.target.value || undefined })} />
          </label>
        </div>
      </div>
      <div className="card wide">
        <h2>2 · Method</h2>
        <div className="form-grid">
          <SelectField k="method" label="Method" options={['lora', 'full', 'qlora']} />
        </div>
        {form.method === 'qlora' && <p className="hint">QLoRA: the base's linear layers are quantized to nf4 (blocks of 64, double quantization) and frozen; LoRA trains on top, as in the seed study.</p>}
        {form.method !== 'full' && (
          <>
            <div className="form-grid">
              <NumberField k="loraR" label="LoRA r" step="1" />
              <NumberField k="loraAlpha" label="LoRA alpha" />
              <NumberField k="loraDropout" label="LoRA dropout" />
            </div>
            <div className="targets">
              Target modules:{' '}
              {LORA_TARGETS.map((t) => (
                <label key={t} className="inline">
                  <input type="checkbox" aria-label={`target ${t}`} checked={targets.includes(t)} onChange={(e) => toggleTarget(t, e.target.checked)} /> {t}
                </label>
              ))}
            </div>
            <CheckField k="rslora" label="rsLoRA scaling (alpha/√r)" />
            <CheckField k="trainPooler" label="also train the pooler" />
            <p className="muted small">The classifier is always trained (modules_to_save).</p>
          </>
        )}
      </div>
      <div className="card wide">
        <h2>3 · Training</h2>
        <div className="form-grid">
          <SelectField k="optimizer" label="Optimizer" options={OPTIMIZERS} />
          <NumberField k="lr" label="Learning rate" />
          <SelectField k="scheduler" label="Schedule" options={SCHEDULES} />
          <NumberField k="warmupRatio" label="Warmup ratio" />
          <NumberField k="weightDecay" label="Weight decay" />
          <NumberField k="batchSize" label="Batch size" step="1" />
          <NumberField k="gradAccum" label="Gradient accumulation" step="1" />
          <NumberField k="maxGradNorm" label="Max grad norm" />
          <NumberField k="maxSteps" label="Max steps" step="1" />
          <NumberField k="evalEvery" label="Evaluate every" step="1" />
          <NumberField k="saveEvery" label="Checkpoint every" step="1" />
          <NumberField k="earlyStoppingPatience" label="Early stopping patience" step="1" />
          <NumberField k="maxLength" label="Max length" step="1" />
          <SelectField k="attention" label="Attention" options={['flash', 'naive']} />
          <DeviceField />
          <SelectField k="precision" label="Precision (GPU)" options={['fp32', 'bf16', 'fp16']} />
          <NumberField k="seed" label="Seed" step="1" />
          <NumberField k="limitTrain" label="Use first N train examples" step="1" />
          <NumberField k="limitEval" label="Use first N eval examples" step="1" />
        </div>
      </div>
      <div className="card wide" data-testid="estimate">
        <h2>Before you start</h2>
        {estimateError && <p className="error">{estimateError}</p>}
        {estimate && (
          <p>
            Trainable parameters <b data-testid="trainable">{formatCount(estimate.trainableParams)}</b> of {formatCount(estimate.totalParams)} (
            {((100 * estimate.trainableParams) / estimate.totalParams).toFixed(2)}%) · {estimate.totalSteps} steps · memory about {formatBytes(estimate.memoryBytes)} · time about{' '}
            {formatEta(estimate.etaSeconds).replace(' left', '')} (estimates at {estimate.meanTokens} tokens per example)
          </p>
        )}
        <button className="primary" disabled={!form.model || run?.status === 'running'} onClick={() => void start()}>
          Start fine-tuning
        </button>
        {startError && <p className="error">{startError}</p>}
      </div>
      {run && <LiveRunPanel />}
    </section>
  )
}

function LiveRunPanel() {
  const run = useFinetuneStore((s) => s.run)!
  const start = useFinetuneStore((s) => s.start)
  const goTo = useAppStore((s) => s.goTo)
  const resume = async () => {
    const checkpoints = (await api.call('runs.artifacts', { runId: run.runId })).filter((a) => a.kind === 'checkpoint')
    const last = checkpoints.sort((a, b) => Number(/(\d+)$/.exec(b.path)?.[1]) - Number(/(\d+)$/.exec(a.path)?.[1]))[0]
    if (last) await start({ resumeFrom: last.path })
  }
  const openInRuns = async () => {
    await useRunsStore.getState().refresh()
    await useRunsStore.getState().select(run.runId)
    goTo('runs')
  }
  const charts = Object.entries(run.series).filter(([k]) => ['train/loss', 'eval/loss', 'eval/accuracy', 'eval/f1', 'eval/matthews'].includes(k))
  return (
    <div className="card wide" data-testid="live-run" data-status={run.status}>
      <h2>
        Run {run.runId} · <span className={`status status-${run.status}`}>{run.status}</span>
      </h2>
      <ProgressBar fraction={run.fraction} etaSeconds={run.etaSeconds} status={run.status} label="fine-tune" />
      <p className="muted small">{run.message}</p>
      {run.error && <p className="error">{run.error}</p>}
      <div className="charts">
        {charts.map(([k, points]) => (
          <MetricChart key={k} title={k} points={points} />
        ))}
      </div>
      {run.status === 'running' && <button onClick={() => void api.call('jobs.cancel', { runId: run.runId })}>Cancel</button>}
      {['failed', 'cancelled', 'crashed'].includes(run.status) && <button onClick={() => void resume()}>Resume from the last checkpoint</button>}
      {run.status !== 'running' && (
        <button className="primary" onClick={() => void openInRuns()}>
          Open in Runs
        </button>
      )}
    </div>
  )
}
