// The dot-product kernel in every variant against the double-precision reference,
// and the load-time dispatch (TBW_KERNEL_VARIANT) in fresh processes.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { addonPath, loadKernels, type KernelVariant } from '../../src-main/engine/addon'
import { seededVector } from '../../src-main/jobs/selftest'

const kernels = loadKernels()
const caps = kernels.capabilities()
const ALL: KernelVariant[] = ['scalar', 'avx2', 'avx512']
// Declared tolerance: float-lane accumulation vs the double reference.
const REL_TOL = 1e-5

function exactDot(a: Float32Array, b: Float32Array): { value: number; magnitude: number } {
  let value = 0
  let magnitude = 0
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i]
    magnitude += Math.abs(a[i] * b[i])
  }
  return { value, magnitude }
}

describe('capabilities', () => {
  it('reports CPU features, the chosen variant and threads', () => {
    for (const f of ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16'] as const) expect(typeof caps.cpu[f]).toBe('boolean')
    expect(caps.variants).toContain('scalar')
    expect(caps.variants).toContain(caps.variant)
    expect(caps.variants[0]).toBe(caps.variant) // best supported first, chosen unless forced
    expect(caps.threads).toBeGreaterThanOrEqual(1)
    // CUDA: built where nvcc was found; without it, or without a GPU, the reason says why
    if (!caps.cuda.compiled) expect(caps.cuda.reason).toMatch(/not compiled/)
    else if (!caps.cuda.devices.length) expect(caps.cuda.reason).toMatch(/GPU/)
    if (caps.cpu.avx512f) expect(caps.variants).toContain('avx512')
    if (caps.cpu.avx2 && caps.cpu.fma) expect(caps.variants).toContain('avx2')
  })
})

describe.each(ALL)('dot[%s]', (variant) => {
  const supported = caps.variants.includes(variant)
  it(supported ? 'matches the reference at every length, including odd tails' : 'is refused on this CPU', () => {
    if (!supported) {
      console.log(`dot[${variant}]: this CPU lacks ${variant}; checking the call is refused, not run`)
      expect(() => kernels.dot(new Float32Array(4), new Float32Array(4), variant)).toThrow(/not supported by this CPU/)
      return
    }
    for (const n of [0, 1, 7, 8, 15, 16, 17, 31, 33, 63, 312, 1200, 4097, 100_003]) {
      const a = seededVector(n, n + 1)
      const b = seededVector(n, n + 2)
      const { value, magnitude } = exactDot(a, b)
      const ref = kernels.dot(a, b, 'ref')
      const got = kernels.dot(a, b, variant)
      expect(Math.abs(ref - value)).toBeLessThanOrEqual(1e-6 * magnitude + 1e-7)
      expect(Math.abs(got - ref)).toBeLessThanOrEqual(REL_TOL * magnitude + 1e-7)
    }
  })
})

describe('dispatch', () => {
  const chosenIn = (env: Record<string, string>) =>
    JSON.parse(
      execFileSync(process.execPath, ['-e', `const c=require(${JSON.stringify(addonPath())}).capabilities();console.log(JSON.stringify(c))`], {
        env: { ...process.env, ...env },
      }).toString(),
    ) as { variant: string; variantReason: string }

  it('TBW_KERNEL_VARIANT forces each supported variant at load', () => {
    for (const v of caps.variants) {
      const c = chosenIn({ TBW_KERNEL_VARIANT: v })
      expect(c.variant).toBe(v)
      expect(c.variantReason).toMatch(/forced/)
    }
  })

  it('TBW_THREADS sizes the shared thread pool', () => {
    const threads = (env: Record<string, string>) =>
      Number(execFileSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(addonPath())}).threads())`], { env: { ...process.env, ...env } }).toString())
    expect(threads({ TBW_THREADS: '3' })).toBe(3)
    expect(threads({ TBW_THREADS: '1' })).toBe(1)
  })

  it('an unknown variant falls back to the best one and says why', () => {
    const c = chosenIn({ TBW_KERNEL_VARIANT: 'avx9000' })
    expect(c.variant).toBe(caps.variants[0])
    expect(c.variantReason).toMatch(/avx9000 is not a variant/)
  })

  it('rejects bad arguments with a clear error', () => {
    expect(() => kernels.dot(new Float32Array(3), new Float32Array(4))).toThrow(/3 elements but b has 4/)
    expect(() => kernels.dot(new Float64Array(3) as unknown as Float32Array, new Float32Array(3))).toThrow(/Float32Array/)
    expect(() => kernels.dot(new Float32Array(3), new Float32Array(3), 'neon' as KernelVariant)).toThrow(/unknown variant 'neon'/)
  })
})
