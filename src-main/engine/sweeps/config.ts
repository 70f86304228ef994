// W&B sweep configs (YAML or JSON, as `wandb sweep` reads them), validated
// against what W&B documents and against the trainer's options: a parameter
// the trainer does not know is refused by name, never silently ignored.
import { parseDocument } from 'yaml'
import { FinetuneParams } from '../../contract/finetune'

export type Distribution =
  | 'constant'
  | 'categorical'
  | 'int_uniform'
  | 'uniform'
  | 'q_uniform'
  | 'log_uniform'
  | 'log_uniform_values'
  | 'q_log_uniform'
  | 'q_log_uniform_values'
  | 'inv_log_uniform'
  | 'inv_log_uniform_values'
  | 'normal'
  | 'q_normal'
  | 'log_normal'
  | 'q_log_normal'

export interface ParamSpec {
  option: string // the trainer option it sets (FinetuneParams key)
  distribution: Distribution
  value?: unknown
  values?: unknown[]
  probabilities?: number[]
  min?: number
  max?: number
  mu?: number
  sigma?: number
  q?: number
}

export interface SweepConfig {
  method: 'grid' | 'random' | 'bayes'
  metric: { name: string; goal: 'minimize' | 'maximize' } | null
  parameters: Record<string, ParamSpec> // by the config's (flattened) name
  runCap: number | null
  earlyTerminate: { type: 'hyperband'; minIter?: number; maxIter?: number; s?: number; eta: number } | null
  name: string | null
  ignored: string[] // keys W&B accepts that only matter to its agent (program, command, project, …)
}

export class SweepConfigError extends Error {}

const TOP_KEYS = ['method', 'metric', 'parameters', 'run_cap', 'early_terminate', 'name', 'description']
const AGENT_KEYS = ['program', 'command', 'project', 'entity', 'controller', 'job', 'image_uri', 'imports']
const PARAM_KEYS = ['value', 'values', 'probabilities', 'distribution', 'min', 'max', 'mu', 'sigma', 'q', 'parameters']
const DISTRIBUTIONS: Distribution[] = [
  'constant', 'categorical', 'int_uniform', 'uniform', 'q_uniform', 'log_uniform', 'log_uniform_values', 'q_log_uniform',
  'q_log_uniform_values', 'inv_log_uniform', 'inv_log_uniform_values', 'normal', 'q_normal', 'log_normal', 'q_log_normal',
]

// Names sweeps use for the trainer's options (Hugging Face TrainingArguments and PEFT spellings).
const ALIASES: Record<string, string> = {
  learning_rate: 'lr',
  lr_scheduler_type: 'scheduler',
  lr_scheduler: 'scheduler',
  per_device_train_batch_size: 'batchSize',
  train_batch_size: 'batchSize',
  gradient_accumulation_steps: 'gradAccum',
  num_train_epochs: 'epochs',
  lora_r: 'loraR',
  r: 'loraR',
  lora_alpha: 'loraAlpha',
  lora_dropout: 'loraDropout',
  target_modules: 'targetModules',
  optim: 'optimizer',
  n_epochs: 'epochs',
}
const OPTIONS = Object.keys(FinetuneParams.shape)
// What a fine-tune logs (eval/* per the task's metrics).
export const TRAINER_METRICS = ['eval/accuracy', 'eval/f1', 'eval/matthews', 'eval/pearson', 'eval/spearman', 'eval/loss', 'eval/latency_ms', 'model/trainable_params', 'train/loss', 'train/lr', 'train/grad_norm', 'train/epoch']
const NOT_SWEEPABLE = ['model', 'data', 'resumeFrom', 'limitTrain', 'limitEval', 'threads']

function optionFor(name: string): string {
  const leaf = name.split('.').pop()!
  const camel = leaf.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
  const option = ALIASES[leaf] ?? (OPTIONS.includes(leaf) ? leaf : OPTIONS.includes(camel) ? camel : null)
  if (!option || NOT_SWEEPABLE.includes(option))
    throw new SweepConfigError(`parameters.${name}: the trainer has no option "${leaf}" to sweep (it has ${OPTIONS.filter((o) => !NOT_SWEEPABLE.includes(o)).join(', ')})`)
  return option
}

const num = (path: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SweepConfigError(`${path}: ${JSON.stringify(v)} is not a number`)
  return v
}

