// GLUE metrics as the `evaluate` library computes them: accuracy, binary F1
// (positive class 1), Matthews correlation (CoLA), Pearson and Spearman (STS-B).
export function accuracy(pred: number[], gold: number[]): number {
  let ok = 0
  for (let i = 0; i < gold.length; i++) if (pred[i] === gold[i]) ok++
  return gold.length ? ok / gold.length : 0
}

export function f1(pred: number[], gold: number[], positive = 1): number {
  let tp = 0
  let fp = 0
  let fn = 0
  for (let i = 0; i < gold.length; i++) {
    if (pred[i] === positive && gold[i] === positive) tp++
    else if (pred[i] === positive) fp++
    else if (gold[i] === positive) fn++
  }
  return tp ? (2 * tp) / (2 * tp + fp + fn) : 0
}

// Multi-class Matthews correlation (sklearn's formula); 0 when undefined.
export function matthews(pred: number[], gold: number[]): number {
  const classes = [...new Set([...pred, ...gold])]
  const n = gold.length
  let correct = 0
  const p = new Map<number, number>()
  const t = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    if (pred[i] === gold[i]) correct++
    p.set(pred[i], (p.get(pred[i]) ?? 0) + 1)
    t.set(gold[i], (t.get(gold[i]) ?? 0) + 1)
  }
  let pt = 0
  let pp = 0
  let tt = 0
  for (const c of classes) {
    pt += (p.get(c) ?? 0) * (t.get(c) ?? 0)
    pp += (p.get(c) ?? 0) ** 2
    tt += (t.get(c) ?? 0) ** 2
  }
  const denom = Math.sqrt((n * n - pp) * (n * n - tt))
  return denom ? (correct * n - pt) / denom : 0
}

export function pearson(x: number[], y: number[]): number {
  const n = x.length
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
    syy += (y[i] - my) ** 2
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0
}

// Average ranks for ties, as scipy.stats.rankdata.
function ranks(x: number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const r = new Array<number>(x.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1
    i = j + 1
  }
  return r
}

export function spearman(x: number[], y: number[]): number {
  return pearson(ranks(x), ranks(y))
}

export function taskMetrics(names: string[], pred: number[], gold: number[]): Record<string, number> {
  const fns: Record<string, (p: number[], g: number[]) => number> = { accuracy, f1, matthews, pearson, spearman }
  return Object.fromEntries(names.map((n) => [n, fns[n](pred, gold)]))
}
