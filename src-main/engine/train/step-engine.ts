// One optimizer step as the Trainer takes it: gradients zeroed, forward and
// backward over the micro-batches (accumulated, averaged), global-norm
// clipping, the scheduled learning rate, the optimizer update. The Trainer
// feeds it batches; the PyTorch fixture test feeds it a fixed batch.
import { loadKernels } from '../addon'
import type { Batch, BertClassifier } from '../bert/model'
import { LossScaler } from './loss-scaler'
import { Optimizer, type TrainableTensor } from './optimizer'
import { lrMultiplier } from './schedule'
import type { TrainSettings } from './trainer'

export type StepSettings = Pick<
  TrainSettings,
  'method' | 'trainPooler' | 'optimizer' | 'lr' | 'scheduler' | 'maxGradNorm' | 'attention' | 'hiddenDropout' | 'attentionDropout' | 'precision'
>

export interface StepResult {
  loss: number // mean over the micro-batches; the first non-finite one ends the step
  gradNorm: number
  lr: number
  skipped?: boolean // fp16: the gradients overflowed, so no update was made (the loss scale was halved)
}

const POOLER = new Set(['bert.pooler.dense.weight', 'bert.pooler.dense.bias'])

export class StepEngine {
  readonly optimizer: Optimizer
  readonly scaler: LossScaler | null // fp16 GEMM inputs only
  private readonly grads: Float32Array[]

  constructor(
    readonly model: BertClassifier,
    readonly tensors: TrainableTensor[],
    private readonly s: StepSettings,
    private readonly totalSteps: number,
    private readonly warmupSteps: number,
  ) {
    this.optimizer = new Optimizer(s.optimizer, model.hostBackend)
    this.grads = tensors.map((t) => t.grad)
    this.scaler = s.precision === 'fp16' ? new LossScaler() : null
  }

  // Optimizer step `step` (1-based) over these micro-batches, with their dropout seeds.
  // Returns early, without updating, when a loss is not finite.
  step(step: number, batches: Batch[], seeds: number[]): StepResult {
    const s = this.s
    // Only trained tensors get gradients (every LoRA adapter is one); frozen ones get none at all.
    for (const g of this.grads) g.fill(0)
    let loss = 0
    for (let j = 0; j < batches.length; j++) {
      const r = this.model.trainStep(batches[j], {
        trainBase: s.method === 'full',
        alsoTrain: s.trainPooler ? POOLER : undefined,
        hiddenDropout: s.hiddenDropout ?? this.model.config.hidden_dropout_prob,
        attentionDropout: s.attentionDropout ?? this.model.config.attention_probs_dropout_prob,
        seed: seeds[j],
        attention: s.attention,
        lossScale: this.scaler?.scale,
      })
      if (!Number.isFinite(r.loss)) return { loss: r.loss, gradNorm: NaN, lr: NaN }
      loss += r.loss / batches.length
    }
    const lr = s.lr * lrMultiplier(step - 1, { name: s.scheduler, totalSteps: this.totalSteps, warmupSteps: this.warmupSteps }, s.lr)
    if (this.scaler) {
      const finite = this.scaler.unscale(this.grads, this.scaler.scale * batches.length)
      this.scaler.update(!finite)
      if (!finite) return { loss, gradNorm: NaN, lr, skipped: true }
    } else if (batches.length > 1) for (const g of this.grads) for (let i = 0; i < g.length; i++) g[i] /= batches.length
    const gradNorm = loadKernels().clipGradNorm(this.model.hostBackend, this.grads, s.maxGradNorm)
    this.optimizer.step(this.tensors, lr, step)
    return { loss, gradNorm, lr }
  }
}
