// What the Datasets page shows about a split: size, label balance, a length
// histogram (in tokens when a tokenizer is chosen, otherwise in words, and it
// says which), the rows it could not use, and a preview.
import type { LoadedSplit } from '../../engine/data/examples'
import type { WordPieceTokenizer } from '../../engine/tokenizer/wordpiece'
import type { SplitSummary } from '../../contract/types'

const HISTOGRAM_BINS = 20

export function lengthHistogram(lengths: number[], bins = HISTOGRAM_BINS): SplitSummary['lengthHistogram'] {
  if (!lengths.length) return []
  const max = Math.max(...lengths)
  const width = Math.max(1, Math.ceil((max + 1) / bins))
  const out = Array.from({ length: Math.ceil((max + 1) / width) }, (_, i) => ({ from: i * width, to: (i + 1) * width - 1, count: 0 }))
  for (const l of lengths) out[Math.floor(l / width)].count++
  return out
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0
}

export function summarizeSplit(name: string, split: LoadedSplit, tok: WordPieceTokenizer | null, maxLength = 512): SplitSummary {
  const lengths = split.examples.map((e) =>
    tok ? tok.encode(e.a, e.b, 100_000).ids.length : e.a.split(/\s+/).filter(Boolean).length + (e.b ? e.b.split(/\s+/).filter(Boolean).length : 0),
  )
  const sorted = [...lengths].sort((a, b) => a - b)
  const counts = new Map<string, number>()
  for (const e of split.examples) {
    const key = e.label === null ? '(unlabelled)' : split.regression ? `${Math.floor(e.label)}–${Math.floor(e.label) + 1}` : (split.labelNames[e.label] ?? String(e.label))
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return {
    name,
    file: split.file,
    examples: split.examples.length,
    problems: split.problems.length,
    firstProblems: split.problems.slice(0, 20),
    where: split.where,
    labelCounts: [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => a.label.localeCompare(b.label)),
    lengthUnit: tok ? 'tokens' : 'words',
    lengthHistogram: lengthHistogram(lengths),
    lengthStats: {
      mean: lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 0,
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      max: sorted.at(-1) ?? 0,
      overMaxLength: tok ? lengths.filter((l) => l > maxLength).length : null,
    },
    preview: split.examples.slice(0, 10).map((e) => ({ a: e.a, b: e.b, label: e.label, line: e.line })),
  }
}
