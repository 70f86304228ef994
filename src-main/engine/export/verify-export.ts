// Checks an export against the workbench: the same sentence pairs through the workbench's
// fp32 model (merged weights) and through the exported file (onnxruntime-node for ONNX; the
// engine reloading the folder for merged). Reports the largest absolute logit difference.
import fs from 'node:fs'
import path from 'node:path'
import { loadCheckpoint } from '../bert/checkpoint'
import { BertClassifier, type Batch } from '../bert/model'
import { collate, encodeExamples } from '../data/batching'
import { WordPieceTokenizer } from '../tokenizer/wordpiece'
import type { ExportSource } from './export-source'
import { onnxLogits, openOnnx } from './onnx-run'
import type { ExportFormat } from './write-exports'

const PAIRS: [string, string][] = [
  ['The company said its quarterly profit rose sharply.', 'Quarterly profit at the company rose sharply, it said.'],
  ['He left the meeting early.', 'The weather in the mountains was cold and wet all week long, and nobody went hiking.'],
  ['Shares fell 3 percent in early trading on Monday.', 'Shares dropped three percent early Monday.'],
  ['A short one.', 'Another.'],
]

export function verificationBatch(src: ExportSource): Batch {
  if (fs.existsSync(path.join(src.modelDir, 'vocab.txt')) || fs.existsSync(path.join(src.modelDir, 'tokenizer.json'))) {
    const enc = encodeExamples(WordPieceTokenizer.fromModelDir(src.modelDir), PAIRS.map(([a, b], i) => ({ a, b, label: 0, line: i + 1 })), 64)
    return collate(enc, PAIRS.map((_, i) => i))
  }
  throw new Error(`${src.modelDir} has no vocab.txt or tokenizer.json to build the check batch from`)
}

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0)

export async function verifyExport(src: ExportSource, format: ExportFormat, out: string): Promise<{ max_abs_diff: number; checked_with: string } | null> {
  if (format === 'peft') return null // adapters alone have no logits; the merged export checks the same weights
  const batch = verificationBatch(src)
  const want = new BertClassifier(src.config, src.params, 'ref', null, src.labels).forward(batch).logits
  if (format === 'merged') {
    const got = BertClassifier.fromCheckpoint(loadCheckpoint(out, { numLabels: src.labels }), 'ref').forward(batch).logits
    return { max_abs_diff: maxAbs(got, want), checked_with: 'the engine, reloading the folder' }
  }
  const got = await onnxLogits(await openOnnx(out), batch)
  return { max_abs_diff: maxAbs(got, want), checked_with: 'onnxruntime-node (graph optimizations on)' }
}
