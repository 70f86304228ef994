import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sharedData } from '../../../test-support/services'
import { loraParameterCount, numLabels, parameterCount, parseBertConfig, sequenceClassificationParams } from './config'

const CONFIGS = sharedData('configs')
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(CONFIGS, f), 'utf8'))

describe('BERT config', () => {
  it('parses the real config.json files users bring, keeping unknown keys', () => {
    for (const f of fs.readdirSync(CONFIGS).filter((f) => f.endsWith('_config.json') && !f.startsWith('peft') && !f.includes('tokenizer'))) {
      const c = parseBertConfig(read(f), f)
      expect(c.hidden_size % c.num_attention_heads).toBe(0)
    }
    const tiny = parseBertConfig(read('tinybert-general-4l-312d_config.json'))
    expect(tiny).toMatchObject({ hidden_size: 312, num_hidden_layers: 4, layer_norm_eps: 1e-12, cell: {}, emb_size: 312 })
    expect(numLabels(parseBertConfig(read('bert-base-uncased_clinc151_seqcls_config.json')))).toBe(151)
    expect(numLabels(parseBertConfig(read('crossencoder-tinybert-l2_config.json')))).toBe(1)
  })

  it('reproduces the seed study counts: 14,350,874 parameters, 120,434 trainable with LoRA r=16 on q/k/v', () => {
    const tiny = parseBertConfig(read('tinybert-general-4l-312d_config.json'))
    const specs = sequenceClassificationParams(tiny)
    expect(parameterCount(specs)).toBe(14_350_874)
    const classifier = specs.filter((s) => s.name.startsWith('classifier.'))
    expect(loraParameterCount(tiny, 16, ['query', 'key', 'value']) + parameterCount(classifier)).toBe(120_434)
    expect(specs[0]).toEqual({ name: 'bert.embeddings.word_embeddings.weight', shape: [30522, 312], kind: 'embedding' })
    expect(specs.some((s) => s.name === 'bert.encoder.layer.3.attention.self.query.weight')).toBe(true)
  })

  it('refuses configs it cannot run, naming the field', () => {
    expect(() => parseBertConfig({ hidden_size: 312 }, 'x/config.json')).toThrow(/x\/config\.json: vocab_size/)
    const tiny = read('tinybert-general-4l-312d_config.json')
    expect(() => parseBertConfig({ ...tiny, num_attention_heads: 7 })).toThrow(/not a multiple of num_attention_heads 7/)
    expect(() => parseBertConfig({ ...tiny, hidden_act: 'relu' })).toThrow(/hidden_act "relu" is not supported/)
  })
})
