// Loads a Hugging Face BERT folder (config.json + model.safetensors or
// pytorch_model.bin) into the BertForSequenceClassification parameter set,
// with Hugging Face's loading rules: a bare BertModel's names get the "bert."
// prefix, TF-era LayerNorm gamma/beta become weight/bias, a missing classifier
// (or pooler) is freshly initialized and reported, unknown tensors (pretraining
// heads, position_ids buffers) are reported as unused. A missing tensor or a
// wrong shape is an error naming the tensor.
import fs from 'node:fs'
import path from 'node:path'
import { loadKernels, type QuantWeight } from '../addon'
import { POOLER_WEIGHT, readQuantizationConfig, type TbwQuantizationConfig } from '../quant/policy'
import { takeQuantized } from '../quant/quantize-tensors'
import { count, numLabels, parseBertConfig, sequenceClassificationParams, type BertConfig } from './config'
import { readSafetensors, type Tensor } from './safetensors'
import { readTorchBin } from './torch-bin'

export interface LoadedCheckpoint {
  config: BertConfig
  weightsFile: string
  params: Map<string, Float32Array>
  newlyInitialized: string[] // HF names that were not in the file (classifier, pooler)
  unused: string[] // tensors in the file that the model does not use
  metadata: Record<string, string>
  quant: LoadedQuant | null // a folder written by `tbw quantize`: its quantized weights (absent from params)
}

export interface LoadedQuant {
  config: TbwQuantizationConfig
  weights: Map<string, QuantWeight> // HF weight name -> int8 / nf4 weight
}

// HF names for a file written by BertModel (no "bert." prefix) or by TF-era code.
export function normalizeName(name: string): string {
  let n = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias')
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`
  return n
}

const MAY_BE_MISSING = [/^classifier\./, /^bert\.pooler\./]

// newHeadOnMismatch: a classifier whose label count differs from numLabels is
// replaced by a fresh one and reported (HF's ignore_mismatched_sizes, for a new task).
export function loadCheckpoint(dir: string, opts: { numLabels?: number; seed?: number; newHeadOnMismatch?: boolean } = {}): LoadedCheckpoint {
  const { raw, config } = readModelFolder(dir)
  const qc = readQuantizationConfig(raw, path.join(dir, 'config.json'))
  const quant: LoadedQuant | null = qc ? { config: qc, weights: new Map() } : null
  const weightsFile = weightsFileOf(dir)
  const file = weightsFile.endsWith('.safetensors') ? readSafetensors(weightsFile) : readTorchBin(weightsFile)

  const byName = new Map<string, Tensor>()
  for (const [name, t] of file.tensors) byName.set(normalizeName(name), t)
  const specs = sequenceClassificationParams(config, opts.numLabels ?? numLabels(config))
  const params = new Map<string, Float32Array>()
  const newlyInitialized: string[] = []
  for (const spec of specs) {
    const qw = qc ? takeQuantized(byName, spec, qc, weightsFile) : null
    if (qw) {
      // The pooler runs in fp32 (one (B,C) product per batch): dequantized here.
      if (spec.name === POOLER_WEIGHT) params.set(spec.name, loadKernels().dequantize(qw, spec.shape[0], spec.shape[1]))
      else quant!.weights.set(spec.name, qw)
      continue
    }
    let t = byName.get(spec.name)
    byName.delete(spec.name)
    const mismatched = t && (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]))
    if (mismatched && opts.newHeadOnMismatch && spec.name.startsWith('classifier.')) t = undefined
    if (!t) {
      if (!MAY_BE_MISSING.some((re) => re.test(spec.name))) {
        throw new Error(`${weightsFile}: missing tensor ${spec.name} (shape [${spec.shape.join(', ')}])`)
      }
      // Fresh init as Hugging Face does for a new head: normal(0, initializer_range) weights, zero biases.
      newlyInitialized.push(spec.name)
      params.set(spec.name, freshInit(count(spec.shape), spec.name.endsWith('.weight') ? config.initializer_range : 0, opts.seed ?? 0))
      continue
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`${weightsFile}: tensor ${spec.name} has shape [${t.shape.join(', ')}] but config.json needs [${spec.shape.join(', ')}]`)
    }
    if (!(t.data instanceof Float32Array)) throw new Error(`${weightsFile}: tensor ${spec.name} is ${t.dtype}, not a floating-point tensor`)
    params.set(spec.name, t.data)
  }
  return { config, weightsFile, params, newlyInitialized, unused: [...byName.keys()].sort(), metadata: file.metadata, quant }
}

// config.json of a Hugging Face model folder: the raw JSON and the parsed BERT config.
export function readModelFolder(dir: string): { raw: Record<string, unknown>; config: BertConfig } {
  const configFile = path.join(dir, 'config.json')
  if (!fs.existsSync(configFile)) throw new Error(`${dir}: no config.json (is this a Hugging Face model folder?)`)
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>
  } catch (err) {
    throw new Error(`${configFile}: not valid JSON (${(err as Error).message})`)
  }
  return { raw, config: parseBertConfig(raw, configFile) }
}

// The weights file, safetensors first.
export function weightsFileOf(dir: string): string {
  const st = path.join(dir, 'model.safetensors')
  const bin = path.join(dir, 'pytorch_model.bin')
  const file = fs.existsSync(st) ? st : fs.existsSync(bin) ? bin : null
  if (!file) throw new Error(`${dir}: no model.safetensors or pytorch_model.bin`)
  return file
}

function freshInit(n: number, std: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  if (std === 0) return out
  let s = (seed ^ 0x9e3779b9) >>> 0
  for (let i = 0; i < n; i += 2) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const u1 = (s + 1) / 4294967297
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const u2 = s / 4294967296
    const r = Math.sqrt(-2 * Math.log(u1)) * std
    out[i] = r * Math.cos(2 * Math.PI * u2)
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2)
  }
  return out
}
