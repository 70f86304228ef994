// Drawing trial parameters from a sweep config: every W&B distribution for
// random search, the full cartesian product for grid search, and the trainer
// options a trial sets (numeric strings from YAML become numbers, as the
// W&B agent's command line would turn them into).
import { FinetuneParams } from '../../contract/finetune'
import { seededRandom } from '../random'
import { SweepConfigError, type ParamSpec, type SweepConfig } from './config'

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

const quantize = (x: number, q: number) => Math.round(x / q) * q

export function sampleParam(p: ParamSpec, rand: () => number): unknown {
  const u = () => p.min! + rand() * (p.max! - p.min!)
  const logU = () => Math.exp(Math.log(p.min!) + rand() * (Math.log(p.max!) - Math.log(p.min!)))
  const normal = () => p.mu! + p.sigma! * gaussian(rand)
  switch (p.distribution) {
    case 'constant':
      return p.value
    case 'categorical': {
      const probs = p.probabilities ?? p.values!.map(() => 1 / p.values!.length)
      let x = rand()
      for (let i = 0; i < probs.length; i++) if ((x -= probs[i]) < 0) return p.values![i]
      return p.values![p.values!.length - 1]
    }
    case 'int_uniform':
      return Math.min(p.max!, Math.floor(p.min! + rand() * (p.max! - p.min! + 1)))
    case 'uniform':
      return u()
    case 'q_uniform':
      return quantize(u(), p.q!)
    case 'log_uniform': // min and max are natural logs
      return Math.exp(u())
    case 'q_log_uniform':
      return quantize(Math.exp(u()), p.q!)
    case 'log_uniform_values':
      return logU()
    case 'q_log_uniform_values':
      return quantize(logU(), p.q!)
    case 'inv_log_uniform': // 1/X with ln X uniform in [min, max]
      return 1 / Math.exp(u())
    case 'inv_log_uniform_values': // 1/X with X log-uniform in [1/max, 1/min]: the value lies in [min, max]
      return 1 / Math.exp(Math.log(1 / p.max!) + rand() * (Math.log(1 / p.min!) - Math.log(1 / p.max!)))
    case 'normal':
      return normal()
    case 'q_normal':
      return quantize(normal(), p.q!)
    case 'log_normal':
      return Math.exp(normal())
    case 'q_log_normal':
      return quantize(Math.exp(normal()), p.q!)
  }
}

// The discrete values of a grid parameter.
function gridValues(p: ParamSpec): unknown[] {
  if (p.distribution === 'constant') return [p.value]
  if (p.distribution === 'categorical') return p.values!
  const step = p.distribution === 'int_uniform' ? 1 : p.q!
  const out: number[] = []
  for (let x = p.min!; x <= p.max! + 1e-9; x += step) out.push(Number(x.toPrecision(12)))
  return out
}

export function gridSize(c: SweepConfig): number {
  return Object.values(c.parameters).reduce((n, p) => n * gridValues(p).length, 1)
}

// Trial i of a grid: the i-th combination, the last parameter varying fastest.
export function gridTrial(c: SweepConfig, i: number): Record<string, unknown> {
  const names = Object.keys(c.parameters)
  const out: Record<string, unknown> = {}
  for (let k = names.length - 1; k >= 0; k--) {
    const values = gridValues(c.parameters[names[k]])
    out[names[k]] = values[i % values.length]
    i = Math.floor(i / values.length)
  }
  return out
}

export function randomTrial(c: SweepConfig, seed: number): Record<string, unknown> {
  const rand = seededRandom(seed)
  return Object.fromEntries(Object.entries(c.parameters).map(([name, p]) => [name, sampleParam(p, rand)]))
}

// A trial's config values -> the trainer options they set, checked against the fine-tune schema.
export function trainerOptions(c: SweepConfig, trial: Record<string, unknown>, base: Record<string, unknown>): FinetuneParams {
  const options: Record<string, unknown> = { ...base }
  for (const [name, value] of Object.entries(trial)) {
    const v = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value
    options[c.parameters[name].option] = v
  }
  const parsed = FinetuneParams.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const option = String(issue.path[0])
    const name = Object.keys(c.parameters).find((n) => c.parameters[n].option === option)
    throw new SweepConfigError(`${name ? `parameters.${name}` : option}: the value ${JSON.stringify(options[option])} does not fit the trainer's ${option} (${issue.message})`)
  }
  return parsed.data
}
