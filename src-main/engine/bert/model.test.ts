// The engine's BertClassifier (one native call per step) against the PyTorch
// fixture of tools/make_fixtures.py: a 2-layer, hidden-64 model, full fine-tuning
// and LoRA r=4 on q/k/v, on every backend this CPU has.
import { describe, expect, it } from 'vitest'
import { fixtureBatch, fixtureConfig, fixtureLora, fixtureLoraAll, fixtureParams } from '../../../test-support/bert-fixture'
import { loadFixture, scaleClose } from '../../../test-support/fixtures'
import { loadKernels, type KernelVariant } from '../addon'
import { BertClassifier } from './model'

const fx = loadFixture('bert_model.bin')
const config = fixtureConfig
const params = fixtureParams
const batch = fixtureBatch()
const { B, T } = batch

const backends = ['ref', ...loadKernels().capabilities().variants] as KernelVariant[]

describe.each(backends)('BertClassifier[%s] vs PyTorch', (backend) => {
  it('full fine-tuning: logits, loss and every gradient in one native call', () => {
    const model = new BertClassifier(config, params(), backend)
    const { logits, loss } = model.trainStep(batch, { trainBase: true })
    expect(scaleClose(logits, fx.get('logits')!).ok).toBe(true)
    expect(loss).toBeCloseTo(fx.get('loss')![0], 5)
    model.names.forEach((name, i) => {
      const c = scaleClose(model.grads[i], fx.get(`d:${name}`)!)
      expect(c.ok, `${name}: worst ${c.worst} of scale ${c.scale}`).toBe(true)
    })
    const evalOnly = model.forward(batch)
    expect(Array.from(evalOnly.logits)).toEqual(Array.from(logits))
  })

  it('LoRA r=4, alpha=8 on q/k/v: LoRA and classifier gradients; the base stays frozen', () => {
    const lora = fixtureLora()
    const model = new BertClassifier(config, params(), backend, { options: { r: 4, alpha: 8, dropout: 0 }, tensors: lora })
    const { logits, loss } = model.trainStep(batch, { trainBase: false })
    expect(scaleClose(logits, fx.get('lora_logits')!).ok).toBe(true)
    expect(loss).toBeCloseTo(fx.get('lora_loss')![0], 5)
    const names = [0, 1].flatMap((l) => ['query', 'key', 'value'].flatMap((p) => ['A', 'B'].map((ab) => `lora_d:${l}.${p}.${ab}`)))
    names.forEach((name, i) => expect(scaleClose(model.loraGrads![i]!, fx.get(name)!).ok, name).toBe(true))
    const cls = model.names.indexOf('classifier.weight')
    expect(scaleClose(model.grads[cls], fx.get('lora_d:classifier.weight')!).ok).toBe(true)
    const frozen = model.names.indexOf('bert.encoder.layer.0.attention.self.query.weight')
    expect(model.grads[frozen].every((g) => g === 0)).toBe(true)
  })
})

describe.each(backends)('BertClassifier[%s] LoRA on all six linear layers vs PyTorch', (backend) => {
  it('query, key, value, attention.output.dense, intermediate.dense, output.dense: logits, loss, LoRA and classifier gradients', () => {
    const all = loadFixture('bert_model_lora_all.bin')
    const model = new BertClassifier(config, params(), backend, { options: { r: 4, alpha: 8, dropout: 0 }, tensors: fixtureLoraAll() })
    const { logits, loss } = model.trainStep(batch, { trainBase: false })
    expect(scaleClose(logits, all.get('logits')!).ok).toBe(true)
    expect(loss).toBeCloseTo(all.get('loss')![0], 5)
    const names = [0, 1].flatMap((l) => ['query', 'key', 'value', 'ao', 'i', 'o'].flatMap((p) => ['A', 'B'].map((ab) => `d:${l}.${p}.${ab}`)))
    names.forEach((name, i) => {
      const c = scaleClose(model.loraGrads![i]!, all.get(name)!)
      expect(c.ok, `${name}: worst ${c.worst} of scale ${c.scale}`).toBe(true)
    })
    expect(scaleClose(model.grads[model.names.indexOf('classifier.weight')], all.get('d:classifier.weight')!).ok).toBe(true)
  })
})

