// What the Models page shows about a Hugging Face model folder without loading
// the weights: the architecture from config.json, the parameter count from the
// weights file's header, sizes on disk, the tokenizer files, and whether the
// weights are the workbench's seeded random ones.
import fs from 'node:fs'
import path from 'node:path'
import { TOKENIZER_FILES } from '../tokenizer/tokenizer-files'
import { readModelFolder, weightsFileOf } from './checkpoint'
import { numLabels, parameterCount, sequenceClassificationParams } from './config'
import { readSafetensorsHeader } from './safetensors'
import { readTorchBin } from './torch-bin'
import type { ModelInfo } from '../../contract/types'

export type { ModelInfo }

export function inspectModel(dir: string): ModelInfo {
  const { raw, config: c } = readModelFolder(dir)
  const weightsFile = weightsFileOf(dir)
  let tensors: { dtype: string; shape: number[] }[]
  let metadata: Record<string, string> = {}
  if (weightsFile.endsWith('.safetensors')) ({ tensors, metadata } = readSafetensorsHeader(weightsFile))
  else tensors = [...readTorchBin(weightsFile).tensors.values()]
  const dtypes: Record<string, number> = {}
  let inFile = 0
  for (const t of tensors) {
    const n = t.shape.reduce((a, d) => a * d, 1)
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n
    inFile += n
  }
  const labelCount = numLabels(c)
  const labels = Array.from({ length: labelCount }, (_, i) => c.id2label?.[String(i)] ?? `LABEL_${i}`)
  const files = fs
    .readdirSync(dir)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .map((name) => ({ name, bytes: fs.statSync(path.join(dir, name)).size }))
  return {
    dir,
    config: raw,
    architecture: Array.isArray(raw.architectures) ? String(raw.architectures[0]) : `${String(raw.model_type ?? 'bert')} (no architectures key)`,
    layers: c.num_hidden_layers,
    hidden: c.hidden_size,
    heads: c.num_attention_heads,
    headSize: c.hidden_size / c.num_attention_heads,
    intermediate: c.intermediate_size,
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    labels,
    weightsFile,
    weightsBytes: fs.statSync(weightsFile).size,
    dtypes,
    parametersInFile: inFile,
    parametersForClassification: parameterCount(sequenceClassificationParams(c, labelCount)),
    tensors: tensors.length,
    randomWeights: metadata.tbw_weights?.startsWith('RANDOM') ? metadata.tbw_weights : null,
    tokenizerFiles: files.map((f) => f.name).filter((f) => TOKENIZER_FILES.includes(f)),
    files,
  }
}
