// Inference speed, size and accuracy, side by side in one run on the same threads: the native
// engine (fp32 flash / naive attention, int8, nf4) against ONNX Runtime (graph optimizations on)
// running the workbench's own fp32 and int8 ONNX exports. Each variant runs in its own process.
//   npm run bench:infer [-- --model DIR | --checkpoint DIR] [--data DIR] [--batches 1,8,32,64]
//        [--seqs 128] [--variants native-fp32,...] [--iterations 20] [--rounds 2] [--threads N] [--full] [--json FILE]
// Each cell is timed for --iterations calls and at least 2 s (at most 20 s), in --rounds rounds
// (every other one in reverse variant order); each cell keeps its best round.
// --full: the whole matrix (batches 1..128, sequences mrpc/128/512). Prints the native/ORT
// latency ratios at each batch (targets: fp32 and int8 <= 0.8 at batch 8, 32, 64; <= 1.0 at 1).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { initRandomCheckpoint } from '../src-main/engine/bert/init-checkpoint'
import { benchMatrix, isBenchChild, runBenchChild } from '../src-main/engine/bench/bench-matrix'
import { benchTable, bestOfRounds, ratioLines } from '../src-main/engine/bench/bench-report'
import type { BenchRow, BenchSeq } from '../src-main/engine/bench/bench-variant'
import { BENCH_VARIANTS, type BenchVariant } from '../src-main/engine/bench/variants'

if (isBenchChild()) runBenchChild()
else void main()

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}

async function main() {
  const shared = process.env.TBW_SHARED_DATA ?? [path.resolve(__dirname, '..', '..', 'shared', 'data'), '/work/shared/data'].find((d) => fs.existsSync(d))
  const full = process.argv.includes('--full')
  let model = arg('model')
  const checkpoint = arg('checkpoint')
  if (!model && !checkpoint) {
    if (!shared) throw new Error('without --model, bench:infer builds a random TinyBERT from ../shared/data/vocab; set TBW_SHARED_DATA')
    model = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-bench-infer-')), 'tinybert-random')
    initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: path.join(shared, 'vocab/bert-base-uncased-vocab.txt'), outDir: model })
    console.log(`model: a random TinyBERT 4L-312D (${model}); dev accuracy of random weights is only a sanity check`)
  }
  const data = arg('data') ?? (shared ? path.join(shared, 'mrpc') : undefined)
  const batches = (arg('batches') ?? (full ? '1,8,16,32,64,128' : '1,8,32,64')).split(',').map(Number)
  const seqs: BenchSeq[] = (arg('seqs') ?? (full ? 'mrpc,128,512' : '128')).split(',').map((s) => (s === 'mrpc' ? 'mrpc' : Number(s)))
  const variants = (arg('variants') ?? BENCH_VARIANTS.join(',')).split(',') as BenchVariant[]
  for (const v of variants) if (!BENCH_VARIANTS.includes(v)) throw new Error(`unknown variant ${v}; choose from ${BENCH_VARIANTS.join(', ')}`)
  const threads = Number(arg('threads') ?? os.availableParallelism())
  const iterations = Number(arg('iterations') ?? 20)
  const rounds = Number(arg('rounds') ?? 2)
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number >= 1, got ${arg('rounds')}`)
  console.log(`threads ${threads}, batches ${batches.join(' ')}, sequences ${seqs.join(' ')}, ${iterations} timed calls per cell or more for 2 s (at most 20 s)`)
  if (rounds > 1) console.log(`${rounds} rounds, every other one in reverse variant order; each cell reports its best round (lowest p50)`)
  const all: BenchRow[][] = []
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...variants].reverse() : variants
    all.push(
      await benchMatrix({ model, checkpoint, data, batches, seqs, iterations, warmup: 2, threads, minSeconds: 2, maxSeconds: 20 }, order, (f, m) => {
        if (process.stdout.isTTY) process.stdout.write(`\r${(100 * ((round + f) / rounds)).toFixed(0).padStart(3)}% round ${round + 1}: ${m}\x1b[K`)
      }),
    )
  }
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[K')
  const rows = bestOfRounds(all)
  console.log(benchTable(rows))
  console.log(ratioLines(rows))
  const json = arg('json')
  if (json) {
    fs.writeFileSync(json, JSON.stringify({ threads, rows }, null, 2))
    console.log(`wrote ${json}`)
  }
}
