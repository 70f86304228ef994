// The size of a model under each quantization policy: weight bytes as Hugging Face's
// get_memory_footprint counts parameters (quantization constants such as absmaxes are not
// parameters), bytes on disk (model.safetensors, everything included) and bytes the engine
// holds when running it (fp16/bf16 tensors widened to fp32; int8/nf4 weights as stored,
// absmaxes in fp32; the pooler dequantized). Sizes in MiB, the seed study's "MB".
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadCheckpoint } from '../bert/checkpoint'
import { numLabels, sequenceClassificationParams } from '../bert/config'
import { readSafetensorsHeader, dtypeBytes } from '../bert/safetensors'
import type { QuantizeOptions } from './policy'
import { quantizeModelFolder } from './quantize-model'
import { quantWeightBytes } from './quantize-tensors'

export interface SizeRow {
  policy: string
  description: string
  weightsMiB: number
  diskMiB: number
  memoryMiB: number
}

export interface SizeReport {
  parameters: number
  rows: SizeRow[]
  // The seed study's 21.19 MB: get_memory_footprint of its PEFT QLoRA model, i.e. the bnb-nf4
  // weights plus fp32 LoRA adapters (r=16 on query/key/value) and the saved fp16 classifier copy.
  seedQlora: { loraParams: number; classifierParams: number; totalMiB: number }
}

const MiB = 1024 * 1024

export const SIZE_POLICIES: { policy: string; description: string; opts: QuantizeOptions | null }[] = [
  { policy: 'fp32', description: 'every tensor fp32 (the source)', opts: null },
  { policy: 'fp16', description: 'every tensor fp16', opts: { mode: 'fp16', doubleQuant: false, embeddingsInt8: false } },
  { policy: 'bf16', description: 'every tensor bf16', opts: { mode: 'bf16', doubleQuant: false, embeddingsInt8: false } },
  { policy: 'int8', description: 'linear layers int8 per channel, the rest fp16', opts: { mode: 'int8', doubleQuant: false, embeddingsInt8: false } },
  {
    policy: 'bnb-nf4',
    description: 'bitsandbytes-style: linear layers nf4 with double quantization, the rest fp16',
    opts: { mode: 'nf4', doubleQuant: true, embeddingsInt8: false },
  },
  { policy: 'int8+emb8', description: 'linear layers and word embeddings int8, the rest fp16', opts: { mode: 'int8', doubleQuant: false, embeddingsInt8: true } },
  { policy: 'nf4+emb8', description: 'linear layers nf4 (double quantization), word embeddings int8, the rest fp16', opts: { mode: 'nf4', doubleQuant: true, embeddingsInt8: true } },
]

// Parameter bytes as stored: quantized codes count (nf4 half a byte per value), their constants do not.
function weightBytes(file: string): number {
  let total = 0
  for (const t of readSafetensorsHeader(file).tensors) {
    if (/\.(scale|absmax|absmax_scale|absmax_offset)$/.test(t.name)) continue
    total += t.shape.reduce((a, d) => a * d, 1) * dtypeBytes(t.dtype)
  }
  return total
}

function memoryBytes(dir: string): number {
  const ck = loadCheckpoint(dir)
  let total = 0
  for (const p of ck.params.values()) total += p.byteLength
  for (const w of ck.quant?.weights.values() ?? []) total += quantWeightBytes(w)
  return total
}

export function sizeReport(modelDir: string, onProgress?: (done: number, total: number, policy: string) => void): SizeReport {
  const ck = loadCheckpoint(modelDir)
  if (ck.quant) throw new Error(`${modelDir} is already quantized: the size report starts from the fp32 model`)
  const specs = sequenceClassificationParams(ck.config, numLabels(ck.config))
  const parameters = specs.reduce((a, s) => a + s.shape.reduce((x, d) => x * d, 1), 0)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-size-'))
  const rows: SizeRow[] = []
  try {
    SIZE_POLICIES.forEach(({ policy, description, opts }, i) => {
      onProgress?.(i, SIZE_POLICIES.length, policy)
      if (!opts) {
        rows.push({ policy, description, weightsMiB: (parameters * 4) / MiB, diskMiB: fs.statSync(ck.weightsFile).size / MiB, memoryMiB: (parameters * 4) / MiB })
        return
      }
      const out = path.join(work, policy)
      quantizeModelFolder(modelDir, out, opts)
      const file = path.join(out, 'model.safetensors')
      rows.push({ policy, description, weightsMiB: weightBytes(file) / MiB, diskMiB: fs.statSync(file).size / MiB, memoryMiB: memoryBytes(out) / MiB })
      fs.rmSync(out, { recursive: true, force: true })
    })
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  onProgress?.(SIZE_POLICIES.length, SIZE_POLICIES.length, 'done')
  const c = ck.config
  const loraParams = c.num_hidden_layers * 3 * 2 * 16 * c.hidden_size
  const classifierParams = specs.filter((s) => s.name.startsWith('classifier.')).reduce((a, s) => a + s.shape.reduce((x, d) => x * d, 1), 0)
  const bnb = rows.find((r) => r.policy === 'bnb-nf4')!
  return { parameters, rows, seedQlora: { loraParams, classifierParams, totalMiB: bnb.weightsMiB + (loraParams * 4 + classifierParams * 2) / MiB } }
}
