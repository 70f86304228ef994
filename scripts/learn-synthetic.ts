// Does training really learn? A random-init TinyBERT-4L trained from scratch on
// the synthetic paraphrase task (src-main/engine/train/learn-synthetic.ts),
// printing the dev curve. Exits 1 below --target.
//   npx tsx scripts/learn-synthetic.ts [--steps 4500] [--lr 2e-4] [--words 6] [--train 96000] [--batch 32]
//                                      [--dropout 0] [--schedule linear] [--warmup 0.1] [--beta2 0.999] [--target 0.95]
//                                      [--out DIR]: keep the trained model (DIR/model) and the task (DIR/data)
import fs from 'node:fs'
import path from 'node:path'
import { loadExportSource } from '../src-main/engine/export/export-source'
import { writeMerged } from '../src-main/engine/export/write-exports'
import { LEARN_DEFAULTS, learnSynthetic } from '../src-main/engine/train/learn-synthetic'
import type { ScheduleName } from '../src-main/engine/train/names'

const arg = (name: string, fallback: number | string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : String(fallback)
}
const shared = process.env.TBW_SHARED_DATA ?? [path.resolve(__dirname, '..', '..', 'shared', 'data'), '/work/shared/data'].find((d) => fs.existsSync(d))!

async function main() {
  const d = LEARN_DEFAULTS
  const { result: r, workDir } = await learnSynthetic({
    sharedData: shared,
    steps: Number(arg('steps', d.steps)),
    lr: Number(arg('lr', d.lr)),
    train: Number(arg('train', d.train)),
    words: Number(arg('words', d.words)),
    batch: Number(arg('batch', d.batch)),
    dropout: Number(arg('dropout', d.dropout)),
    schedule: arg('schedule', d.schedule) as ScheduleName,
    warmup: Number(arg('warmup', d.warmup)),
    beta2: Number(arg('beta2', d.beta2)),
    evalEvery: d.evalEvery,
    log: (line) => console.log(line),
  })
  const target = Number(arg('target', 0.95))
  console.log(`dev accuracy ${r.metrics.accuracy.toFixed(4)} after ${r.steps} steps (target ${target})`)
  const out = process.argv.includes('--out') ? arg('out', '') : ''
  const kept = r.bestCheckpoint ?? r.checkpoint
  if (out && kept) {
    writeMerged(loadExportSource({ checkpoint: kept }), path.join(out, 'model'), true)
    fs.cpSync(path.join(workDir, 'synthetic'), path.join(out, 'data'), { recursive: true })
    console.log(`kept the model in ${path.join(out, 'model')} and the task in ${path.join(out, 'data')}`)
  }
  fs.rmSync(workDir, { recursive: true, force: true })
  process.exit(r.metrics.accuracy >= target ? 0 : 1)
}

void main()
