// Quantized models end to end in the engine: the bindings' formats, bertStep with int8/nf4
// weights against the same model with the dequantized fp32 weights, QLoRA gradients, and the
// quantized folder written by `tbw quantize` and loaded back.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fixtureBatch, fixtureConfig, fixtureLora, fixtureParams } from '../../../test-support/bert-fixture'
import { scaleClose } from '../../../test-support/fixtures'
import { loadKernels, type KernelVariant, type QuantWeight } from '../addon'
import { loadCheckpoint } from '../bert/checkpoint'
import { sequenceClassificationParams } from '../bert/config'
import { BertClassifier } from '../bert/model'
import { writeSafetensors } from '../bert/safetensors'
import { isQuantizableLinear, POOLER_WEIGHT, WORD_EMBEDDINGS } from './policy'
import { quantizeModelFolder } from './quantize-model'

const k = loadKernels()
const backends = ['ref', ...k.capabilities().variants] as KernelVariant[]
const batch = fixtureBatch()
const specs = sequenceClassificationParams(fixtureConfig, 2)
const shapeOf = (name: string) => specs.find((s) => s.name === name)!.shape

// Every encoder linear quantized in `mode`; also the params with those weights dequantized.
function quantizeLinears(mode: 'int8' | 'nf4') {
  const params = fixtureParams()
  const quantized = new Map<string, QuantWeight>()
  const dequantized = new Map(params)
  for (const [name, w] of params) {
    if (!isQuantizableLinear(name) || name === POOLER_WEIGHT) continue
    const [OC, C] = shapeOf(name)
    const q = mode === 'int8' ? k.quantizeInt8(w, OC, C) : k.quantizeNf4(w)
    quantized.set(name, q)
    dequantized.set(name, k.dequantize(q, OC, C))
  }
  return { params, quantized, dequantized }
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0)

