// Merging bench rounds: each cell keeps its lowest-p50 round, whole; ratios come from the merge.
import { expect, it } from 'vitest'
import { benchRatios, bestOfRounds } from './bench-report'
import type { BenchRow } from './bench-variant'

const row = (variant: BenchRow['variant'], batch: number, p50: number): BenchRow => ({
  variant,
  batch,
  seq: 128,
  p50_ms: p50,
  p95_ms: p50 * 1.1,
  seq_per_s: (batch * 1000) / p50,
  peak_rss_mb: 400 + p50,
  dev_accuracy: 0.7,
  dev_f1: 0.8,
  mean_tokens: 128,
  weights_mb: 54.7,
})

it('keeps the best round of each cell, in the first round order', () => {
  const first = [row('native-fp32', 8, 40), row('ort-fp32', 8, 50), row('native-fp32', 32, 150)]
  const second = [row('ort-fp32', 8, 44), row('native-fp32', 32, 140), row('native-fp32', 8, 41)] // reverse order, other speeds
  const merged = bestOfRounds([first, second])
  expect(merged.map((r) => [r.variant, r.batch, r.p50_ms])).toEqual([
    ['native-fp32', 8, 40],
    ['ort-fp32', 8, 44],
    ['native-fp32', 32, 140],
  ])
  expect(merged[1].peak_rss_mb).toBe(444) // the row is kept whole
  expect(benchRatios(merged)[0].ratio).toBeCloseTo(40 / 44)
  expect(bestOfRounds([])).toEqual([])
})
