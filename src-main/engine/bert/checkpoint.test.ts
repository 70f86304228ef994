import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDataDir } from '../../../test-support/services'
import { parseBertConfig, sequenceClassificationParams, count } from './config'
import { loadCheckpoint } from './checkpoint'
import { writeSafetensors, type F32Tensor } from './safetensors'

// A 2-layer, hidden-64 BERT: small enough to write in every test.
const CONFIG = {
  vocab_size: 50, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128,
  max_position_embeddings: 16, type_vocab_size: 2, hidden_act: 'gelu', model_type: 'bert',
}

function folder(label: string, tensors: F32Tensor[], config: object = CONFIG): string {
  const dir = tempDataDir(label)
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config))
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors)
  return dir
}

const specs = sequenceClassificationParams(parseBertConfig(CONFIG))
const full = (): F32Tensor[] => specs.map((s, i) => ({ name: s.name, shape: s.shape, data: new Float32Array(count(s.shape)).fill(i) }))

describe('checkpoint loading', () => {
  it('loads a full BertForSequenceClassification checkpoint exactly', () => {
    const ck = loadCheckpoint(folder('full', full()))
    expect(ck.newlyInitialized).toEqual([])
    expect(ck.unused).toEqual([])
    expect(ck.params.get('bert.encoder.layer.1.output.dense.weight')![0]).toBe(specs.findIndex((s) => s.name === 'bert.encoder.layer.1.output.dense.weight'))
  })

  it('accepts a bare BertModel with TF-era names, initializes the new classifier and reports extras', () => {
    const tensors = full()
      .filter((t) => !t.name.startsWith('classifier.'))
      .map((t) => ({ ...t, name: t.name.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta') }))
    tensors.push({ name: 'cls.predictions.bias', shape: [50], data: new Float32Array(50) })
    const ck = loadCheckpoint(folder('bare', tensors))
    expect(ck.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias'])
    expect(ck.unused).toEqual(['cls.predictions.bias'])
    expect(ck.params.get('bert.embeddings.LayerNorm.weight')).toBeDefined()
    const w = ck.params.get('classifier.weight')!
    expect(w.length).toBe(2 * 64)
    expect(w.some((x) => x !== 0)).toBe(true)
    expect(ck.params.get('classifier.bias')!.every((x) => x === 0)).toBe(true)
  })

  it('names the missing tensor and the wrong shape', () => {
    const missing = full().filter((t) => t.name !== 'bert.encoder.layer.1.attention.self.key.bias')
    expect(() => loadCheckpoint(folder('missing', missing))).toThrow(/missing tensor bert\.encoder\.layer\.1\.attention\.self\.key\.bias \(shape \[64\]\)/)
    const wrong = full().map((t) => (t.name === 'bert.embeddings.word_embeddings.weight' ? { ...t, shape: [49, 64], data: new Float32Array(49 * 64) } : t))
    expect(() => loadCheckpoint(folder('wrong', wrong))).toThrow(/tensor bert\.embeddings\.word_embeddings\.weight has shape \[49, 64\] but config\.json needs \[50, 64\]/)
    const empty = tempDataDir('empty')
    expect(() => loadCheckpoint(empty)).toThrow(/no config\.json/)
    fs.writeFileSync(path.join(empty, 'config.json'), JSON.stringify(CONFIG))
    expect(() => loadCheckpoint(empty)).toThrow(/no model\.safetensors or pytorch_model\.bin/)
  })
})
