// `tbw bench (--model DIR | --run ID) [--data DIR] [--variants ...] [--batches ...] [--seqs ...]`
import path from 'node:path'
import type { Command } from 'commander'
import { checkpointOfRun } from '../../contract/run-checkpoint'
import { BenchParams } from '../../contract/bench'
import { benchTable, ratioLines } from '../../engine/bench/bench-report'
import type { BenchProfile, BenchRow } from '../../engine/bench/bench-variant'
import type { AppServices } from '../../services/app-services'
import { runJobToEnd } from './run-job'

const list = (v: string) => v.split(',').map((s) => s.trim())

export function registerBenchCommands(program: Command, withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>): void {
  program
    .command('bench')
    .description('inference latency, throughput, peak RSS and dev accuracy: native fp32 (flash / naive), int8, nf4 vs ONNX Runtime fp32 / int8; recorded as a run')
    .option('--model <dir>', 'an fp32 model folder')
    .option('--run <id>', 'a fine-tune run: its best checkpoint, adapters merged', (v) => Number(v))
    .option('--data <dir>', "an MRPC-layout dataset folder: dev accuracy/F1 and the real lengths (sequence 'mrpc')")
    .option('--variants <list>', 'comma-separated: native-fp32, native-fp32-naive, native-int8, native-nf4, ort-fp32, ort-int8 (default: all)')
    .option('--batches <list>', 'comma-separated batch sizes', '1,8,16,32,64,128')
    .option('--seqs <list>', "comma-separated sequence lengths and/or 'mrpc' (default: mrpc,128,512 with --data, else 128,512)")
    .option('--iterations <n>', 'timed calls per cell', (v) => Number(v), 20)
    .option('--threads <n>', 'threads for every variant (default: the cores)', (v) => Number(v))
    .option('--device <device>', "the native variants' device: cpu or cuda:N (ONNX Runtime stays on the CPU)", 'cpu')
    .option('--profile-wait <n>', 'profiling: calls to skip first', (v) => Number(v), 1)
    .option('--profile-warmup <n>', 'profiling: calls run with the profiler on, discarded', (v) => Number(v), 1)
    .option('--profile-active <n>', "profiling: calls of each native variant's first cell to record into a Chrome trace (0: off)", (v) => Number(v), 0)
    .option('--json', 'machine-readable output: {"rows":[...]}')
    .action((o: { model?: string; run?: number; data?: string; variants?: string; batches: string; seqs?: string; iterations: number; threads?: number; device: string; profileWait: number; profileWarmup: number; profileActive: number; json?: boolean }) =>
      withServices(async (s) => {
        const checkpoint = o.run !== undefined ? checkpointOfRun(await s.call('runs.get', { id: o.run })) : undefined
        const seqs = list(o.seqs ?? (o.data ? 'mrpc,128,512' : '128,512')).map((x) => (x === 'mrpc' ? 'mrpc' : Number(x)))
        const params = BenchParams.parse({
          model: o.model ? path.resolve(o.model) : undefined,
          checkpoint,
          data: o.data ? path.resolve(o.data) : undefined,
          ...(o.variants ? { variants: list(o.variants) } : {}),
          batches: list(o.batches).map(Number),
          seqs,
          iterations: o.iterations,
          threads: o.threads,
          device: o.device,
          profileWait: o.profileWait,
          profileWarmup: o.profileWarmup,
          profileActive: o.profileActive,
        })
        const end = await runJobToEnd(s, { kind: 'bench', params, name: `bench ${path.basename(params.model ?? params.checkpoint ?? '')}` }, { progress: !o.json })
        if (end.status !== 'completed') throw new Error(end.error ?? end.status)
        const sum = (await s.call('runs.get', { id: end.runId })).summary as { rows: BenchRow[]; threads: number; profiles?: BenchProfile[] }
        if (o.json) return console.log(JSON.stringify({ run_id: end.runId, threads: sum.threads, rows: sum.rows, ...(sum.profiles ? { profiles: sum.profiles } : {}) }))
        console.log(`run ${end.runId}, ${sum.threads} threads`)
        console.log(benchTable(sum.rows))
        console.log(ratioLines(sum.rows))
        for (const p of sum.profiles ?? [])
          console.log(p.trace ? `profile ${p.variant} (batch ${p.batch}, sequence ${p.seq}): ${p.trace}; top ops ${p.ops.slice(0, 3).map((r) => `${r.name} ${(100 * r.share_of_step).toFixed(0)}%`).join(', ')}` : `profile ${p.variant}: ${p.skipped ?? 'nothing recorded'}`)
      }),
    )
}
