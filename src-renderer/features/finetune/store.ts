// Fine-tune wizard state: the form (validated by the same schema as the job),
// the estimate, and the run it started with its live metrics and status.
import { create } from 'zustand'
import { FinetuneParams, type FinetuneInput } from '../../../src-main/contract/finetune'
import type { FinetuneEstimate, MetricPoint, RunStatus } from '../../../src-main/contract/types'
import { api } from '../../lib/api'

export type FormState = Omit<FinetuneInput, 'model' | 'task'> & { model: string; task: string }

// The schema's defaults (the seed study's), for a given model and task.
export function seedDefaults(model = '', task = 'mrpc'): FormState {
  const { model: _m, task: _t, ...rest } = FinetuneParams.parse({ model: 'x', task: 'mrpc' })
  return { ...rest, model, task }
}

interface LiveRun {
  runId: number
  status: RunStatus
  error: string | null
  fraction: number
  etaSeconds: number | null
  message: string
  series: Record<string, MetricPoint[]>
}

interface FinetuneState {
  form: FormState
  estimate: FinetuneEstimate | null
  estimateError: string | null
  startError: string | null
  run: LiveRun | null
  set(patch: Partial<FormState>): void
  reset(): void
  refreshEstimate(): Promise<void>
  start(extra?: Partial<FormState>): Promise<void>
  onProgress(runId: number, fraction: number, etaSeconds: number | null, message: string): void
  onMetric(runId: number, key: string, point: MetricPoint): void
  onStatus(runId: number, status: RunStatus, error: string | null): void
}

export const useFinetuneStore = create<FinetuneState>((set, get) => ({
  form: seedDefaults(),
  estimate: null,
  estimateError: null,
  startError: null,
  run: null,
  set: (patch) => set((s) => ({ form: { ...s.form, ...patch } })),
  reset: () => set((s) => ({ form: seedDefaults(s.form.model, s.form.task) })),

  async refreshEstimate() {
    const parsed = FinetuneParams.safeParse(clean(get().form))
    if (!parsed.success) {
      set({ estimate: null, estimateError: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') })
      return
    }
    try {
      set({ estimate: await api.call('finetune.estimate', { params: parsed.data }), estimateError: null })
    } catch (err) {
      set({ estimate: null, estimateError: (err as Error).message })
    }
  },

  async start(extra = {}) {
    set({ startError: null })
    try {
      const params = clean({ ...get().form, ...extra }) as FinetuneInput
      const { runId } = await api.call('jobs.start', { kind: 'finetune', params })
      set({ run: { runId, status: 'running', error: null, fraction: 0, etaSeconds: null, message: 'starting…', series: {} } })
    } catch (err) {
      set({ startError: (err as Error).message })
    }
  },

  onProgress(runId, fraction, etaSeconds, message) {
    const run = get().run
    if (run?.runId === runId) set({ run: { ...run, fraction, etaSeconds, message } })
  },
  onMetric(runId, key, point) {
    const run = get().run
    if (run?.runId !== runId) return
    set({ run: { ...run, series: { ...run.series, [key]: [...(run.series[key] ?? []), point] } } })
  },
  onStatus(runId, status, error) {
    const run = get().run
    if (run?.runId === runId) set({ run: { ...run, status, error } })
  },
}))

// Empty optional fields are left out, so the schema's defaults apply.
function clean(form: FormState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(form).filter(([, v]) => v !== '' && v !== undefined && v !== null && !(typeof v === 'number' && Number.isNaN(v))))
}
