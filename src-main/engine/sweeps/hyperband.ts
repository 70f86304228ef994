// Hyperband early termination as W&B's sweeps controller decides it: the
// brackets ("bands") from max_iter and s (max_iter / eta^k for k = 1..s, at
// least 1, ascending) or from min_iter (min_iter · eta^k), and at each band the
// threshold that keeps the best 1/eta of the runs that reached it. An
// iteration is one logged value of the sweep's metric.
import type { SweepConfig } from './config'

export function hyperbandBands(et: NonNullable<SweepConfig['earlyTerminate']>, limit = 100): number[] {
  const bands: number[] = []
  if (et.maxIter !== undefined) {
    let band = et.maxIter
    for (let i = 0; i < (et.s ?? 0); i++) {
      band /= et.eta
      if (band < 1) break
      bands.push(Math.floor(band))
    }
    return bands.sort((a, b) => a - b)
  }
  let band = et.minIter!
  for (let i = 0; i < limit; i++) {
    bands.push(Math.floor(band))
    band *= et.eta
  }
  return bands
}

// Which running trials to stop, given every trial's metric history (losses
// oriented so that lower is better: negate for a maximized metric).
export function hyperbandStops(bands: number[], eta: number, histories: { id: number; running: boolean; history: number[] }[]): number[] {
  const r = 1 / eta
  const thresholds = bands.map((band) => {
    const values = histories.filter((h) => h.history.length > band).map((h) => h.history[band]).sort((a, b) => a - b)
    return values.length ? values[Math.floor(r * values.length)] : Infinity
  })
  const stop: number[] = []
  for (const h of histories) {
    if (!h.running) continue
    let k = -1
    while (k + 1 < bands.length && bands[k + 1] < h.history.length) k++
    if (k >= 0 && h.history[bands[k]] > thresholds[k]) stop.push(h.id)
  }
  return stop
}
