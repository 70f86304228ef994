// One variant of the inference bench, measured in its own process so that its peak RSS is its
// own: dev accuracy/F1 over a dataset folder's dev split, then for each sequence length and
// batch size: warm-up calls, timed calls, p50/p95 latency and sequences per second.
import path from 'node:path'
import { loadCheckpoint } from '../bert/checkpoint'
import { numLabels } from '../bert/config'
import type { Batch } from '../bert/model'
import { collate, encodeExamples, type EncodedSplit } from '../data/batching'
import { loadFolderSplit, openDatasetFolder } from '../data/dataset-folder'
import { loadExportSource } from '../export/export-source'
import { taskMetrics } from '../train/metrics'
import { WordPieceTokenizer } from '../tokenizer/wordpiece'
import { seededRandom } from '../random'
import { saveProfile, StepProfiler, type ProfileSchedule, type SavedProfile } from '../profiler/step-profiler'
import { makeRunner, type BenchVariant } from './variants'

export type BenchSeq = number | 'mrpc'

export interface BenchRequest {
  variant: BenchVariant
  model?: string // a model folder
  checkpoint?: string // or a fine-tune checkpoint (adapters merged)
  data?: string // an MRPC-layout dataset folder: dev accuracy and the real lengths ('mrpc' sequences)
  batches: number[]
  seqs: BenchSeq[]
  iterations: number
  warmup: number
  threads: number
  device?: string // the native variants' device: cpu (default) or cuda:N
  maxSeconds?: number // per cell: stop timing after this long (at least 3 calls)
  minSeconds?: number // per cell: go on timing past `iterations` until this long (at most 2000 calls), so a fast cell's p50 is not from a few calls
  // Profile the first cell (first sequence, first batch) in extra calls after its timing, so the
  // timed calls run without the profiler: a Chrome trace written into `dir`.
  profile?: ProfileSchedule & { dir: string }
}

export interface BenchProfile extends SavedProfile {
  variant: BenchVariant
  batch: number
  seq: BenchSeq
  skipped?: string // why this variant has no profile
}

export interface BenchRow {
  variant: BenchVariant
  batch: number
  seq: BenchSeq
  p50_ms: number
  p95_ms: number
  seq_per_s: number
  peak_rss_mb: number
  dev_accuracy: number | null
  dev_f1: number | null
  mean_tokens: number // real tokens per sequence in the timed batches
  weights_mb: number // the weights the variant holds (MiB)
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]
}

// Random token ids of full length (no padding), fixed seed.
function syntheticBatch(B: number, T: number, vocab: number): Batch {
  const rand = seededRandom(B * 1000 + T)
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 101 : 1000 + Math.floor(rand() * (vocab - 1000))))
  return { B, T, ids, tokenTypes: Int32Array.from({ length: B * T }, (_, i) => (i % T < T / 2 ? 0 : 1)), mask: new Uint8Array(B * T).fill(1) }
}

