// `tbw trace import FILE [--json]` and `tbw trace top FILE|ID [--kernels] [--limit N] [--json]`.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { analyzeTrace, type KernelRow, type OpRow, type TraceSummary } from '../../engine/traces/analyze'
import type { AppServices } from '../../services/app-services'
import { table } from './format'
import { runJobToEnd } from './run-job'

interface StoredTrace {
  file: string
  import_seconds?: number
  peak_rss_mb?: number
  summary: TraceSummary
  ops: OpRow[]
  kernels: KernelRow[]
}

const ms = (us: number) => (us / 1000).toFixed(3)

export function registerTraceCommands(program: Command, withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>): void {
  const trace = program.command('trace').description('profiler traces (Chrome trace JSON, Kineto .pt.trace.json, .gz)')

  trace
    .command('import <file>')
    .description('import a trace as a run (streamed, with progress) and print its summary')
    .option('--json', 'print {"events","by_ph","by_cat","kernel_total_us","processes","threads","device",...}')
    .action((file: string, o: { json?: boolean }) =>
      withServices(async (s) => {
        const spec = { kind: 'trace-import' as const, params: { file: path.resolve(file) }, name: `trace ${path.basename(file)}` }
        const status = await runJobToEnd(s, spec, { progress: !o.json })
        const runId = status.runId
        if (status.status !== 'completed') {
          console.error(`tbw: ${status.error ?? status.status}`)
          process.exitCode = 1
          return
        }
        const stored = (await s.call('runs.get', { id: runId })).summary as unknown as StoredTrace
        const sum = stored.summary
        if (o.json) return console.log(JSON.stringify({ ...sum, run_id: runId, import_seconds: stored.import_seconds, peak_rss_mb: stored.peak_rss_mb }))
        console.log(`run ${runId}: ${path.basename(file)}: ${sum.events.toLocaleString('en-US')} events in ${sum.processes} processes, ${sum.threads} threads${sum.device ? `; device ${sum.device}` : ''}`)
        console.log(`by phase: ${Object.entries(sum.by_ph).map(([k, v]) => `${k} ${v}`).join(', ')}`)
        console.log(`by category: ${Object.entries(sum.by_cat).map(([k, v]) => `${k} ${v}`).join(', ')}`)
        console.log(`GPU kernels: ${ms(sum.kernel_total_us)} ms; ac2g flows: ${sum.flows.ac2g_start} starts / ${sum.flows.ac2g_finish} finishes`)
        for (const d of sum.gpu?.devices ?? []) console.log(`GPU ${d.pid}: idle ${(100 * d.idle_share).toFixed(1)}% of its ${ms(d.window_us)} ms window (busy ${ms(d.busy_us)} ms)`)
        if (sum.gpu?.launch_delay_us)
          console.log(`launch -> kernel start: median ${sum.gpu.launch_delay_us.median.toFixed(1)} us, max ${sum.gpu.launch_delay_us.max.toFixed(1)} us over ${sum.gpu.launches} launches; launch call ${sum.gpu.launch_call_us!.mean.toFixed(1)} us on average`)
        console.log(`next: tbw trace top ${runId}`)
      }),
    )

  trace
    .command('top <fileOrId>')
    .description('the operator table (calls, total/self CPU time, device time), like key_averages; --kernels for GPU kernels')
    .option('--kernels', 'the kernel table instead')
    .option('--limit <n>', 'rows', (v) => Number(v), 20)
    .option('--json', 'machine-readable output')
    .action((target: string, o: { kernels?: boolean; limit: number; json?: boolean }) =>
      withServices(async (s) => {
        let stored: StoredTrace
        if (/^\d+$/.test(target) && !fs.existsSync(target)) {
          const run = await s.call('runs.get', { id: Number(target) })
          if (run.kind !== 'trace-import' || run.status !== 'completed') throw new Error(`run ${target} is not a completed trace import (${run.kind}, ${run.status})`)
          stored = run.summary as unknown as StoredTrace
        } else {
          stored = { file: target, ...(await analyzeTrace(target)) }
        }
        const rows = (o.kernels ? stored.kernels : stored.ops).slice(0, o.limit)
        if (o.json) return console.log(JSON.stringify(rows))
        if (o.kernels) {
          const kernelRows = rows as KernelRow[]
          console.log(table(kernelRows.map((k) => ({ kernel: k.name.slice(0, 80), calls: k.calls, 'total ms': ms(k.total_us), 'avg us': k.avg_us.toFixed(1), share: `${(100 * k.share).toFixed(1)}%` })), ['kernel', 'calls', 'total ms', 'avg us', 'share']))
          return
        }
        const opRows = rows as OpRow[]
        console.log(
          table(
            opRows.map((r) => ({
              name: r.name.slice(0, 60),
              'self %': `${(100 * r.self_share).toFixed(1)}%`,
              'self CPU ms': ms(r.self_us),
              'CPU total ms': ms(r.total_us),
              'CPU avg us': r.avg_us.toFixed(1),
              'device ms': ms(r.device_us),
              calls: r.calls,
            })),
            ['name', 'self %', 'self CPU ms', 'CPU total ms', 'CPU avg us', 'device ms', 'calls'],
          ),
        )
      }),
    )
}