function paramSpec(name: string, raw: unknown, out: Record<string, ParamSpec>): void {
  const path = `parameters.${name}`
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SweepConfigError(`${path}: expected a mapping (value, values or distribution), got ${JSON.stringify(raw)}`)
  const r = raw as Record<string, unknown>
  for (const k of Object.keys(r)) if (!PARAM_KEYS.includes(k)) throw new SweepConfigError(`${path}.${k}: not a sweep parameter key (${PARAM_KEYS.join(', ')})`)
  if (r.parameters !== undefined) {
    if (!r.parameters || typeof r.parameters !== 'object') throw new SweepConfigError(`${path}.parameters: expected a mapping`)
    for (const [k, v] of Object.entries(r.parameters as Record<string, unknown>)) paramSpec(`${name}.${k}`, v, out)
    return
  }
  const option = optionFor(name)
  let distribution = r.distribution as Distribution | undefined
  if (distribution !== undefined && !DISTRIBUTIONS.includes(distribution)) throw new SweepConfigError(`${path}.distribution: "${String(distribution)}" is not one of ${DISTRIBUTIONS.join(', ')}`)
  if (distribution === undefined) {
    // W&B infers: value -> constant, values -> categorical, min/max -> int_uniform for integers, else uniform.
    if ('value' in r) distribution = 'constant'
    else if ('values' in r) distribution = 'categorical'
    else if ('min' in r && 'max' in r) distribution = Number.isInteger(r.min) && Number.isInteger(r.max) ? 'int_uniform' : 'uniform'
    else throw new SweepConfigError(`${path}: give value, values, min and max, or a distribution`)
  }
  const spec: ParamSpec = { option, distribution }
  if (distribution === 'constant') {
    if (!('value' in r)) throw new SweepConfigError(`${path}.value: a constant needs a value`)
    spec.value = r.value
  } else if (distribution === 'categorical') {
    if (!Array.isArray(r.values) || !r.values.length) throw new SweepConfigError(`${path}.values: expected a non-empty list, got ${JSON.stringify(r.values)}`)
    spec.values = r.values
    if (r.probabilities !== undefined) {
      const p = r.probabilities
      if (!Array.isArray(p) || p.length !== r.values.length || !p.every((x) => typeof x === 'number' && x >= 0))
        throw new SweepConfigError(`${path}.probabilities: expected ${r.values.length} non-negative numbers`)
      const sum = (p as number[]).reduce((a, b) => a + b, 0)
      if (Math.abs(sum - 1) > 1e-6) throw new SweepConfigError(`${path}.probabilities: they sum to ${sum}, not 1`)
      spec.probabilities = p as number[]
    }
  } else if (/normal/.test(distribution)) {
    spec.mu = r.mu === undefined ? 0 : num(`${path}.mu`, r.mu)
    spec.sigma = r.sigma === undefined ? 1 : num(`${path}.sigma`, r.sigma)
    if (spec.sigma <= 0) throw new SweepConfigError(`${path}.sigma: must be positive`)
  } else {
    spec.min = num(`${path}.min`, r.min)
    spec.max = num(`${path}.max`, r.max)
    if (spec.min >= spec.max) throw new SweepConfigError(`${path}: min ${spec.min} must be below max ${spec.max}`)
    if (/_values$/.test(distribution) && spec.min <= 0) throw new SweepConfigError(`${path}.min: ${distribution} needs min > 0`)
    if (distribution === 'int_uniform' && !(Number.isInteger(spec.min) && Number.isInteger(spec.max))) throw new SweepConfigError(`${path}: int_uniform needs integer min and max`)
  }
  if (distribution.startsWith('q_')) {
    spec.q = r.q === undefined ? 1 : num(`${path}.q`, r.q)
    if (spec.q <= 0) throw new SweepConfigError(`${path}.q: must be positive`)
  }
  if (Object.values(out).some((s) => s.option === option)) throw new SweepConfigError(`${path}: sets trainer option "${option}", which another parameter already sets`)
  out[name] = spec
}

