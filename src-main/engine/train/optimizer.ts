// AdamW, Adafactor and SGD over named parameter tensors, through the native
// kernels, with their state kept per tensor so checkpoints can save and
// restore it exactly. Weight decay follows the HF Trainer: not on biases and
// LayerNorm weights.
import { loadKernels, type KernelVariant } from '../addon'

import type { OptimizerName } from './names'

export interface OptimizerOptions {
  name: OptimizerName
  weightDecay: number
  beta1?: number
  beta2?: number
  eps?: number
  momentum?: number // SGD (HF's default optimizer "sgd" is torch.optim.SGD with momentum 0)
}

export interface TrainableTensor {
  name: string
  shape: number[]
  param: Float32Array
  grad: Float32Array
}

export function decays(name: string): boolean {
  return !/(^|\.)bias$/.test(name) && !/LayerNorm\.weight$/.test(name)
}

export class Optimizer {
  // State tensors by "<param name>:<slot>", so a checkpoint can store them by name.
  readonly state = new Map<string, Float32Array>()
  private readonly kernels = loadKernels()

  constructor(
    readonly o: OptimizerOptions,
    readonly backend: KernelVariant,
  ) {}

  private slot(name: string, slot: string, n: number): Float32Array {
    const key = `${name}:${slot}`
    let s = this.state.get(key)
    if (!s) this.state.set(key, (s = new Float32Array(n)))
    return s
  }

  // One update of every tensor with lr at 1-based step `step`.
  step(tensors: TrainableTensor[], lr: number, step: number): void {
    for (const t of tensors) {
      const wd = decays(t.name) ? this.o.weightDecay : 0
      const n = t.param.length
      switch (this.o.name) {
        case 'adamw':
          this.kernels.adamwUpdate(this.backend, t.param, t.grad, this.slot(t.name, 'exp_avg', n), this.slot(t.name, 'exp_avg_sq', n), {
            lr,
            beta1: this.o.beta1 ?? 0.9,
            beta2: this.o.beta2 ?? 0.999,
            eps: this.o.eps ?? 1e-8,
            weightDecay: wd,
            step,
          })
          break
        case 'adafactor': {
          // Factored statistics for matrices, as HF: rows = all but the last dim.
          const cols = t.shape[t.shape.length - 1]
          const rows = n / cols
          const factored = t.shape.length >= 2 && rows > 1
          this.kernels.adafactorUpdate(
            this.backend,
            t.param,
            t.grad,
            factored ? this.slot(t.name, 'exp_avg_sq_row', rows) : null,
            factored ? this.slot(t.name, 'exp_avg_sq_col', cols) : null,
            factored ? null : this.slot(t.name, 'exp_avg_sq', n),
            null,
            factored ? rows : 1,
            factored ? cols : n,
            { lr, weightDecay: wd, step },
          )
          break
        }
        case 'sgd': {
          const momentum = this.o.momentum ?? 0
          this.kernels.sgdUpdate(this.backend, t.param, t.grad, momentum ? this.slot(t.name, 'momentum_buffer', n) : null, { lr, momentum, weightDecay: wd, step })
          break
        }
      }
    }
  }
}
