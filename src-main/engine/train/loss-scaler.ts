// Dynamic loss scaling for fp16 GEMM inputs, as torch.cuda.amp.GradScaler: the loss's
// gradient is multiplied by `scale` so small gradients survive fp16; gradients are divided
// by it before clipping and the update. A step whose gradients overflowed is skipped and the
// scale halved; after `growthInterval` good steps in a row it doubles.
export interface LossScalerState {
  scale: number
  growthTracker: number // good steps since the last change
}

export class LossScaler {
  scale: number
  private growthTracker = 0

  constructor(
    initScale = 2 ** 16,
    private readonly growthFactor = 2,
    private readonly backoffFactor = 0.5,
    private readonly growthInterval = 2000,
  ) {
    this.scale = initScale
  }

  // Divides every gradient by `divisor` (the scale times the micro-batches); false, leaving
  // them as they are, when any of them is inf or NaN.
  unscale(grads: Float32Array[], divisor: number): boolean {
    for (const g of grads) for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) return false
    const f = 1 / divisor
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= f
    return true
  }

  update(overflowed: boolean): void {
    if (overflowed) {
      this.scale *= this.backoffFactor
      this.growthTracker = 0
    } else if (++this.growthTracker >= this.growthInterval) {
      this.scale *= this.growthFactor
      this.growthTracker = 0
    }
  }

  state(): LossScalerState {
    return { scale: this.scale, growthTracker: this.growthTracker }
  }

  restore(s: LossScalerState): void {
    this.scale = s.scale
    this.growthTracker = s.growthTracker
  }
}
