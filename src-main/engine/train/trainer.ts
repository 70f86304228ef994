// The fine-tuning loop: LoRA or full fine-tuning of BertForSequenceClassification
// with gradient accumulation, clipping, an HF-style schedule, periodic
// evaluation, atomic checkpoints with keep-best, early stopping and exact
// resume. Everything random (batch order, dropout masks, LoRA init) derives
// from the seed and the step, so a resumed run repeats an uninterrupted one.
import fs from 'node:fs'
import { loadKernels, type KernelVariant, type StepBackend, type QuantWeight } from '../addon'
import type { LoadedCheckpoint } from '../bert/checkpoint'
import { sequenceClassificationParams } from '../bert/config'
import { BertClassifier, type Batch } from '../bert/model'
import { collate, encodeExamples, paddingReport, planBatches, type EncodedSplit } from '../data/batching'
import type { LoadedSplit } from '../data/examples'
import type { WordPieceTokenizer } from '../tokenizer/wordpiece'
import type { StepProfiler } from '../profiler/step-profiler'
import { nf4Base } from '../quant/qlora-base'
import { checkpointDir, readTrainerCheckpoint, writeTrainerCheckpoint, type TrainerState } from './checkpoint-io'
import { initLora, loraScale, type LoraSettings } from './lora'
import { taskMetrics } from './metrics'
import type { OptimizerOptions, TrainableTensor } from './optimizer'
import { StepEngine } from './step-engine'
import type { ScheduleName } from './names'
import { warmupSteps } from './schedule'

export interface TrainSettings {
  method: 'lora' | 'qlora' | 'full'
  lora: LoraSettings
  trainPooler: boolean
  optimizer: OptimizerOptions
  lr: number
  scheduler: ScheduleName
  warmupRatio: number
  warmupSteps: number
  batchSize: number
  gradAccum: number
  maxGradNorm: number
  maxSteps: number // > 0 wins over epochs
  epochs: number
  evalEvery: number // 0: only at the end
  saveEvery: number // 0: only at the end
  keepCheckpoints: number
  earlyStoppingPatience: number // evaluations without improvement; 0: off
  maxLength: number
  attention: 'flash' | 'naive'
  bucketing: boolean
  seed: number
  // Dropout overrides (default: the model config's hidden_dropout_prob / attention_probs_dropout_prob)
  hiddenDropout?: number
  attentionDropout?: number
  precision?: 'fp32' | 'bf16' | 'fp16' // GEMM inputs on a GPU; fp16 adds dynamic loss scaling
}

export interface TrainCallbacks {
  progress(fraction: number, message: string): void
  metric(key: string, step: number, value: number): void
  log(message: string): void
  checkpointSaved?(dir: string, step: number): void
  shouldStop?(): void // throws to cancel
  profiler?: StepProfiler // records a window of steps (engine/profiler)
}

export interface EvalResult {
  loss: number
  metrics: Record<string, number>
  predictions: number[]
}

export interface TrainResult {
  steps: number
  trainableParams: number
  totalParams: number
  metrics: Record<string, number>
  best: { step: number; metric: string; value: number } | null
  checkpoint: string | null
  bestCheckpoint: string | null
  stoppedEarly: boolean
}

export class NonFiniteLossError extends Error {}

