import { describe, expect, it } from 'vitest'
import { estimateEta } from './job-context'
import { seededVector } from './selftest'

describe('job progress', () => {
  it('estimates the remaining time from the rate so far', () => {
    expect(estimateEta(10, 0)).toBeNull()
    expect(estimateEta(10, 0.25)).toBeCloseTo(30)
    expect(estimateEta(10, 1)).toBe(0)
  })
  it('self-test vectors are seeded and in (-1, 1)', () => {
    const a = seededVector(1000, 7)
    expect(seededVector(1000, 7)).toEqual(a)
    expect(seededVector(1000, 8)).not.toEqual(a)
    expect(Math.max(...a)).toBeLessThan(1)
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1)
  })
})
