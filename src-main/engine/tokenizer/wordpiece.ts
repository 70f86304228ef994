// BERT's WordPiece tokenizer (uncased), as Hugging Face's BertTokenizerFast does it:
// clean text, space out CJK characters, lowercase and strip accents, split on
// whitespace and punctuation, then greedy longest-match-first WordPiece with "##"
// continuations. Pairs encode as [CLS] a [SEP] b [SEP] with token_type_ids, and
// truncate with the fast tokenizer's longest_first rule.
import fs from 'node:fs'
import path from 'node:path'

export interface Encoding {
  ids: number[]
  tokenTypeIds: number[]
  attentionMask: number[]
  tokens: string[]
}

const CONTROL = /\p{C}/u
const SPACE = /[\t\n\r \p{Zs}]/u
const MARK = /\p{Mn}/gu
const PUNCT = /\p{P}/u

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  )
}

// ASCII symbols count as punctuation for BERT even where Unicode says "symbol" ($, +, ^, …).
function isPunctuation(ch: string, cp: number): boolean {
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || PUNCT.test(ch)
}

export function normalize(text: string): string {
  let out = ''
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    if (cp === 0 || cp === 0xfffd) continue
    if (SPACE.test(ch)) out += ' '
    else if (CONTROL.test(ch)) continue
    else if (isCjk(cp)) out += ` ${ch} `
    else out += ch
  }
  return out.normalize('NFD').replace(MARK, '').toLowerCase()
}

export function preTokenize(normalized: string): string[] {
  const words: string[] = []
  for (const chunk of normalized.split(' ')) {
    let cur = ''
    for (const ch of chunk) {
      if (isPunctuation(ch, ch.codePointAt(0)!)) {
        if (cur) words.push(cur)
        words.push(ch)
        cur = ''
      } else cur += ch
    }
    if (cur) words.push(cur)
  }
  return words
}

export class WordPieceTokenizer {
  readonly vocab: Map<string, number>
  readonly tokens: string[]
  readonly cls: number
  readonly sep: number
  readonly pad: number
  readonly unk: number

  constructor(vocabLines: string[], private readonly maxCharsPerWord = 100) {
    this.tokens = vocabLines
    this.vocab = new Map(vocabLines.map((t, i) => [t, i]))
    const special = (t: string) => {
      const id = this.vocab.get(t)
      if (id === undefined) throw new Error(`the vocabulary has no ${t} token`)
      return id
    }
    this.cls = special('[CLS]')
    this.sep = special('[SEP]')
    this.pad = special('[PAD]')
    this.unk = special('[UNK]')
  }

  static fromVocabFile(file: string): WordPieceTokenizer {
    const lines = fs.readFileSync(file, 'utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return new WordPieceTokenizer(lines.map((l) => l.replace(/\r$/, '')))
  }

  // A model folder's tokenizer: vocab.txt, else the WordPiece vocabulary inside
  // tokenizer.json. Only uncased BERT tokenizers are supported; a cased one is refused.
  static fromModelDir(dir: string): WordPieceTokenizer {
    const cfgFile = path.join(dir, 'tokenizer_config.json')
    if (fs.existsSync(cfgFile)) {
      const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as { do_lower_case?: boolean }
      if (cfg.do_lower_case === false) throw new Error(`${cfgFile}: do_lower_case is false; only uncased BERT tokenizers are supported`)
    }
    const vocabFile = path.join(dir, 'vocab.txt')
    if (fs.existsSync(vocabFile)) return WordPieceTokenizer.fromVocabFile(vocabFile)
    const jsonFile = path.join(dir, 'tokenizer.json')
    if (!fs.existsSync(jsonFile)) throw new Error(`${dir}: no vocab.txt or tokenizer.json`)
    const model = (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { model?: { type?: string; vocab?: Record<string, number> } }).model
    if (model?.type !== 'WordPiece' || !model.vocab) throw new Error(`${jsonFile}: model.type is ${JSON.stringify(model?.type)}, not a WordPiece vocabulary`)
    const tokens: string[] = []
    for (const [tok, id] of Object.entries(model.vocab)) tokens[id] = tok
    return new WordPieceTokenizer(tokens)
  }

  // Text -> WordPiece token ids, without special tokens.
  tokenize(text: string): number[] {
    const ids: number[] = []
    for (const word of preTokenize(normalize(text))) {
      const chars = [...word]
      if (chars.length > this.maxCharsPerWord) {
        ids.push(this.unk)
        continue
      }
      const pieces: number[] = []
      let start = 0
      while (start < chars.length) {
        let end = chars.length
        let found = -1
        while (start < end) {
          const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('')
          const id = this.vocab.get(sub)
          if (id !== undefined) {
            found = id
            break
          }
          end--
        }
        if (found < 0) {
          pieces.length = 0
          pieces.push(this.unk)
          break
        }
        pieces.push(found)
        start = end
      }
      ids.push(...pieces)
    }
    return ids
  }

  // [CLS] a [SEP] (b [SEP]), truncated to maxLength with the fast tokenizer's longest_first rule.
  encode(a: string, b: string | null = null, maxLength = 512): Encoding {
    let ia = this.tokenize(a)
    let ib = b === null ? null : this.tokenize(b)
    const special = ib ? 3 : 2
    const budget = Math.max(0, maxLength - special)
    if (!ib) ia = ia.slice(0, budget)
    else [ia, ib] = truncateLongestFirst(ia, ib, budget)
    const ids = [this.cls, ...ia, this.sep, ...(ib ? [...ib, this.sep] : [])]
    const tokenTypeIds = ids.map((_, i) => (i < ia.length + 2 ? 0 : 1))
    return { ids, tokenTypeIds, attentionMask: ids.map(() => 1), tokens: ids.map((i) => this.tokens[i]) }
  }
}

// Hugging Face tokenizers' LongestFirst for a pair: the shorter keeps as much as
// it can; when both must shrink they split the budget (the extra token going to
// the one that was longer).
export function truncateLongestFirst<T>(a: T[], b: T[], target: number): [T[], T[]] {
  if (a.length + b.length <= target) return [a, b]
  const swap = a.length > b.length
  let n1 = swap ? b.length : a.length
  let n2 = swap ? a.length : b.length
  n2 = n1 > target ? n1 : Math.max(n1, target - n1)
  if (n1 + n2 > target) {
    n1 = Math.floor(target / 2)
    n2 = n1 + (target % 2)
  }
  return swap ? [a.slice(0, n2), b.slice(0, n1)] : [a.slice(0, n1), b.slice(0, n2)]
}
