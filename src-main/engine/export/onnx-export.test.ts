// The ONNX exports run in onnxruntime-node and give the workbench's logits: fp32 within 1e-4
// (graph optimizations on and off); int8 and 4-bit within their quantization error.
import { describe, expect, it } from 'vitest'
import { fixtureBatch, fixtureConfig, fixtureParams } from '../../../test-support/bert-fixture'
import { BertClassifier } from '../bert/model'
import { bertToOnnx, quantizeInt4Blocks } from './onnx-export'
import { onnxLogits, openOnnx } from './onnx-run'

const batch = fixtureBatch()
const params = fixtureParams()
const want = new BertClassifier(fixtureConfig, params, 'ref').forward(batch).logits
const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0)
const maxAbs = (a: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i])), 0)

describe('ONNX export in onnxruntime-node', () => {
  it.each(['all', 'disabled'] as const)('fp32 logits match the workbench within 1e-4 (graph optimizations %s)', async (optimizations) => {
    const session = await openOnnx(bertToOnnx(fixtureConfig, params, 2, 'fp32'), { optimizations, threads: 2 })
    const got = await onnxLogits(session, batch)
    expect(got.length).toBe(want.length)
    expect(maxAbs(got)).toBeLessThanOrEqual(1e-4)
  })

  it('int8 (MatMulInteger with per-channel weights) runs and stays within 3% of the fp32 logits', async () => {
    const got = await onnxLogits(await openOnnx(bertToOnnx(fixtureConfig, params, 2, 'int8'), { threads: 2 }), batch)
    expect(maxAbs(got)).toBeGreaterThan(0)
    expect(maxAbs(got)).toBeLessThan(0.03 * scale)
  })

  it('int4 (MatMulNBits) runs and stays within 15% of the fp32 logits', async () => {
    const got = await onnxLogits(await openOnnx(bertToOnnx(fixtureConfig, params, 2, 'int4'), { threads: 2 }), batch)
    expect(maxAbs(got)).toBeGreaterThan(0)
    expect(maxAbs(got)).toBeLessThan(0.15 * scale)
  })

  it('int4 blocks: low nibble first, zero point 8, within half a step', () => {
    const K = 40, N = 3
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i * 1.3))
    const q = quantizeInt4Blocks(w, N, K)
    expect(q.kBlocks).toBe(2)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const b = Math.floor(k / 32), byte = q.packed[(n * 2 + b) * 16 + ((k % 32) >> 1)]
        const code = k % 2 === 0 ? byte & 15 : byte >> 4
        const s = q.scales[n * 2 + b]
        expect(Math.abs((code - 8) * s - w[n * K + k])).toBeLessThanOrEqual(s / 2 + 1e-6)
      }
  })
})
