// The engine self-test job: exercises the native addon's dispatch by running
// the dot-product kernel in every variant the CPU supports, checking each
// against the scalar reference and timing it, with progress and metrics.
import { loadKernels, type KernelVariant } from '../engine/addon'
import { seededRandom } from '../engine/random'
import type { JobContext } from './job-context'

export interface SelfTestParams {
  steps: number
  intervalMs: number
  vectorLength: number
}

// Declared tolerance: |fast - ref| <= REL_TOL * sum|a_i b_i| (float lanes vs double).
export const SELFTEST_REL_TOL = 1e-5

// Deterministic uniform(-1, 1) values (mulberry32), so every run checks the same data.
export function seededVector(n: number, seed: number): Float32Array {
  const uniform = seededRandom(seed)
  return Float32Array.from({ length: n }, () => uniform() * 2 - 1)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function runSelfTest(ctx: JobContext, params: SelfTestParams): Promise<Record<string, unknown>> {
  const kernels = loadKernels()
  const caps = kernels.capabilities()
  const variants = caps.variants as KernelVariant[]
  ctx.log(`kernels: ${caps.variant} chosen (${caps.variantReason}); testing ${variants.join(', ')}`)
  let worst = 0
  for (let step = 1; step <= params.steps; step++) {
    ctx.checkpoint()
    const a = seededVector(params.vectorLength, step * 2)
    const b = seededVector(params.vectorLength, step * 2 + 1)
    let magnitude = 0
    for (let i = 0; i < a.length; i++) magnitude += Math.abs(a[i] * b[i])
    const ref = kernels.dot(a, b, 'ref')
    let stepErr = 0
    for (const v of variants) {
      const t0 = process.hrtime.bigint()
      const got = kernels.dot(a, b, v)
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      const relErr = Math.abs(got - ref) / Math.max(magnitude, Number.MIN_VALUE)
      if (!(relErr <= SELFTEST_REL_TOL)) {
        throw new Error(`dot[${v}] differs from the reference at step ${step}: rel. error ${relErr} > ${SELFTEST_REL_TOL}`)
      }
      stepErr = Math.max(stepErr, relErr)
      ctx.metric(`gflops.${v}`, step, (2 * params.vectorLength) / Math.max(seconds, 1e-9) / 1e9)
    }
    worst = Math.max(worst, stepErr)
    ctx.metric('max_rel_error', step, stepErr)
    ctx.progress(step / params.steps, `step ${step}/${params.steps}: ${variants.length} variants agree`)
    if (params.intervalMs > 0 && step < params.steps) await sleep(params.intervalMs)
  }
  return { variant: caps.variant, variantsTested: variants, maxRelError: worst, tolerance: SELFTEST_REL_TOL }
}
