// Batches of tokenized examples with dynamic padding (each batch is padded to
// its own longest sequence) and optional length bucketing (examples of similar
// length share a batch), plus the padding-waste report that shows what the
// bucketing saved. The order is seeded so a run and its resume see the same batches.
import type { Batch } from '../bert/model'
import type { WordPieceTokenizer } from '../tokenizer/wordpiece'
import { seededRandom } from '../random'
import type { Example } from './examples'

export interface EncodedSplit {
  ids: Int32Array[]
  tokenTypes: Int32Array[]
  labels: (number | null)[]
  lengths: Int32Array
}

export function encodeExamples(tok: WordPieceTokenizer, examples: Example[], maxLength: number): EncodedSplit {
  const ids: Int32Array[] = []
  const tokenTypes: Int32Array[] = []
  for (const ex of examples) {
    const e = tok.encode(ex.a, ex.b, maxLength)
    ids.push(Int32Array.from(e.ids))
    tokenTypes.push(Int32Array.from(e.tokenTypeIds))
  }
  return { ids, tokenTypes, labels: examples.map((e) => e.label), lengths: Int32Array.from(ids, (x) => x.length) }
}


function shuffleInPlace<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
  return xs
}

export interface BatchPlanOptions {
  batchSize: number
  shuffle: boolean
  seed?: number
  // Sort by length inside windows of this many batches, then shuffle the
  // batches: similar lengths share a batch, the order stays random. 0 = off.
  bucketWindow?: number
  dropLast?: boolean
}

// Example indexes per batch, for one epoch.
export function planBatches(lengths: ArrayLike<number>, o: BatchPlanOptions): number[][] {
  const n = lengths.length
  const rand = seededRandom(o.seed ?? 0)
  const order = Array.from({ length: n }, (_, i) => i)
  if (o.shuffle) shuffleInPlace(order, rand)
  const window = (o.bucketWindow ?? 0) * o.batchSize
  if (window > 0) {
    for (let start = 0; start < n; start += window) {
      const chunk = order.slice(start, start + window).sort((x, y) => lengths[x] - lengths[y] || x - y)
      order.splice(start, chunk.length, ...chunk)
    }
  }
  const batches: number[][] = []
  for (let i = 0; i < n; i += o.batchSize) batches.push(order.slice(i, i + o.batchSize))
  if (o.dropLast && batches.length && batches[batches.length - 1].length < o.batchSize) batches.pop()
  return window > 0 && o.shuffle ? shuffleInPlace(batches, rand) : batches
}

export interface PaddingReport {
  realTokens: number
  paddedTokens: number // tokens processed, padding included
  waste: number // share of processed tokens that are padding
}

export function paddingReport(lengths: ArrayLike<number>, batches: number[][]): PaddingReport {
  let real = 0
  let padded = 0
  for (const b of batches) {
    let longest = 0
    for (const i of b) {
      real += lengths[i]
      longest = Math.max(longest, lengths[i])
    }
    padded += longest * b.length
  }
  return { realTokens: real, paddedTokens: padded, waste: padded ? (padded - real) / padded : 0 }
}

// One padded batch: (B, T) with T the longest sequence in it. Labels become
// class ids, or float targets for regression; absent when any is missing.
export function collate(enc: EncodedSplit, indexes: number[], regression = false): Batch {
  const B = indexes.length
  const T = Math.max(1, ...indexes.map((i) => enc.lengths[i]))
  const ids = new Int32Array(B * T)
  const tokenTypes = new Int32Array(B * T)
  const mask = new Uint8Array(B * T)
  indexes.forEach((ex, row) => {
    ids.set(enc.ids[ex], row * T)
    tokenTypes.set(enc.tokenTypes[ex], row * T)
    mask.fill(1, row * T, row * T + enc.lengths[ex])
  })
  const values = indexes.map((i) => enc.labels[i])
  if (values.some((l) => l === null)) return { B, T, ids, tokenTypes, mask }
  if (regression) return { B, T, ids, tokenTypes, mask, targets: Float32Array.from(values as number[]) }
  const labels = values.every((l) => Number.isInteger(l)) ? Int32Array.from(values as number[]) : undefined
  return { B, T, ids, tokenTypes, mask, labels }
}
