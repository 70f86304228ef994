// `tbw model init`: a checkpoint in the exact Hugging Face layout (config.json,
// vocab.txt, model.safetensors) with seeded RANDOM weights, for tests and demos
// where no pretrained weights can be downloaded. The weights say so in the
// safetensors metadata.
import fs from 'node:fs'
import path from 'node:path'
import { packageRoot } from '../package-root'
import { mulberry32 } from '../random'
import { count, parameterCount, parseBertConfig, sequenceClassificationParams, type ParamSpec } from './config'
import { writeFileAtomic, writeSafetensors, type F32Tensor } from './safetensors'

export const PRESETS = ['tinybert-4l-312d'] as const
export type Preset = (typeof PRESETS)[number]

export interface InitOptions {
  preset: Preset
  vocabFile: string
  outDir: string
  seed?: number
  force?: boolean
}

export interface InitResult {
  files: string[]
  parameters: number
}

export function presetConfigText(preset: Preset): string {
  return fs.readFileSync(path.join(packageRoot(), 'resources', 'presets', `${preset}.json`), 'utf8')
}

// Seeded normal(0, std) values: mulberry32 uniforms through Box-Muller.
function seededNormals(n: number, seed: number, std: number): Float32Array {
  const next = mulberry32(seed)
  const uniform = () => (next() + 1) / 4294967297 // (0, 1): log() needs it above 0
  const out = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())) * std
    const a = 2 * Math.PI * uniform()
    out[i] = r * Math.cos(a)
    if (i + 1 < n) out[i + 1] = r * Math.sin(a)
  }
  return out
}

// Hugging Face's BERT init: normal(0, initializer_range) weights and embeddings,
// zero biases, LayerNorm weight 1 and bias 0.
function initTensor(spec: ParamSpec, seed: number, std: number): Float32Array {
  const n = count(spec.shape)
  switch (spec.kind) {
    case 'weight':
    case 'embedding':
      return seededNormals(n, seed, std)
    case 'layernorm_weight':
      return new Float32Array(n).fill(1)
    default:
      return new Float32Array(n)
  }
}

export function initRandomCheckpoint(o: InitOptions): InitResult {
  if (!(PRESETS as readonly string[]).includes(o.preset)) {
    throw new Error(`Unknown preset ${JSON.stringify(o.preset)}; presets: ${PRESETS.join(', ')}`)
  }
  const configText = presetConfigText(o.preset)
  const config = parseBertConfig(JSON.parse(configText), `preset ${o.preset}`)
  if (!fs.existsSync(o.vocabFile)) throw new Error(`vocab file ${o.vocabFile} does not exist`)
  const vocab = fs.readFileSync(o.vocabFile, 'utf8')
  const tokens = vocab.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1).length
  if (tokens !== config.vocab_size) {
    throw new Error(`vocab file ${o.vocabFile} has ${tokens} tokens but preset ${o.preset} needs vocab_size ${config.vocab_size}`)
  }
  const files = ['config.json', 'vocab.txt', 'model.safetensors'].map((f) => path.join(o.outDir, f))
  const existing = files.filter((f) => fs.existsSync(f))
  if (existing.length && !o.force) {
    throw new Error(`${existing.join(', ')} already exist; pass --force to overwrite`)
  }
  const seed = o.seed ?? 42
  const specs = sequenceClassificationParams(config)
  const tensors: F32Tensor[] = specs.map((spec, i) => ({
    name: spec.name,
    shape: spec.shape,
    data: initTensor(spec, seed * 100_003 + i, config.initializer_range),
  }))
  fs.mkdirSync(o.outDir, { recursive: true })
  writeFileAtomic(files[0], configText)
  writeFileAtomic(files[1], vocab)
  writeSafetensors(files[2], tensors, {
    format: 'pt',
    tbw_weights: `RANDOM (seeded init, seed ${seed}); not a trained model`,
    tbw_preset: o.preset,
  })
  return { files, parameters: parameterCount(specs) }
}
