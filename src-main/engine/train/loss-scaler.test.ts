// fp16 loss scaling in the Trainer's step (runs on the CPU: the scaling is backend-neutral).
// A power-of-two scale multiplies every gradient exactly, so a scaled step must equal the
// unscaled one bit for bit; an overflowing scale must skip the update and halve.
import { describe, expect, it } from 'vitest'
import { fixtureBatch, fixtureConfig, fixtureParams } from '../../../test-support/bert-fixture'
import { loadKernels, type KernelVariant } from '../addon'
import type { LoadedCheckpoint } from '../bert/checkpoint'
import { LossScaler } from './loss-scaler'
import { StepEngine } from './step-engine'
import { buildModel } from './trainer'

const backend = loadKernels().capabilities().variant as KernelVariant
const checkpoint = (): LoadedCheckpoint => ({ config: fixtureConfig, weightsFile: '(fixture)', params: fixtureParams(), newlyInitialized: [], unused: [], metadata: {}, quant: null })

function engine(precision: 'fp32' | 'fp16') {
  const settings = { method: 'full' as const, lora: { r: 4, alpha: 8, dropout: 0, targets: ['query' as const], rslora: false }, trainPooler: false, seed: 1 }
  const { model, tensors } = buildModel(checkpoint(), settings, 2, backend)
  const s = { ...settings, optimizer: { name: 'adamw' as const, weightDecay: 0.01 }, lr: 1e-2, scheduler: 'linear' as const, maxGradNorm: 1, attention: 'flash' as const, hiddenDropout: 0.1, attentionDropout: 0.1, precision }
  return { e: new StepEngine(model, tensors, s, 10, 0), tensors }
}

describe('LossScaler', () => {
  it('halves on overflow, doubles after growthInterval good steps, and round-trips its state', () => {
    const s = new LossScaler(1024, 2, 0.5, 3)
    s.update(true)
    expect(s.scale).toBe(512)
    s.update(false), s.update(false)
    expect(s.scale).toBe(512)
    s.update(false)
    expect(s.scale).toBe(1024)
    s.update(false)
    const t = new LossScaler()
    t.restore(s.state())
    expect(t.state()).toEqual({ scale: 1024, growthTracker: 1 })
  })

  it('unscale leaves gradients alone when one is not finite', () => {
    const g = Float32Array.of(2, Infinity)
    expect(new LossScaler().unscale([Float32Array.of(4, 8), g], 4)).toBe(false)
    expect(Array.from(g)).toEqual([2, Infinity])
    const ok = Float32Array.of(4, 8)
    expect(new LossScaler().unscale([ok], 4)).toBe(true)
    expect(Array.from(ok)).toEqual([1, 2])
  })
})

describe('fp16 loss scaling in a training step', () => {
  it('a scale of 2^16 gives the same update as no scaling, bit for bit (two micro-batches, dropout on)', () => {
    const plain = engine('fp32'), scaled = engine('fp16')
    expect(scaled.e.scaler?.scale).toBe(2 ** 16)
    const batch = fixtureBatch()
    for (let step = 1; step <= 3; step++) {
      const a = plain.e.step(step, [batch, batch], [step, step + 100])
      const b = scaled.e.step(step, [batch, batch], [step, step + 100])
      expect(b.skipped).toBeUndefined()
      expect(b.loss).toBe(a.loss)
      expect(b.gradNorm).toBe(a.gradNorm)
    }
    plain.tensors.forEach((t, i) => expect(Buffer.from(scaled.tensors[i].param.buffer).equals(Buffer.from(t.param.buffer)), t.name).toBe(true))
  })

  it('gradients that overflow skip the update and halve the scale', () => {
    const { e, tensors } = engine('fp16')
    // What an fp16 overflow leaves behind: one gradient element is inf after the backward.
    const trainStep = e.model.trainStep.bind(e.model)
    e.model.trainStep = (batch, opts) => {
      const out = trainStep(batch, opts)
      tensors[0].grad[0] = Infinity
      return out
    }
    const before = tensors.map((t) => Float32Array.from(t.param))
    const r = e.step(1, [fixtureBatch()], [1])
    expect(r.skipped).toBe(true)
    expect(Number.isFinite(r.loss)).toBe(true)
    expect(e.scaler!.scale).toBe(2 ** 15)
    tensors.forEach((t, i) => expect(Array.from(t.param)).toEqual(Array.from(before[i])))
  })
})
