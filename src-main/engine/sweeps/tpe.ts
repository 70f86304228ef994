// Bayesian search by a Tree-structured Parzen Estimator (Bergstra et al., 2011):
// the trials so far are split into the best γ and the rest; per parameter, a
// Parzen density l(x) is fitted to the good ones and g(x) to the others (each
// with a flat prior), candidates are drawn from l, and the one with the largest
// l(x)/g(x) is tried next. Numeric parameters are modelled in the space they
// are sampled in (log space for log distributions); categorical ones by
// smoothed counts. The first few trials are random.
import { seededRandom } from '../random'
import type { ParamSpec, SweepConfig } from './config'
import { sampleParam } from './sample'

export interface Observation {
  trial: Record<string, unknown>
  loss: number // lower is better (negate a maximized metric)
}

const STARTUP = 8
const GAMMA = 0.25
const CANDIDATES = 32

function isLog(p: ParamSpec): boolean {
  return /log/.test(p.distribution)
}

// Numeric parameters: the bounds of the modelling space, and the maps to and from it.
function space(p: ParamSpec): { lo: number; hi: number; to(x: number): number; from(z: number): number } | null {
  if (p.distribution === 'categorical' || p.distribution === 'constant') return null
  if (/normal/.test(p.distribution)) {
    const lo = p.mu! - 4 * p.sigma!
    const hi = p.mu! + 4 * p.sigma!
    return p.distribution.includes('log')
      ? { lo, hi, to: (x) => Math.log(x), from: (z) => Math.exp(z) }
      : { lo, hi, to: (x) => x, from: (z) => z }
  }
  if (p.distribution === 'log_uniform' || p.distribution === 'q_log_uniform' || p.distribution === 'inv_log_uniform')
    return { lo: p.min!, hi: p.max!, to: (x) => Math.log(p.distribution === 'inv_log_uniform' ? 1 / x : x), from: (z) => (p.distribution === 'inv_log_uniform' ? 1 / Math.exp(z) : Math.exp(z)) }
  if (isLog(p)) return { lo: Math.log(p.min!), hi: Math.log(p.max!), to: (x) => Math.log(x), from: (z) => Math.exp(z) }
  return { lo: p.min!, hi: p.max!, to: (x) => x, from: (z) => z }
}

const gauss = (z: number, mu: number, s: number) => Math.exp(-0.5 * ((z - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI))

// A Parzen density on [lo, hi]: a Gaussian per point (bandwidth from the spread) plus a flat prior.
function parzen(points: number[], lo: number, hi: number) {
  const width = hi - lo
  const s = Math.max(width / Math.max(4, points.length), width * 0.02)
  const prior = 1 / width
  return {
    pdf: (z: number) => (points.reduce((a, m) => a + gauss(z, m, s), 0) + prior) / (points.length + 1),
    sample: (rand: () => number) => {
      const k = Math.floor(rand() * (points.length + 1))
      if (k === points.length) return lo + rand() * width
      const u = Math.max(rand(), 1e-12)
      const z = points[k] + s * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
      return Math.min(hi, Math.max(lo, z))
    },
  }
}

function round(p: ParamSpec, x: number): number {
  if (p.distribution === 'int_uniform') return Math.min(p.max!, Math.max(p.min!, Math.round(x)))
  if (p.q) return Math.round(x / p.q) * p.q
  return x
}

export function tpeTrial(config: SweepConfig, observed: Observation[], seed: number): Record<string, unknown> {
  const rand = seededRandom(seed)
  const params = Object.entries(config.parameters)
  if (observed.length < STARTUP) return Object.fromEntries(params.map(([n, p]) => [n, sampleParam(p, rand)]))
  const sorted = [...observed].sort((a, b) => a.loss - b.loss)
  const cut = Math.max(1, Math.ceil(GAMMA * sorted.length))
  const good = sorted.slice(0, cut)
  const bad = sorted.slice(cut)
  const out: Record<string, unknown> = {}
  for (const [name, p] of params) {
    const sp = space(p)
    if (!sp) {
      if (p.distribution === 'constant') {
        out[name] = p.value
        continue
      }
      // Categorical: smoothed frequencies in the good and bad trials; draw from good, keep the best ratio.
      const values = p.values!
      const freq = (set: Observation[]) => values.map((v) => (set.filter((o) => JSON.stringify(o.trial[name]) === JSON.stringify(v)).length + 1) / (set.length + values.length))
      const l = freq(good)
      const g = freq(bad)
      let best = 0
      let bestScore = -Infinity
      for (let c = 0; c < CANDIDATES; c++) {
        let x = rand()
        let k = 0
        while (k < values.length - 1 && (x -= l[k]) >= 0) k++
        const score = l[k] / g[k]
        if (score > bestScore) [best, bestScore] = [k, score]
      }
      out[name] = values[best]
      continue
    }
    const at = (o: Observation) => sp.to(Number(o.trial[name]))
    const l = parzen(good.map(at), sp.lo, sp.hi)
    const g = parzen(bad.map(at), sp.lo, sp.hi)
    let bestZ = l.sample(rand)
    let bestScore = -Infinity
    for (let c = 0; c < CANDIDATES; c++) {
      const z = l.sample(rand)
      const score = Math.log(l.pdf(z)) - Math.log(g.pdf(z))
      if (score > bestScore) [bestZ, bestScore] = [z, score]
    }
    out[name] = round(p, sp.from(bestZ))
  }
  return out
}
