// Ten optimizer steps of the Trainer's step (StepEngine) from the fixture
// weights on a fixed batch, against PyTorch (tools/make_fixtures.py,
// train_steps_fixture: torch.optim AdamW / SGD, HF schedules, clip_grad_norm_).
// Declared tolerance: 1e-4 relative in the loss at every step.
import { describe, expect, it } from 'vitest'
import { fixtureBatch, fixtureConfig, fixtureLora, fixtureParams } from '../../../test-support/bert-fixture'
import { loadFixture } from '../../../test-support/fixtures'
import { loadKernels, type StepBackend } from '../addon'
import type { LoadedCheckpoint } from '../bert/checkpoint'
import { StepEngine } from './step-engine'
import { buildModel, type TrainSettings } from './trainer'

const REL_TOL = 1e-4
const fx = loadFixture('train_steps.bin')
const caps = loadKernels().capabilities()
// Every CPU variant, and every GPU (its step on the device, the optimizer on the CPU).
const backends = ['ref', ...caps.variants, ...caps.cuda.devices.map((d) => d.id)] as StepBackend[]

const checkpoint = (): LoadedCheckpoint => ({ config: fixtureConfig, weightsFile: '(fixture)', params: fixtureParams(), newlyInitialized: [], unused: [], metadata: {}, quant: null })

function run(backend: StepBackend, s: Pick<TrainSettings, 'method' | 'optimizer' | 'lr' | 'scheduler'>): number[] {
  const settings = { ...s, lora: { r: 4, alpha: 8, dropout: 0, targets: ['query', 'key', 'value'] as const, rslora: false }, trainPooler: false, seed: 1 }
  const { model, tensors } = buildModel(checkpoint(), { ...settings, lora: { ...settings.lora, targets: [...settings.lora.targets] } }, 2, backend)
  // The fixture's A and B (6 per layer: q/k/v) into the native slots (12 per layer), not a fresh init.
  if (model.lora) fixtureLora().forEach((t, i) => model.lora![12 * Math.floor(i / 6) + (i % 6)]!.set(t))
  const engine = new StepEngine(model, tensors, { ...settings, maxGradNorm: 1, attention: 'flash', hiddenDropout: 0, attentionDropout: 0 }, 10, 2)
  const batch = fixtureBatch()
  return Array.from({ length: 10 }, (_, k) => engine.step(k + 1, [batch], [0]).loss)
}

describe.each(backends)('ten optimizer steps vs PyTorch [%s]', (backend) => {
  it('LoRA r=4 alpha=8 on q/k/v + classifier, AdamW, polynomial schedule with warmup, clipping', () => {
    const ours = run(backend, { method: 'lora', optimizer: { name: 'adamw', weightDecay: 0.01 }, lr: 1e-2, scheduler: 'polynomial' })
    const want = Array.from(fx.get('lora_adamw_losses')!)
    ours.forEach((l, i) => expect(Math.abs(l - want[i]) / Math.abs(want[i]), `step ${i + 1}: ${l} vs ${want[i]}`).toBeLessThanOrEqual(REL_TOL))
    expect(want[9]).toBeLessThan(want[0]) // the reference itself learns on this batch
  })

  it('full fine-tuning, SGD with momentum, cosine schedule with warmup, clipping', () => {
    const ours = run(backend, { method: 'full', optimizer: { name: 'sgd', weightDecay: 0.01, momentum: 0.9 }, lr: 5e-2, scheduler: 'cosine' })
    const want = Array.from(fx.get('full_sgd_losses')!)
    ours.forEach((l, i) => expect(Math.abs(l - want[i]) / Math.abs(want[i]), `step ${i + 1}: ${l} vs ${want[i]}`).toBeLessThanOrEqual(REL_TOL))
    expect(want[9]).toBeLessThan(want[0])
  })
})

if (!caps.cuda.devices.length) it.skip(`ten optimizer steps vs PyTorch on a GPU (no GPU: ${caps.cuda.reason})`, () => {})