// The classifier with LoRA adapters (or not), and the tensors the optimizer trains.
export function buildModel(
  ck: LoadedCheckpoint,
  s: Pick<TrainSettings, 'method' | 'lora' | 'trainPooler' | 'seed'>,
  labels: number,
  backend: StepBackend = loadKernels().capabilities().variant as KernelVariant,
): { model: BertClassifier; tensors: TrainableTensor[] } {
  const c = ck.config
  // Frozen quantized weights: those of a quantized folder, or QLoRA's nf4 base made from fp32 weights.
  let quantized = ck.quant?.weights ?? new Map<string, QuantWeight>()
  if (s.method === 'qlora') {
    if (!ck.quant) quantized = nf4Base(c, ck.params, labels)
    else if ([...quantized.values()].some((w) => w.kind !== 'nf4')) throw new Error(`QLoRA needs an nf4 base, but ${ck.weightsFile} is ${ck.quant.config.mode}: use --method lora`)
  }
  const adapted = s.method === 'lora' || s.method === 'qlora'
  const lora = adapted ? initLora(c.num_hidden_layers, c.hidden_size, c.intermediate_size, s.lora, s.seed) : null
  const model = new BertClassifier(
    c,
    ck.params,
    backend,
    lora ? { options: { r: s.lora.r, alpha: loraScale(s.lora) * s.lora.r, dropout: s.lora.dropout }, tensors: lora.native } : null,
    labels,
    quantized,
  )
  const shapes = sequenceClassificationParams(c, labels).map((p) => p.shape)
  const base: TrainableTensor[] = model.names
    .map((name, i) => ({ name, shape: shapes[i], param: model.params[i], grad: model.grads[i] }))
    .filter((t) => !quantized.has(t.name))
    .filter((t) => s.method === 'full' || t.name.startsWith('classifier.') || (s.trainPooler && t.name.startsWith('bert.pooler.')))
  const adapters: TrainableTensor[] = (lora?.tensors ?? []).map((t) => ({ name: t.name, shape: t.shape, param: t.data, grad: model.loraGrads![t.slot]! }))
  return { model, tensors: [...adapters, ...base] }
}

// Predictions (class ids, or the score of a single-output regression head), mean loss and the
// task's metrics over an encoded split (batches of similar lengths, no dropout).
// profiler: records a window of the eval batches (one step per batch), as `tbw eval --profile-active` asks.
export function evaluateModel(model: BertClassifier, set: EncodedSplit, labels: number, metricNames: string[], attention: 'flash' | 'naive', profiler?: StepProfiler): EvalResult {
  const n = set.ids.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => set.lengths[a] - set.lengths[b])
  const predictions = new Array<number>(n)
  let lossSum = 0
  let labelled = 0
  for (let i = 0; i < n; i += 128) {
    const idx = order.slice(i, i + 128)
    const batch = collate(set, idx, labels === 1)
    profiler?.stepBegin(i / 128)
    const { logits, loss } = model.forward(batch, { attention })
    profiler?.stepEnd(i / 128)
    idx.forEach((ex, row) => {
      if (labels === 1) return void (predictions[ex] = logits[row])
      let best = 0
      for (let k = 1; k < labels; k++) if (logits[row * labels + k] > logits[row * labels + best]) best = k
      predictions[ex] = best
    })
    if (loss !== null) {
      lossSum += loss * idx.length
      labelled += idx.length
    }
  }
  const metrics = labelled === n && n > 0 ? taskMetrics(metricNames, predictions, set.labels as number[]) : {}
  return { loss: labelled ? lossSum / labelled : NaN, metrics, predictions }
}

const stepOf = (dir: string) => Number(/checkpoint-(\d+)$/.exec(dir)?.[1] ?? -1)

// A small integer hash so each micro-batch gets its own dropout stream.
const mix = (seed: number, i: number) => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0

export class Trainer {
  readonly model: BertClassifier
  readonly tensors: TrainableTensor[]
  readonly totalParams: number
  private readonly engine: StepEngine
  private readonly regression: boolean
  private readonly train: EncodedSplit
  private readonly evalSet: EncodedSplit
  private readonly batchesPerEpoch: number
  readonly totalSteps: number
  private readonly warmup: number

