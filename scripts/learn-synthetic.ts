// Does training really learn? A random-init TinyBERT-4L trained from scratch on
// the synthetic paraphrase task (engine/train/synthetic-paraphrase.ts: an MRPC
// train sentence and a lightly perturbed copy vs. two different ones; dev pairs
// from MRPC dev sentences), printing the dev curve. Exits 1 below --target.
//   npx tsx scripts/learn-synthetic.ts [--steps 1500] [--lr 1.5e-4] [--words 6] [--train 48000] [--batch 32]
//                                      [--dropout 0.1] [--schedule linear] [--warmup 0.1] [--beta2 0.999] [--target 0.95]
//                                      [--out DIR]: keep the trained model (DIR/model) and the task (DIR/data)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadCheckpoint } from '../src-main/engine/bert/checkpoint'
import { initRandomCheckpoint } from '../src-main/engine/bert/init-checkpoint'
import { loadGlue } from '../src-main/engine/data/glue'
import { WordPieceTokenizer } from '../src-main/engine/tokenizer/wordpiece'
import type { ScheduleName } from '../src-main/engine/train/names'
import { loadExportSource } from '../src-main/engine/export/export-source'
import { writeMerged } from '../src-main/engine/export/write-exports'
import { writeSyntheticParaphrase } from '../src-main/engine/train/synthetic-paraphrase'
import { Trainer } from '../src-main/engine/train/trainer'

const arg = (name: string, fallback: number | string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : String(fallback)
}
const shared = process.env.TBW_SHARED_DATA ?? [path.resolve(__dirname, '..', '..', 'shared', 'data'), '/work/shared/data'].find((d) => fs.existsSync(d))!

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-learn-'))
  const modelDir = path.join(work, 'model')
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: path.join(shared, 'vocab/bert-base-uncased-vocab.txt'), outDir: modelDir })
  const sentences = async (f: string) => (await loadGlue('mrpc', path.join(shared, 'mrpc', f))).examples.flatMap((e) => [e.a, e.b!])
  const data = path.join(work, 'synthetic')
  writeSyntheticParaphrase(await sentences('train.tsv'), await sentences('dev.tsv'), data, {
    train: Number(arg('train', 48000)),
    dev: 400,
    maxWords: Number(arg('words', 6)),
    seed: 3,
  })
  const train = await loadGlue('mrpc', path.join(data, 'train.tsv'))
  const dev = await loadGlue('mrpc', path.join(data, 'dev.tsv'))
  const dropout = Number(arg('dropout', 0.1))
  const trainer = new Trainer(
    loadCheckpoint(modelDir, { seed: 1 }),
    WordPieceTokenizer.fromModelDir(modelDir),
    train,
    dev,
    {
      method: 'full',
      lora: { r: 16, alpha: 16, dropout: 0, targets: ['query'], rslora: false },
      trainPooler: false,
      optimizer: { name: 'adamw', weightDecay: 0.01, beta2: Number(arg('beta2', 0.999)) },
      lr: Number(arg('lr', 1.5e-4)), // 3e-4 collapses to chance on this task
      scheduler: arg('schedule', 'linear') as ScheduleName,
      warmupRatio: Number(arg('warmup', 0.1)),
      warmupSteps: 0,
      batchSize: Number(arg('batch', 32)),
      gradAccum: 1,
      maxGradNorm: 1,
      maxSteps: Number(arg('steps', 1500)),
      epochs: 1,
      evalEvery: 100,
      saveEvery: 0,
      keepCheckpoints: 1,
      earlyStoppingPatience: 0,
      maxLength: 64,
      attention: 'flash',
      bucketing: true,
      seed: 1,
      hiddenDropout: dropout,
      attentionDropout: dropout,
    },
    ['accuracy', 'f1'],
    path.join(work, 'run'),
    modelDir,
  )
  const t0 = Date.now()
  const r = await trainer.run({ progress: () => {}, metric: () => {}, log: (m) => console.log(`${((Date.now() - t0) / 1000).toFixed(0)}s ${m}`) })
  const target = Number(arg('target', 0.95))
  console.log(`dev accuracy ${r.metrics.accuracy.toFixed(4)} after ${r.steps} steps (target ${target})`)
  const out = process.argv.includes('--out') ? arg('out', '') : ''
  const kept = r.bestCheckpoint ?? r.checkpoint
  if (out && kept) {
    writeMerged(loadExportSource({ checkpoint: kept }), path.join(out, 'model'), true)
    fs.cpSync(data, path.join(out, 'data'), { recursive: true })
    console.log(`kept the model in ${path.join(out, 'model')} and the task in ${path.join(out, 'data')}`)
  }
  fs.rmSync(work, { recursive: true, force: true })
  process.exit(r.metrics.accuracy >= target ? 0 : 1)
}

void main()