export async function benchVariant(
  req: BenchRequest,
  onCell?: (done: number, total: number) => void,
  onProfile?: (p: BenchProfile) => void,
): Promise<BenchRow[]> {
  const src = req.checkpoint || !req.model ? loadExportSource({ model: req.model, checkpoint: req.checkpoint }) : null
  const ck = src ? null : loadCheckpoint(req.model!)
  const config = src?.config ?? ck!.config
  const labels = src?.labels ?? numLabels(config)
  const params = src?.params ?? ck!.params
  if (ck?.quant) throw new Error(`${req.model} is quantized: the bench starts from the fp32 model and quantizes it per variant`)
  const runner = await makeRunner(req.variant, config, params, labels, req.threads, req.device)

  let dev: EncodedSplit | null = null
  let accuracy: number | null = null
  let f1: number | null = null
  if (req.data) {
    const split = await loadFolderSplit(openDatasetFolder(req.data, 'mrpc'), 'validation')
    dev = encodeExamples(WordPieceTokenizer.fromModelDir(src?.modelDir ?? req.model!), split.examples, 128)
    const order = Array.from({ length: dev.ids.length }, (_, i) => i).sort((a, b) => dev!.lengths[a] - dev!.lengths[b])
    const pred: number[] = new Array(order.length)
    for (let i = 0; i < order.length; i += 32) {
      const idx = order.slice(i, i + 32)
      const logits = await runner.run(collate(dev, idx))
      idx.forEach((ex, row) => (pred[ex] = logits[row * labels + 1] > logits[row * labels] ? 1 : 0))
    }
    const m = taskMetrics(['accuracy', 'f1'], pred, dev.labels as number[])
    accuracy = m.accuracy
    f1 = m.f1
  }

  const rows: BenchRow[] = []
  const total = req.seqs.length * req.batches.length
  for (const seq of req.seqs) {
    if (seq === 'mrpc' && !dev) throw new Error("sequence 'mrpc' (real lengths) needs --data with the MRPC dev split")
    for (const B of req.batches) {
      // Real lengths: consecutive dev examples (file order), padded to the longest in each batch.
      const batches =
        seq === 'mrpc'
          ? Array.from({ length: Math.max(1, Math.floor(dev!.ids.length / B)) }, (_, j) => collate(dev!, Array.from({ length: B }, (_, i) => (j * B + i) % dev!.ids.length)))
          : [syntheticBatch(B, seq, config.vocab_size)]
      for (let i = 0; i < req.warmup; i++) await runner.run(batches[i % batches.length])
      const times: number[] = []
      const started = performance.now()
      const more = (i: number) => i < req.iterations || (!!req.minSeconds && i < 2000 && performance.now() - started < req.minSeconds * 1000)
      for (let i = 0; more(i); i++) {
        const t0 = performance.now()
        await runner.run(batches[i % batches.length])
        times.push(performance.now() - t0)
        if (req.maxSeconds && times.length >= 3 && performance.now() - started > req.maxSeconds * 1000) break
      }
      const used = batches.slice(0, Math.min(batches.length, times.length))
      const meanTokens = used.reduce((a, b) => a + b.mask.reduce((x, m) => x + m, 0), 0) / used.reduce((a, b) => a + b.B, 0)
      const p50 = percentile(times, 0.5)
      rows.push({
        variant: req.variant,
        batch: B,
        seq,
        p50_ms: p50,
        p95_ms: percentile(times, 0.95),
        seq_per_s: (B * 1000) / p50,
        peak_rss_mb: process.resourceUsage().maxRSS / 1024,
        dev_accuracy: accuracy,
        dev_f1: f1,
        mean_tokens: meanTokens,
        weights_mb: runner.weightBytes / 2 ** 20,
      })
      onCell?.(rows.length, total)
      if (req.profile && rows.length === 1) onProfile?.(await profileCell(req, req.profile, runner.run, batches, B, seq))
    }
  }
  await runner.release()
  return rows
}

// wait + warmup + active extra calls of one cell under the native profiler, one step per call.
async function profileCell(req: BenchRequest, schedule: ProfileSchedule & { dir: string }, run: (b: Batch) => Promise<unknown>, batches: Batch[], B: number, seq: BenchSeq): Promise<BenchProfile> {
  const where = { variant: req.variant, batch: B, seq }
  const plain = { wait: schedule.wait, warmup: schedule.warmup, active: schedule.active }
  if (!req.variant.startsWith('native-')) return { ...where, trace: null, schedule: plain, ops: [], skipped: 'ONNX Runtime runs outside the native kernels: its calls are not profiled here' }
  const profiler = new StepProfiler(plain, 'bench call')
  for (let i = 0; !profiler.finished; i++) {
    profiler.stepBegin(i)
    await run(batches[i % batches.length])
    profiler.stepEnd(i)
  }
  const file = path.join(schedule.dir, `profile-${req.variant}-b${B}-${seq}.trace.json`)
  return { ...where, ...saveProfile(profiler, file, { variant: req.variant, batch_size: B, seq, threads: req.threads }) }
}
