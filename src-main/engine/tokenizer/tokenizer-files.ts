// The tokenizer files a Hugging Face model folder may hold (copied along by quantize and export).
import fs from 'node:fs'
import path from 'node:path'

export const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']

export function tokenizerFilesIn(dir: string): string[] {
  return TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(dir, f)))
}
