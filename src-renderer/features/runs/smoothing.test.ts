import { describe, expect, it } from 'vitest'
import { emaDebiased, movingAverage } from './smoothing'

const pts = (vs: (number | null)[]) => vs.map((value, step) => ({ step, value, wallTime: step }))

describe('curve smoothing', () => {
  it('debiased EMA starts at the first value and follows TensorBoard', () => {
    const out = emaDebiased(pts([1, 3, null, 5]), 0.5).map((p) => p.value)
    expect(out[0]).toBe(1) // debiasing: no pull towards 0
    expect(out[1]).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25), 12)
    expect(out[2]).toBeNull()
    expect(out[3]).toBeCloseTo((((0.5 * 0.5 * 1 + 0.5 * 3) * 0.5 + 0.5 * 5) / (1 - 0.125)), 12)
  })
  it('moving average over a trailing window', () => {
    expect(movingAverage(pts([2, 4, 6, 8]), 2).map((p) => p.value)).toEqual([2, 3, 5, 7])
  })
})
