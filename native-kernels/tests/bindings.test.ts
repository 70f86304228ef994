// The N-API kernel bindings: results on every backend against plain JS
// references, and arguments checked before they reach native code.
import { describe, expect, it } from 'vitest'
import { loadKernels, type KernelVariant } from '../../src-main/engine/addon'
import { seededVector } from '../../src-main/jobs/selftest'

const k = loadKernels()
const backends = (['ref', ...k.capabilities().variants] as KernelVariant[]).filter((b, i, all) => all.indexOf(b) === i)

function jsLinear(inp: Float32Array, w: Float32Array, bias: Float32Array, N: number, C: number, OC: number): Float64Array {
  const out = new Float64Array(N * OC)
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OC; o++) {
      let acc = bias[o]
      for (let c = 0; c < C; c++) acc += inp[n * C + c] * w[o * C + c]
      out[n * OC + o] = acc
    }
  return out
}

describe.each(backends)('bindings[%s]', (backend) => {
  it('matmulForward and matmulBackward match a JS reference (N=7, C=37, OC=20)', () => {
    const [N, C, OC] = [7, 37, 20]
    const inp = seededVector(N * C, 1), w = seededVector(OC * C, 2), bias = seededVector(OC, 3), dout = seededVector(N * OC, 4)
    const out = new Float32Array(N * OC)
    k.matmulForward(backend, out, inp, w, bias, N, C, OC)
    const want = jsLinear(inp, w, bias, N, C, OC)
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5))
    const dinp = new Float32Array(N * C), dw = new Float32Array(OC * C), db = new Float32Array(OC)
    k.matmulBackward(backend, dinp, dw, db, dout, inp, w, N, C, OC)
    let expect00 = 0
    for (let o = 0; o < OC; o++) expect00 += dout[o] * w[o * C]
    expect(dinp[0]).toBeCloseTo(expect00, 5)
    let dw00 = 0, db0 = 0
    for (let n = 0; n < N; n++) (dw00 += dout[n * OC] * inp[n * C]), (db0 += dout[n * OC])
    expect(dw[0]).toBeCloseTo(dw00, 5)
    expect(db[0]).toBeCloseTo(db0, 5)
  })

  it('flash and naive attention agree, and flash memory does not grow with T²', () => {
    const [B, NH, T, HS] = [2, 3, 33, 26]
    const n = B * NH * T * HS
    const q = seededVector(n, 5), kk = seededVector(n, 6), v = seededVector(n, 7), dout = seededVector(n, 8)
    const mask = new Uint8Array(B * T).fill(1).fill(0, T + 20)
    const run = (algo: 'flash' | 'naive') => {
      const out = new Float32Array(n), lse = new Float32Array(B * NH * T), att = algo === 'naive' ? new Float32Array(B * NH * T * T) : null
      const dq = new Float32Array(n), dk = new Float32Array(n), dv = new Float32Array(n)
      k.attentionForward(backend, algo, out, lse, att, q, kk, v, mask, B, NH, T, HS)
      k.attentionBackward(backend, algo, dq, dk, dv, dout, q, kk, v, out, lse, att, mask, B, NH, T, HS)
      return { out, dq }
    }
    const f = run('flash'), nv = run('naive')
    f.out.forEach((x, i) => expect(Math.abs(x - nv.out[i])).toBeLessThan(1e-5))
    f.dq.forEach((x, i) => expect(Math.abs(x - nv.dq[i])).toBeLessThan(1e-4))
    if (backend !== 'ref') {
      const flash = [128, 256, 512].map((t) => k.attentionExtraBytes(backend, 'flash', 32, 12, t, 26))
      const naive = [128, 256, 512].map((t) => k.attentionExtraBytes(backend, 'naive', 32, 12, t, 26))
      expect(naive[2] / naive[0]).toBeGreaterThan(15) // quadratic in T
      expect(flash[2] / flash[0]).toBeLessThan(4.5) // at most linear in T
      expect(flash[2]).toBeLessThan(naive[0])
    }
  })
})

describe('binding argument checks', () => {
  it('names the argument that is too short or of the wrong type', () => {
    const f = new Float32Array(4)
    expect(() => k.matmulForward('ref', f, f, new Float32Array(3), null, 2, 2, 2)).toThrow(/weight has 3 elements, needs 4/)
    expect(() => k.matmulForward('ref', f, new Float64Array(4) as unknown as Float32Array, f, null, 2, 2, 2)).toThrow(/inp has the wrong element type/)
    expect(() => k.matmulForward('ref', f, f, f, null, 2, 0, 2)).toThrow(/C must be an integer >= 1/)
    expect(() => k.matmulForward('neon' as KernelVariant, f, f, f, null, 2, 2, 2)).toThrow(/backend 'neon' is not available/)
    expect(() => k.attentionForward('ref', 'naive', f, f, null, f, f, f, null, 1, 1, 2, 2)).toThrow(/naive attention needs att/)
    expect(() => k.attentionForward('ref', 'fast' as 'flash', f, f, null, f, f, f, null, 1, 1, 2, 2)).toThrow(/algo must be 'flash' or 'naive'/)
  })

  it('reports a positive FMA peak for the chosen variant', () => {
    const caps = k.capabilities()
    expect(k.fmaPeakGflops(caps.variant as 'avx512', 100_000)).toBeGreaterThan(0.1)
  })
})