export function parseSweepConfig(text: string, file = 'sweep config'): SweepConfig {
  let doc: unknown
  try {
    // YAML 1.1, as PyYAML (which `wandb sweep` uses) reads it: True/False/yes/no are booleans.
    const parsed = parseDocument(text, { version: '1.1', prettyErrors: true, logLevel: 'silent' })
    if (parsed.errors.length) throw parsed.errors[0]
    // Tags like !!python/object would run code in PyYAML's unsafe loader; safe_load refuses them, and so do we.
    const tag = parsed.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
    if (tag) throw new Error(`unsupported tag: ${tag.message.split('\n')[0]}`)
    doc = parsed.toJS()
  } catch (err) {
    throw new SweepConfigError(`${file}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new SweepConfigError(`${file}: a sweep config is a mapping with method and parameters`)
  const d = doc as Record<string, unknown>
  const ignored: string[] = []
  for (const k of Object.keys(d)) {
    if (AGENT_KEYS.includes(k)) ignored.push(k)
    else if (!TOP_KEYS.includes(k)) throw new SweepConfigError(`${k}: not a W&B sweep key (${[...TOP_KEYS, ...AGENT_KEYS].join(', ')})`)
  }
  if (!['grid', 'random', 'bayes'].includes(d.method as string)) throw new SweepConfigError(`method: ${JSON.stringify(d.method)} is not grid, random or bayes`)
  let metric: SweepConfig['metric'] = null
  if (d.metric !== undefined) {
    const m = d.metric as Record<string, unknown>
    if (!m || typeof m !== 'object' || typeof m.name !== 'string') throw new SweepConfigError('metric.name: expected the name of a logged metric')
    for (const k of Object.keys(m)) if (!['name', 'goal', 'target'].includes(k)) throw new SweepConfigError(`metric.${k}: not a metric key (name, goal, target)`)
    const goal = (m.goal ?? 'minimize') as string
    if (goal !== 'minimize' && goal !== 'maximize') throw new SweepConfigError(`metric.goal: "${goal}" is not minimize or maximize`)
    metric = { name: m.name, goal }
  }
  if (d.method === 'bayes' && !metric) throw new SweepConfigError('metric: bayes search needs a metric to optimize')
  if (!d.parameters || typeof d.parameters !== 'object' || Array.isArray(d.parameters)) throw new SweepConfigError('parameters: expected a mapping of parameter names')
  const parameters: Record<string, ParamSpec> = {}
  for (const [k, v] of Object.entries(d.parameters as Record<string, unknown>)) paramSpec(k, v, parameters)
  if (metric && !TRAINER_METRICS.includes(metric.name))
    throw new SweepConfigError(`metric.name: the trainer logs ${TRAINER_METRICS.join(', ')}; "${metric.name}" never appears, so the sweep could not rank trials by it`)
  if (d.method === 'grid') {
    for (const [k, p] of Object.entries(parameters))
      if (!['constant', 'categorical', 'int_uniform', 'q_uniform'].includes(p.distribution)) throw new SweepConfigError(`parameters.${k}: grid search needs values (or an int_uniform / q_uniform range), not ${p.distribution}`)
  }
  let runCap: number | null = null
  if (d.run_cap !== undefined) {
    if (!Number.isInteger(d.run_cap) || (d.run_cap as number) < 1) throw new SweepConfigError(`run_cap: ${JSON.stringify(d.run_cap)} is not a positive integer`)
    runCap = d.run_cap as number
  }
  let earlyTerminate: SweepConfig['earlyTerminate'] = null
  if (d.early_terminate !== undefined) {
    const e = d.early_terminate as Record<string, unknown>
    if (!e || e.type !== 'hyperband') throw new SweepConfigError(`early_terminate.type: ${JSON.stringify(e?.type)} is not hyperband`)
    for (const k of Object.keys(e)) if (!['type', 'min_iter', 'max_iter', 's', 'eta', 'strict'].includes(k)) throw new SweepConfigError(`early_terminate.${k}: not a hyperband key (min_iter, max_iter, s, eta, strict)`)
    const eta = e.eta === undefined ? 3 : num('early_terminate.eta', e.eta)
    if (eta <= 1) throw new SweepConfigError('early_terminate.eta: must be above 1')
    if (e.max_iter !== undefined) {
      if (e.s === undefined) throw new SweepConfigError('early_terminate.s: max_iter needs s (the number of brackets)')
      earlyTerminate = { type: 'hyperband', maxIter: num('early_terminate.max_iter', e.max_iter), s: num('early_terminate.s', e.s), eta }
    } else if (e.min_iter !== undefined) earlyTerminate = { type: 'hyperband', minIter: num('early_terminate.min_iter', e.min_iter), eta }
    else throw new SweepConfigError('early_terminate: hyperband needs min_iter, or max_iter and s')
    if (!metric) throw new SweepConfigError('metric: hyperband early termination needs a metric')
  }
  return { method: d.method as SweepConfig['method'], metric, parameters, runCap, earlyTerminate, name: typeof d.name === 'string' ? d.name : null, ignored }
}
