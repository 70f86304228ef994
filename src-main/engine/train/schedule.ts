// Learning-rate schedules with Hugging Face transformers' semantics
// (get_scheduler + LambdaLR): the multiplier for optimizer step k (0-based:
// the first update uses k = 0, so warmup starts at lr 0, as in HF).
import type { ScheduleName } from './names'

export interface ScheduleOptions {
  name: ScheduleName
  totalSteps: number
  warmupSteps: number
  // polynomial: HF defaults lr_end 1e-7, power 1.0
  lrEnd?: number
  power?: number
}

// HF TrainingArguments.get_warmup_steps: explicit steps win, else ceil(ratio * total).
export function warmupSteps(totalSteps: number, ratio: number, steps?: number): number {
  return steps && steps > 0 ? steps : Math.ceil(totalSteps * ratio)
}

export function lrMultiplier(k: number, o: ScheduleOptions, baseLr: number): number {
  const { totalSteps: total, warmupSteps: warm } = o
  const warming = k < warm ? k / Math.max(1, warm) : null
  switch (o.name) {
    case 'constant':
      return 1
    case 'constant_with_warmup':
      return warming ?? 1
    case 'linear':
      return warming ?? Math.max(0, (total - k) / Math.max(1, total - warm))
    case 'cosine': {
      if (warming !== null) return warming
      const progress = (k - warm) / Math.max(1, total - warm)
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)))
    }
    case 'polynomial': {
      if (warming !== null) return warming
      const lrEnd = o.lrEnd ?? 1e-7
      if (!(baseLr > lrEnd)) throw new Error(`polynomial schedule: lr (${baseLr}) must be larger than lr_end (${lrEnd})`)
      if (k > total) return lrEnd / baseLr
      const remaining = 1 - (k - warm) / Math.max(1, total - warm)
      return ((baseLr - lrEnd) * remaining ** (o.power ?? 1) + lrEnd) / baseLr
    }
  }
}
