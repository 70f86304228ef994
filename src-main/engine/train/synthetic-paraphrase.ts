// A synthetic paraphrase task built from MRPC sentences, to show that training
// really learns: label 1 = a sentence and a lightly perturbed copy of it (one
// word dropped, two neighbours swapped, or one word replaced), label 0 = two
// different sentences. Written as MRPC-format TSV so it goes through the
// normal loader. Seeded; the same seed gives the same files.
import fs from 'node:fs'
import path from 'node:path'
import { seededRandom } from '../random'

// Train pairs come from `trainSentences`, dev pairs from `devSentences` (give
// disjoint sets, e.g. MRPC's train and dev splits, so dev measures generalization).
export function writeSyntheticParaphrase(
  trainSentences: string[],
  devSentences: string[],
  outDir: string,
  o: { train: number; dev: number; maxWords: number; seed: number },
): void {
  const rand = seededRandom(o.seed)
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]
  // Distinct after truncation: two sentences with the same first words would make a "different" pair identical.
  const words = (sentences: string[]) =>
    [...new Set(sentences.map((s) => s.split(' ').slice(0, o.maxWords).join(' ')))].map((s) => s.split(' ')).filter((w) => w.length >= 4)
  const trainPool = words(trainSentences)
  const devPool = words(devSentences)
  const vocab = trainPool.flat()
  const perturb = (words: string[]) => {
    const w = [...words]
    const i = Math.floor(rand() * w.length)
    const kind = Math.floor(rand() * 3)
    if (kind === 0) w.splice(i, 1)
    else if (kind === 1 && i + 1 < w.length) [w[i], w[i + 1]] = [w[i + 1], w[i]]
    else w[i] = pick(vocab)
    return w
  }
  const write = (file: string, n: number, from: string[][]) => {
    const rows = ['Quality\t#1 ID\t#2 ID\t#1 String\t#2 String']
    for (let i = 0; i < n; i++) {
      const a = pick(from)
      const positive = rand() < 0.5
      let b = positive ? perturb(a) : pick(from)
      if (!positive && b === a) b = from[(from.indexOf(a) + 1) % from.length]
      rows.push(`${positive ? 1 : 0}\t${i}\t${i}\t${a.join(' ')}\t${b.join(' ')}`)
    }
    fs.writeFileSync(path.join(outDir, file), rows.join('\n') + '\n')
  }
  fs.mkdirSync(outDir, { recursive: true })
  write('train.tsv', o.train, trainPool)
  write('dev.tsv', o.dev, devPool)
}
