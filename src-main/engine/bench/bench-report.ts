// The bench matrix as text: one row per variant x batch x sequence, then the native / ONNX
// Runtime latency ratios with the targets of the speed goal (<= 0.8 at batch 8, 32, 64 and
// <= 1.0 at batch 1, sequence 128).
import type { BenchRow, BenchSeq } from './bench-variant'

export function benchTable(rows: BenchRow[]): string {
  const head = ['variant', 'batch', 'seq', 'p50 ms', 'p95 ms', 'seq/s', 'peak RSS MB', 'weights MB', 'dev acc %', 'dev F1 %']
  const lines = rows.map((r) => [
    r.variant,
    String(r.batch),
    String(r.seq),
    r.p50_ms.toFixed(2),
    r.p95_ms.toFixed(2),
    r.seq_per_s.toFixed(1),
    r.peak_rss_mb.toFixed(0),
    r.weights_mb.toFixed(1),
    r.dev_accuracy === null ? '-' : (100 * r.dev_accuracy).toFixed(2),
    r.dev_f1 === null ? '-' : (100 * r.dev_f1).toFixed(2),
  ])
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  return [head, ...lines].map((l) => l.map((c, i) => c.padStart(w[i])).join('  ')).join('\n')
}

// Several rounds of the same matrix merged cell by cell: the row with the lowest p50 (its p95
// and peak RSS with it). The machine's speed drifts between one variant's cells and its peer's;
// the best of rounds run in alternating variant order lets neither side pay for a slow spell.
export function bestOfRounds(rounds: BenchRow[][]): BenchRow[] {
  const best = new Map<string, BenchRow>()
  for (const rows of rounds)
    for (const r of rows) {
      const key = `${r.variant}|${r.batch}|${r.seq}`
      const kept = best.get(key)
      if (!kept || r.p50_ms < kept.p50_ms) best.set(key, r)
    }
  return rounds.length ? rounds[0].map((r) => best.get(`${r.variant}|${r.batch}|${r.seq}`)!) : []
}

export interface BenchRatio {
  ours: string
  peer: string
  batch: number
  seq: BenchSeq
  ratio: number
  target: number | null // set where the speed goal scores this cell
}

export function benchRatios(rows: BenchRow[]): BenchRatio[] {
  const out: BenchRatio[] = []
  for (const [ours, peer] of [
    ['native-fp32', 'ort-fp32'],
    ['native-int8', 'ort-int8'],
  ])
    for (const r of rows.filter((x) => x.variant === ours)) {
      const p = rows.find((x) => x.variant === peer && x.batch === r.batch && x.seq === r.seq)
      if (!p) continue
      const scored = r.seq === 128 && [1, 8, 32, 64].includes(r.batch)
      out.push({ ours, peer, batch: r.batch, seq: r.seq, ratio: r.p50_ms / p.p50_ms, target: scored ? (r.batch === 1 ? 1.0 : 0.8) : null })
    }
  return out
}

export function ratioLines(rows: BenchRow[]): string {
  return benchRatios(rows)
    .map((r) => `${r.ours} / ${r.peer} at batch ${r.batch}, seq ${r.seq}: ${r.ratio.toFixed(3)}x latency${r.target === null ? '' : ` (target <= ${r.target}: ${r.ratio <= r.target ? 'met' : 'NOT met'})`}`)
    .join('\n')
}
