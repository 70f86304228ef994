// Our WordPiece tokenizer against an independent implementation
// (@huggingface/tokenizers, the JS port of Hugging Face tokenizers) loaded from
// a real tokenizer.json with the same uncased vocabulary, on all 5,801 MRPC pairs.
import fs from 'node:fs'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { describe, expect, it } from 'vitest'
import { loadGlue } from '../data/glue'
import { sharedData } from '../../../test-support/services'
import { truncateLongestFirst, WordPieceTokenizer } from './wordpiece'

const DATA = sharedData()
const ours = WordPieceTokenizer.fromVocabFile(path.join(DATA, 'vocab/bert-base-uncased-vocab.txt'))

function reference(): Tokenizer {
  const json = JSON.parse(fs.readFileSync(path.join(DATA, 'configs/all-MiniLM-L6-v2_tokenizer.json'), 'utf8'))
  json.truncation = null // compare untruncated encodings; truncation is tested on its own below
  json.padding = null
  const config = JSON.parse(fs.readFileSync(path.join(DATA, 'configs/all-MiniLM-L6-v2_tokenizer_config.json'), 'utf8'))
  return new Tokenizer(json, config)
}

describe('WordPiece tokenizer', () => {
  it('uses the same vocabulary as the reference tokenizer.json', () => {
    const json = JSON.parse(fs.readFileSync(path.join(DATA, 'configs/all-MiniLM-L6-v2_tokenizer.json'), 'utf8'))
    const vocab = json.model.vocab as Record<string, number>
    expect(Object.keys(vocab).length).toBe(ours.tokens.length)
    for (const [tok, id] of Object.entries(vocab)) if (ours.vocab.get(tok) !== id) throw new Error(`vocab differs at ${tok}`)
  })

  it('gives the reference ids and token_type_ids for every MRPC pair (train, dev, test: 5,801)', async () => {
    const ref = reference()
    const files = ['mrpc/train.tsv', 'mrpc/dev.tsv', 'mrpc/msr_paraphrase_test.txt']
    let pairs = 0
    const mismatches: string[] = []
    for (const f of files) {
      for (const ex of (await loadGlue('mrpc', path.join(DATA, f))).examples) {
        const got = ours.encode(ex.a, ex.b, 100_000)
        const want = ref.encode(ex.a, { text_pair: ex.b, return_token_type_ids: true })
        if (got.ids.join() !== want.ids.join() || got.tokenTypeIds.join() !== want.token_type_ids.join()) mismatches.push(`${f}:${ex.line}`)
        pairs++
      }
    }
    expect(pairs).toBe(5801)
    expect(mismatches).toEqual([])
  })

  it('handles accents, CJK, punctuation, symbols and unknown words like BERT', () => {
    const ref = reference()
    for (const text of ['Héllo, WÖRLD!', '北京欢迎你 ok', "don't $5.00 +3 ^_^", 'x'.repeat(101), 'naïve café—déjà vu…', '\u0000tab\there\u200b']) {
      expect(ours.encode(text).ids).toEqual(ref.encode(text).ids)
    }
    expect(ours.encode('Héllo, WÖRLD!').tokens).toEqual(['[CLS]', 'hello', ',', 'world', '!', '[SEP]'])
  })

  it('truncates pairs longest_first as Hugging Face tokenizers does', () => {
    const r = (n: number) => Array.from({ length: n }, (_, i) => i)
    expect(truncateLongestFirst(r(10), r(3), 20).map((x) => x.length)).toEqual([10, 3]) // fits
    expect(truncateLongestFirst(r(10), r(3), 8).map((x) => x.length)).toEqual([5, 3]) // only the longer shrinks
    expect(truncateLongestFirst(r(10), r(9), 8).map((x) => x.length)).toEqual([4, 4]) // both shrink
    expect(truncateLongestFirst(r(10), r(9), 7).map((x) => x.length)).toEqual([4, 3]) // the odd token goes to the longer
    const e = ours.encode('one two three four five six', 'seven eight', 8)
    expect(e.ids.length).toBe(8)
    expect(e.tokens).toEqual(['[CLS]', 'one', 'two', 'three', '[SEP]', 'seven', 'eight', '[SEP]'])
    expect(e.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1])
  })
})
