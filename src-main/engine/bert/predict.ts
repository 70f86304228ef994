// Prediction with a Hugging Face folder: tokenize pairs, batch with dynamic
// padding, run the native forward, softmax the logits.
import { WordPieceTokenizer } from '../tokenizer/wordpiece'
import { loadCheckpoint } from './checkpoint'
import { BertClassifier, type Batch } from './model'

export interface Prediction {
  logits: number[]
  probs: number[]
  label: number
}

export interface Predictor {
  predict(pairs: { a: string; b: string | null }[], batchSize?: number): Prediction[]
  newlyInitialized: string[]
}

export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits))
  const exps = Array.from(logits, (x) => Math.exp(x - max))
  const sum = exps.reduce((a, b) => a + b, 0)
  return exps.map((e) => e / sum)
}

export function loadPredictor(dir: string, maxLength = 128): Predictor {
  const ck = loadCheckpoint(dir)
  const tokenizer = WordPieceTokenizer.fromModelDir(dir)
  const model = BertClassifier.fromCheckpoint(ck)
  const limit = Math.min(maxLength, ck.config.max_position_embeddings)
  return {
    newlyInitialized: ck.newlyInitialized,
    predict(pairs, batchSize = 32) {
      const out: Prediction[] = []
      for (let s = 0; s < pairs.length; s += batchSize) {
        const chunk = pairs.slice(s, s + batchSize).map((p) => tokenizer.encode(p.a, p.b, limit))
        const B = chunk.length
        const T = Math.max(...chunk.map((e) => e.ids.length)) // dynamic padding to the longest in the batch
        const batch: Batch = { B, T, ids: new Int32Array(B * T).fill(tokenizer.pad), tokenTypes: new Int32Array(B * T), mask: new Uint8Array(B * T) }
        chunk.forEach((e, b) => {
          batch.ids.set(e.ids, b * T)
          batch.tokenTypes.set(e.tokenTypeIds, b * T)
          batch.mask.set(e.attentionMask, b * T)
        })
        const { logits } = model.forward(batch)
        const labels = logits.length / B
        for (let b = 0; b < B; b++) {
          const row = Array.from(logits.subarray(b * labels, (b + 1) * labels))
          const probs = softmax(row)
          out.push({ logits: row, probs, label: probs.indexOf(Math.max(...probs)) })
        }
      }
      return out
    },
  }
}
