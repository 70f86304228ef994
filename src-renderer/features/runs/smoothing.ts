// Curve smoothing for the compare view: TensorBoard's debiased exponential
// moving average, and a trailing moving average. Null (non-finite) points stay null.
import type { MetricPoint } from '../../../src-main/contract/types'

export function emaDebiased(points: MetricPoint[], weight: number): MetricPoint[] {
  let last = 0
  let n = 0
  return points.map((p) => {
    if (p.value === null) return p
    n++
    last = last * weight + (1 - weight) * p.value
    return { ...p, value: last / (1 - weight ** n) }
  })
}

export function movingAverage(points: MetricPoint[], window: number): MetricPoint[] {
  const recent: number[] = []
  let sum = 0
  return points.map((p) => {
    if (p.value === null) return p
    recent.push(p.value)
    sum += p.value
    if (recent.length > window) sum -= recent.shift()!
    return { ...p, value: sum / recent.length }
  })
}
