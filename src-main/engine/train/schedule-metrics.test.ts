// Schedules against Hugging Face's formulas at hand-computed points, and the
// GLUE metrics against values computed by hand / with sklearn and scipy.
import { describe, expect, it } from 'vitest'
import { accuracy, f1, matthews, pearson, spearman } from './metrics'
import { lrMultiplier, warmupSteps } from './schedule'

describe('learning-rate schedules (HF get_scheduler semantics)', () => {
  const o = (name: Parameters<typeof lrMultiplier>[1]['name']) => ({ name, totalSteps: 300, warmupSteps: warmupSteps(300, 0.2) })
  it('warms up from 0 over ceil(ratio * total) steps', () => {
    expect(warmupSteps(300, 0.2)).toBe(60)
    expect(warmupSteps(301, 0.2)).toBe(61)
    expect(warmupSteps(300, 0.2, 7)).toBe(7)
    for (const name of ['linear', 'cosine', 'constant_with_warmup', 'polynomial'] as const) {
      expect(lrMultiplier(0, o(name), 3.9e-4)).toBe(0)
      expect(lrMultiplier(30, o(name), 3.9e-4)).toBeCloseTo(0.5, 12)
      expect(lrMultiplier(60, o(name), 3.9e-4)).toBeCloseTo(1, 12)
    }
    expect(lrMultiplier(0, o('constant'), 1)).toBe(1)
  })
  it('decays as HF does after warmup', () => {
    expect(lrMultiplier(180, o('linear'), 1)).toBeCloseTo(0.5, 12)
    expect(lrMultiplier(300, o('linear'), 1)).toBe(0)
    expect(lrMultiplier(180, o('cosine'), 1)).toBeCloseTo(0.5, 12)
    expect(lrMultiplier(120, o('cosine'), 1)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.25)), 12)
    // polynomial, power 1, lr_end 1e-7: (lr - lr_end) * remaining + lr_end, over lr
    const lr = 3.9e-4
    expect(lrMultiplier(180, o('polynomial'), lr)).toBeCloseTo(((lr - 1e-7) * 0.5 + 1e-7) / lr, 12)
    expect(lrMultiplier(300, o('polynomial'), lr)).toBeCloseTo(1e-7 / lr, 12)
    expect(lrMultiplier(400, o('polynomial'), lr)).toBeCloseTo(1e-7 / lr, 12)
    expect(() => lrMultiplier(100, o('polynomial'), 1e-8)).toThrow(/must be larger than lr_end/)
  })
})

describe('GLUE metrics', () => {
  const gold = [1, 1, 0, 1, 0, 0, 1, 1]
  const pred = [1, 0, 0, 1, 1, 0, 1, 1]
  it('accuracy, F1 and Matthews (sklearn values)', () => {
    expect(accuracy(pred, gold)).toBe(0.75)
    expect(f1(pred, gold)).toBeCloseTo(0.8, 12) // tp 4, fp 1, fn 1
    expect(matthews(pred, gold)).toBeCloseTo(0.4666666666666667, 12) // (tp·tn − fp·fn) / √(…) = 7/15
    expect(matthews([1, 1, 1], [1, 0, 1])).toBe(0)
    expect(matthews([0, 1, 2, 2], [0, 1, 2, 1])).toBeCloseTo(0.7, 12) // (3·4 − 5) / √((16 − 6)(16 − 6))
  })
  it('Pearson and Spearman with ties (scipy values)', () => {
    const x = [1, 2, 3, 4, 5]
    const y = [2, 1, 4, 3, 5]
    expect(pearson(x, y)).toBeCloseTo(0.8, 12)
    expect(spearman(x, y)).toBeCloseTo(0.8, 12)
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 12) // scipy.stats.spearmanr
  })
})