describe('formats through the bindings', () => {
  it('fp16 and bf16 round trips keep 11 and 8 significant bits', () => {
    const v = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4))
    const h = k.fromHalf(k.toHalf(v))
    const b = k.fromBf16(k.toBf16(v))
    v.forEach((x, i) => {
      if (Math.abs(x) > 6.2e-5) expect(Math.abs(h[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11)
      expect(Math.abs(b[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8)
    })
  })

  it('double quantization of nf4 absmaxes stays within half an int8 step', () => {
    const w = Float32Array.from({ length: 64 * 600 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 640) / 64))
    const { absmax } = k.quantizeNf4(w)
    const dq = k.quantizeAbsmax(absmax)
    const back = k.dequantizeAbsmax(dq.codes, dq.scales, dq.offset)
    absmax.forEach((a, i) => expect(Math.abs(back[i] - a)).toBeLessThanOrEqual(dq.scales[Math.floor(i / 256)] * 0.5 + 1e-7))
  })

  it('a wrong-sized quantized weight is refused with the field named', () => {
    const q = k.quantizeInt8(new Float32Array(6), 2, 3)
    expect(() => k.quantLinear('ref', new Float32Array(12), new Float32Array(12), q, null, 4, 3, 3)).toThrow(/weight.codes .* has 6 elements, needs 9/)
    expect(() => k.quantLinear('ref', new Float32Array(8), new Float32Array(12), { ...q, kind: 'int4' } as never, null, 4, 3, 2)).toThrow(/kind must be 'int8' or 'nf4'/)
  })
})

describe.each(backends)('bertStep with quantized linears [%s]', (backend) => {
  it('nf4: logits equal the fp32 model holding the dequantized weights (1e-4 relative)', () => {
    const { quantized, dequantized } = quantizeLinears('nf4')
    const q = new BertClassifier(fixtureConfig, fixtureParams(), backend, null, 2, quantized).forward(batch)
    const f = new BertClassifier(fixtureConfig, dequantized, backend).forward(batch)
    expect(scaleClose(q.logits, f.logits).ok).toBe(true)
  })

  it('int8: logits within 2% of the dequantized fp32 model (activations are quantized per token too)', () => {
    const { quantized, dequantized } = quantizeLinears('int8')
    const q = new BertClassifier(fixtureConfig, fixtureParams(), backend, null, 2, quantized).forward(batch)
    const f = new BertClassifier(fixtureConfig, dequantized, backend).forward(batch)
    const scale = f.logits.reduce((m, x) => Math.max(m, Math.abs(x)), 0)
    expect(maxAbs(q.logits, f.logits)).toBeLessThan(0.02 * scale)
    expect(maxAbs(q.logits, f.logits)).toBeGreaterThan(0) // really ran the int8 path
  })

  it('QLoRA: LoRA and classifier gradients on the nf4 base equal those on its dequantized fp32 copy', () => {
    const { quantized, dequantized } = quantizeLinears('nf4')
    const lora = { options: { r: 4, alpha: 8, dropout: 0 }, tensors: fixtureLora() }
    const qm = new BertClassifier(fixtureConfig, fixtureParams(), backend, lora, 2, quantized)
    const fm = new BertClassifier(fixtureConfig, dequantized, backend, { ...lora, tensors: fixtureLora() })
    const qs = qm.trainStep(batch, { trainBase: false })
    const fs_ = fm.trainStep(batch, { trainBase: false })
    expect(qs.loss).toBeCloseTo(fs_.loss, 5)
    qm.loraGrads!.forEach((g, i) => expect(scaleClose(g!, fm.loraGrads![i]!).ok, `lora grad ${i}`).toBe(true))
    const cls = qm.names.indexOf('classifier.weight')
    expect(scaleClose(qm.grads[cls], fm.grads[cls]).ok).toBe(true)
  })

  it('an int8 word table gives the same logits as its dequantized fp32 table', () => {
    const params = fixtureParams()
    const [V, C] = shapeOf(WORD_EMBEDDINGS)
    const q = k.quantizeInt8(params.get(WORD_EMBEDDINGS)!, V, C)
    const deq = new Map(params).set(WORD_EMBEDDINGS, k.dequantize(q, V, C))
    const a = new BertClassifier(fixtureConfig, params, backend, null, 2, new Map([[WORD_EMBEDDINGS, q]])).forward(batch)
    const b = new BertClassifier(fixtureConfig, deq, backend).forward(batch)
    expect(scaleClose(a.logits, b.logits).ok).toBe(true)
  })
})

describe('quantized model folders', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-quant-'))
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
  const src = path.join(root, 'fp32')
  fs.mkdirSync(src)
  fs.writeFileSync(path.join(src, 'config.json'), JSON.stringify({ ...fixtureConfig, model_type: 'bert' }))
  fs.writeFileSync(path.join(src, 'vocab.txt'), 'x\n')
  const params = fixtureParams()
  writeSafetensors(path.join(src, 'model.safetensors'), specs.map((s) => ({ name: s.name, shape: s.shape, data: params.get(s.name)! })))

  it.each([
    ['nf4', true, false],
    ['nf4', false, true],
    ['int8', false, true],
    ['fp16', false, false],
    ['bf16', false, false],
  ] as const)('%s (double quant %s, int8 embeddings %s): written atomically, loaded back, logits close to fp32', (mode, doubleQuant, embeddingsInt8) => {
    const out = path.join(root, `${mode}-${doubleQuant}-${embeddingsInt8}`)
    const r = quantizeModelFolder(src, out, { mode, doubleQuant, embeddingsInt8 })
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt'])
    expect(fs.readdirSync(root).some((f) => f.includes('.tmp-'))).toBe(false)
    expect(r.diskBytes).toBeLessThan(r.sourceBytes * (mode === 'fp16' || mode === 'bf16' ? 0.51 : 0.5))
    const ck = loadCheckpoint(out)
    expect(ck.quant?.config.mode).toBe(mode)
    expect(ck.unused).toEqual([])
    // 2 layers x 6 linears (the pooler is dequantized at load), plus the word table when int8
    expect(ck.quant!.weights.size).toBe((mode === 'nf4' || mode === 'int8' ? 12 : 0) + (embeddingsInt8 ? 1 : 0))
    const got = BertClassifier.fromCheckpoint(ck, 'ref').forward(batch).logits
    const want = new BertClassifier(fixtureConfig, params, 'ref').forward(batch).logits
    const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0)
    const tol = { fp16: 0.003, bf16: 0.02, int8: 0.03, nf4: 0.15 }[mode]
    expect(maxAbs(got, want)).toBeLessThan(tol * scale)
  })

  it('refuses an existing folder, a quantized source, and a folder with a missing quantized tensor', () => {
    const out = path.join(root, 'again')
    quantizeModelFolder(src, out, { mode: 'int8', doubleQuant: false, embeddingsInt8: false })
    expect(() => quantizeModelFolder(src, out, { mode: 'int8', doubleQuant: false, embeddingsInt8: false })).toThrow(/already exists and is not empty/)
    expect(() => quantizeModelFolder(out, path.join(root, 'x'), { mode: 'nf4', doubleQuant: true, embeddingsInt8: false })).toThrow(/already quantized/)
    const file = path.join(out, 'model.safetensors')
    const ck = loadCheckpoint(out)
    expect(ck.quant).not.toBeNull()
    const raw = fs.readFileSync(file)
    const n = Number(raw.readBigUInt64LE(0))
    const header = JSON.parse(raw.subarray(8, 8 + n).toString()) as Record<string, unknown>
    const victim = 'bert.encoder.layer.1.output.dense.weight.scale'
    expect(header[victim]).toBeDefined()
    header[victim.replace('.scale', '.skale')] = header[victim]
    delete header[victim]
    let json = JSON.stringify(header)
    json += ' '.repeat((8 - (json.length % 8)) % 8)
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(json.length))
    fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json), raw.subarray(8 + n)]))
    expect(() => loadCheckpoint(out)).toThrow(/missing tensor bert\.encoder\.layer\.1\.output\.dense\.weight\.scale/)
  })
})