  constructor(
    ck: LoadedCheckpoint,
    tok: WordPieceTokenizer,
    trainSplit: LoadedSplit,
    private readonly evalSplit: LoadedSplit,
    private readonly s: TrainSettings,
    private readonly metricNames: string[],
    private readonly outputDir: string,
    private readonly modelDir: string,
    backend: StepBackend = loadKernels().capabilities().variant as KernelVariant,
  ) {
    this.regression = trainSplit.regression
    if (s.method === 'full' && ck.quant) throw new Error(`full fine-tuning needs fp32 weights, but ${ck.weightsFile} is ${ck.quant.config.mode}: use --method lora (or qlora on nf4)`)
    const built = buildModel(ck, s, this.regression ? 1 : trainSplit.labelNames.length, backend)
    this.model = built.model
    this.tensors = built.tensors
    this.totalParams = sequenceClassificationParams(ck.config, this.regression ? 1 : trainSplit.labelNames.length).reduce((a, p) => a + p.shape.reduce((x, d) => x * d, 1), 0)
    this.train = encodeExamples(tok, trainSplit.examples, s.maxLength)
    this.evalSet = encodeExamples(tok, evalSplit.examples, s.maxLength)
    if (!this.train.ids.length) throw new Error('the training split has no usable examples')
    this.batchesPerEpoch = Math.ceil(this.train.ids.length / s.batchSize)
    const stepsPerEpoch = Math.max(1, Math.floor(this.batchesPerEpoch / s.gradAccum))
    this.totalSteps = s.maxSteps > 0 ? s.maxSteps : Math.ceil(s.epochs * stepsPerEpoch)
    this.warmup = warmupSteps(this.totalSteps, s.warmupRatio, s.warmupSteps)
    this.engine = new StepEngine(this.model, this.tensors, s, this.totalSteps, this.warmup)
  }

  // Share of processed tokens that are padding in the first epoch's batches (dynamic padding, bucketed or not).
  paddingWaste(): number {
    return paddingReport(this.train.lengths, this.plan(0)).waste
  }

  get trainableParams(): number {
    return this.tensors.reduce((a, t) => a + t.param.length, 0)
  }

  // Micro-batch m of the endless, epoch-by-epoch stream of training batches.
  private plans = new Map<number, number[][]>()
  private microBatch(m: number): Batch {
    return collate(this.train, this.plan(Math.floor(m / this.batchesPerEpoch))[m % this.batchesPerEpoch], this.regression)
  }

  private plan(epoch: number): number[][] {
    let plan = this.plans.get(epoch)
    if (!plan) {
      plan = planBatches(this.train.lengths, { batchSize: this.s.batchSize, shuffle: true, seed: mix(this.s.seed, epoch), bucketWindow: this.s.bucketing ? 50 : 0 })
      this.plans.clear()
      this.plans.set(epoch, plan)
    }
    return plan
  }

  evaluate(): EvalResult {
    return evaluateModel(this.model, this.evalSet, this.regression ? 1 : this.evalSplit.labelNames.length, this.metricNames, this.s.attention)
  }