describe.each(backends)('BertClassifier[%s] regression head (num_labels = 1) vs PyTorch', (backend) => {
  it('MSE on float targets: logits, loss and every gradient', () => {
    const reg = loadFixture('bert_model_regression.bin')
    const model = new BertClassifier(config, fixtureParams(1), backend, null, 1)
    const { logits, loss } = model.trainStep({ ...batch, labels: undefined, targets: Float32Array.from([0.5, 2.0, -1.0]) }, { trainBase: true })
    expect(scaleClose(logits, reg.get('logits')!).ok).toBe(true)
    expect(loss).toBeCloseTo(reg.get('loss')![0], 5)
    model.names.forEach((name, i) => {
      const c = scaleClose(model.grads[i], reg.get(`d:${name}`)!)
      expect(c.ok, `${name}: worst ${c.worst} of scale ${c.scale}`).toBe(true)
    })
  })
})

describe.each(backends)('BertClassifier[%s] attention choice', (backend) => {
  it('flash and naive attention give the same logits and gradients, with dropout too', () => {
    const run = (attention: 'flash' | 'naive') => {
      const model = new BertClassifier(config, params(), backend)
      const out = model.trainStep(batch, { trainBase: true, attention, hiddenDropout: 0.1, attentionDropout: 0.1, seed: 5 })
      return { ...out, grads: model.grads }
    }
    const f = run('flash'), n = run('naive')
    expect(scaleClose(f.logits, n.logits, 1e-5).ok).toBe(true)
    expect(f.loss).toBeCloseTo(n.loss, 5)
    f.grads.forEach((g, i) => expect(scaleClose(g, n.grads[i], 1e-4).ok).toBe(true))
  })
})

describe.each(backends)('BertClassifier[%s] with dropout', (backend) => {
  it('gradients with hidden and attention dropout match a directional finite difference (masks fixed by the seed)', () => {
    // The masks are counter-based (seed, site, index), so the loss is a smooth function of the
    // weights: g·v ≈ (L(θ+εv) − L(θ−εv)) / 2ε along a random direction v over every tensor.
    const opts = { trainBase: true, hiddenDropout: 0.1, attentionDropout: 0.1, seed: 5 }
    const model = new BertClassifier(config, params(), backend)
    model.trainStep(batch, opts)
    const grads = model.grads.map((g) => Float64Array.from(g))
    let state = 12345
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1
    const dirs = model.params.map((p) => Float32Array.from(p, () => rand()))
    const lossAt = (eps: number) => {
      const base = params()
      const moved = new Map(model.names.map((name, i) => [name, Float32Array.from(base.get(name)!, (x, j) => x + eps * dirs[i][j])]))
      const shifted = new BertClassifier(config, moved, backend)
      return shifted.trainStep(batch, opts).loss
    }
    const eps = 1e-3
    const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps)
    const analytic = grads.reduce((acc, g, i) => acc + g.reduce((a, x, j) => a + x * dirs[i][j], 0), 0)
    expect(Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(analytic))).toBeLessThan(2e-2)
  })
})

describe('bertStep argument checks', () => {
  it('refuses out-of-vocabulary ids and wrong tensor counts with the reason', () => {
    const model = new BertClassifier(config, params(), 'ref')
    const bad = { ...batch, ids: batch.ids.map((x, i) => (i === 5 ? 99 : x)) }
    expect(() => model.forward(bad)).toThrow(/ids\[5\] = 99 is outside the vocabulary/)
    expect(() => loadKernels().bertStep('ref', { vocab: 50, maxPos: 16, typeVocab: 2, hidden: 64, heads: 4, intermediate: 128, layers: 2, labels: 2 }, model.params.slice(1), null, batch.ids, batch.tokenTypes, batch.mask, null, B, T, null, null, new Float32Array(6))).toThrow(/params has 40 tensors, the config needs 41/)
  })
})

describe.each(backends)('BertClassifier[%s] frozen for inference', (backend) => {
  it('keeps packed weights between calls with identical logits, and refuses to train', () => {
    const plain = new BertClassifier(config, params(), backend).forward(batch).logits
    const frozen = new BertClassifier(config, params(), backend).freezeWeights()
    for (let i = 0; i < 3; i++) expect(Array.from(frozen.forward(batch).logits)).toEqual(Array.from(plain))
    expect(() => frozen.trainStep(batch, { trainBase: true })).toThrow(/frozen for inference/)
  })
})
