// The bench job: the inference matrix, each variant in a child process of this worker (peak RSS
// per variant), stored as the run's summary rows and metrics for the Benchmarks page and CLI.
import os from 'node:os'
import type { BenchParams } from '../contract/bench'
import { benchMatrix } from '../engine/bench/bench-matrix'
import type { JobContext } from './job-context'

export async function runBench(ctx: JobContext, p: BenchParams): Promise<Record<string, unknown>> {
  const threads = p.threads ?? os.availableParallelism()
  const rows = await benchMatrix(
    { model: p.model, checkpoint: p.checkpoint, data: p.data, batches: p.batches, seqs: p.seqs, iterations: p.iterations, warmup: p.warmup, threads, maxSeconds: p.maxSeconds },
    p.variants,
    (fraction, message) => {
      ctx.checkpoint() // throws when the job is cancelled
      ctx.progress(fraction, message)
    },
  )
  return { threads, cpus: os.cpus()[0]?.model ?? 'unknown', rows }
}