  async run(cb: TrainCallbacks, resumeFrom?: string): Promise<TrainResult> {
    const s = this.s
    const main = this.metricNames[0]
    let state: TrainerState = { step: 0, best: null, evals: [], sinceBest: 0, modelDir: this.modelDir }
    if (resumeFrom) {
      state = readTrainerCheckpoint(resumeFrom, this.tensors, this.engine.optimizer)
      if (state.lossScaler && this.engine.scaler) this.engine.scaler.restore(state.lossScaler)
      cb.log(`resumed from ${resumeFrom} at step ${state.step}`)
    }
    let lastCheckpoint: string | null = resumeFrom ?? null
    const saved: string[] = resumeFrom ? [resumeFrom] : []
    const save = (step: number) => {
      const scaler = this.engine.scaler ? { lossScaler: this.engine.scaler.state() } : {}
      const dir = writeTrainerCheckpoint(this.outputDir, step, { ...state, step, ...scaler }, this.tensors, this.engine.optimizer, s)
      lastCheckpoint = dir
      saved.push(dir)
      cb.checkpointSaved?.(dir, step)
      // Keep the newest few and the best; never a checkpoint this run resumed from.
      const keep = new Set(saved.slice(-s.keepCheckpoints))
      if (state.best) keep.add(checkpointDir(this.outputDir, state.best.step))
      for (const old of saved.filter((d) => !keep.has(d) && d !== resumeFrom)) {
        fs.rmSync(old, { recursive: true, force: true })
        saved.splice(saved.indexOf(old), 1)
      }
    }
    const doEval = (step: number) => {
      const t0 = process.hrtime.bigint()
      const r = this.evaluate()
      // Inference cost, an objective for multi-objective sweeps: ms per evaluated example.
      cb.metric('eval/latency_ms', step, Number(process.hrtime.bigint() - t0) / 1e6 / Math.max(1, this.evalSet.ids.length))
      cb.metric('eval/loss', step, r.loss)
      for (const [k, v] of Object.entries(r.metrics)) cb.metric(`eval/${k}`, step, v)
      state.evals.push({ step, loss: r.loss, metrics: r.metrics })
      const value = r.metrics[main]
      const improved = value !== undefined && (!state.best || value > state.best.value)
      if (improved) {
        state.best = { step, metric: main, value }
        state.sinceBest = 0
      } else state.sinceBest++
      cb.log(`step ${step}: eval loss ${r.loss.toFixed(4)} ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}`)
      return improved
    }
    let stoppedEarly = false
    const span = <T>(name: string, fn: () => T): T => (cb.profiler ? cb.profiler.span(name, fn) : fn())
    const t0 = Date.now()
    const firstStep = state.step + 1
    cb.metric('model/trainable_params', state.step, this.trainableParams) // a size objective for multi-objective sweeps
    for (let step = firstStep; step <= this.totalSteps; step++) {
      await new Promise((resolve) => setImmediate(resolve)) // lets a cancel message in
      cb.shouldStop?.()
      cb.profiler?.stepBegin(step)
      const micro = Array.from({ length: s.gradAccum }, (_, j) => (step - 1) * s.gradAccum + j)
      const batches = span('collate batches', () => micro.map((m) => this.microBatch(m)))
      const r = span('forward + backward + optimizer', () => this.engine.step(step, batches, micro.map((m) => mix(s.seed, m))))
      if (!Number.isFinite(r.loss)) {
        // The weights saved after step - 1 produced this loss; only older checkpoints are known good.
        const good = saved.filter((d) => stepOf(d) <= step - 2 || d === resumeFrom).sort((x, y) => stepOf(x) - stepOf(y)).pop()
        throw new NonFiniteLossError(
          `the training loss became ${r.loss} at step ${step}; stopped. ${good ? `The last good checkpoint is ${good}.` : 'No good checkpoint was saved before it.'} Try a lower learning rate or max_grad_norm.`,
        )
      }
      const { loss, lr, gradNorm } = r
      state.step = step
      cb.metric('train/loss', step, loss)
      cb.metric('train/lr', step, lr)
      if (r.skipped) cb.log(`step ${step}: fp16 gradients overflowed; update skipped, loss scale now ${this.engine.scaler?.scale}`)
      else cb.metric('train/grad_norm', step, gradNorm)
      if (this.engine.scaler) cb.metric('train/loss_scale', step, this.engine.scaler.scale)
      cb.metric('train/epoch', step, (step * s.gradAccum) / this.batchesPerEpoch)
      const done = step === this.totalSteps
      let improved = false
      if ((s.evalEvery > 0 && step % s.evalEvery === 0) || done) {
        improved = span('evaluate', () => doEval(step))
        if (s.earlyStoppingPatience > 0 && state.sinceBest >= s.earlyStoppingPatience) {
          cb.log(`early stopping at step ${step}: no better ${main} in ${state.sinceBest} evaluations`)
          stoppedEarly = true
        }
      }
      // A new best is always saved, so keep-best has a checkpoint to keep.
      if ((s.saveEvery > 0 && step % s.saveEvery === 0) || done || stoppedEarly || improved) span('save checkpoint', () => save(step))
      cb.profiler?.stepEnd(step)
      const elapsed = (Date.now() - t0) / 1000
      cb.progress(step / this.totalSteps, `step ${step}/${this.totalSteps} · loss ${loss.toFixed(4)} · ${((step - firstStep + 1) / Math.max(elapsed, 1e-9)).toFixed(2)} steps/s`)
      if (stoppedEarly) break
    }
    const last = state.evals[state.evals.length - 1]
    const bestDir = state.best && saved.includes(checkpointDir(this.outputDir, state.best.step)) ? checkpointDir(this.outputDir, state.best.step) : null
    return {
      steps: state.step,
      trainableParams: this.trainableParams,
      totalParams: this.totalParams,
      metrics: last ? { loss: last.loss, ...last.metrics } : {},
      best: state.best,
      checkpoint: lastCheckpoint,
      bestCheckpoint: bestDir,
      stoppedEarly,
    }
  }
}

