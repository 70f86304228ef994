// `tbw sweep CONFIG.yaml --model DIR --task T [--count N]`, `tbw sweep validate CONFIG.yaml`,
// `tbw sweep resume ID [--count N]`.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import os from 'node:os'
import { SweepConfigError, TRAINER_METRICS } from '../../engine/sweeps/config'
import { defaultParallelTrials, type Objective } from '../../engine/sweeps/pareto'
import { validateSweep } from '../../engine/sweeps/validate'
import type { AppServices } from '../../services/app-services'
import { runSweep, startSweep, type SweepResult } from '../../services/sweeps/sweep-runner'
import { progressBar } from './format'

function readConfig(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`)
  return fs.readFileSync(file, 'utf8')
}

interface DriveOptions {
  parallel?: number
  objective?: string[]
}

// "--objective eval/latency_ms:minimize" -> an extra objective of the Pareto front.
function objectives(list: string[] = []): Objective[] {
  return list.map((spec) => {
    const [name, goal = 'minimize'] = spec.split(':')
    if (!TRAINER_METRICS.includes(name)) throw new Error(`--objective ${spec}: the trainer logs ${TRAINER_METRICS.join(', ')}`)
    if (goal !== 'minimize' && goal !== 'maximize') throw new Error(`--objective ${spec}: the goal is minimize or maximize`)
    return { name, goal }
  })
}

async function drive(s: AppServices, sweepId: number, count: number | null, json: boolean, o: DriveOptions = {}): Promise<SweepResult> {
  const tty = process.stdout.isTTY && !json
  const off = s.bus.subscribe((e) => {
    if (tty && e.name === 'job.progress') process.stdout.write(`\r  ${progressBar(e.payload.fraction, e.payload.etaSeconds, e.payload.message)}\x1b[K`)
  })
  const short = (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(3)) : String(v)}`).join(' ')
  try {
    return await runSweep(s, sweepId, count, {
      trialStarted: (i, runId, p) => !json && console.log(`trial ${i + 1} (run ${runId}): ${short(p)}`),
      trialFinished: (i, runId, status, metric) => {
        if (tty) process.stdout.write('\r\x1b[K')
        if (!json) console.log(`trial ${i + 1} (run ${runId}): ${status}${metric === null ? '' : `, metric ${metric.toFixed(4)}`}`)
      },
    }, { parallel: o.parallel ?? defaultParallelTrials(os.availableParallelism(), os.freemem()), objectives: objectives(o.objective) })
  } finally {
    off()
  }
}

function report(r: SweepResult, json: boolean): void {
  if (json) return console.log(JSON.stringify(r))
  console.log(`sweep ${r.sweepId}: ${r.trials.length} trials; best ${r.best ? `run ${r.best.runId} (${r.best.metric.toFixed(4)})` : 'none yet'}`)
  if (r.pareto) console.log(`Pareto front: run ${r.pareto.join(', ')}`)
}

export function registerSweepCommands(program: Command, withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>): void {
  const sweep = program.command('sweep').description('W&B sweep configs run offline on the trainer (grid, random, bayes/TPE; Hyperband early termination)')

  sweep
    .command('run <config>', { isDefault: true })
    .description('start a sweep: each trial is a fine-tune run linked to the sweep')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--task <task>', 'GLUE task')
    .option('--data <dir>', 'dataset folder')
    .option('--count <n>', 'run at most this many trials now (resume later with `tbw sweep resume`)', (v) => Number(v))
    .option('--set <key=value...>', 'fixed trainer options for every trial, e.g. --set maxSteps=50 limitTrain=256')
    .option('--json', 'print the result as one JSON line')
    .option('--parallel <n>', 'trials at once (default: half the cores, one per 2 GiB free memory, at least 1)', (v) => Number(v))
    .option('--objective <name:goal...>', 'extra objectives for a Pareto front, e.g. eval/latency_ms:minimize')
    .action((file: string, o: { model: string; task: string; data?: string; count?: number; set?: string[]; json?: boolean; parallel?: number; objective?: string[] }) =>
      withServices(async (s) => {
        const fixed = Object.fromEntries(
          (o.set ?? []).map((kv) => {
            const [k, ...v] = kv.split('=')
            const raw = v.join('=')
            return [k, raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw]
          }),
        )
        const settings = { ...fixed, model: path.resolve(o.model), task: o.task, ...(o.data ? { data: path.resolve(o.data) } : {}) }
        const sweepId = startSweep(s, readConfig(file), settings, path.basename(file))
        if (!o.json) console.log(`sweep ${sweepId} (${file})`)
        report(await drive(s, sweepId, o.count ?? null, !!o.json, o), !!o.json)
      }),
    )

  sweep
    .command('resume <id>')
    .description('continue a sweep after a restart, with the trials an uninterrupted sweep would have run')
    .option('--count <n>', 'at most this many more trials', (v) => Number(v))
    .option('--json', 'print the result as one JSON line')
    .option('--parallel <n>', 'trials at once', (v) => Number(v))
    .option('--objective <name:goal...>', 'extra objectives for a Pareto front')
    .action((id: string, o: { count?: number; json?: boolean; parallel?: number; objective?: string[] }) =>
      withServices(async (s) => report(await drive(s, Number(id), o.count ?? null, !!o.json, o), !!o.json)),
    )

  sweep
    .command('validate <config>')
    .description('check a sweep config: exit 0 if the sweep will run, else an error naming the key')
    .action((file: string) => {
      try {
        const plan = validateSweep(readConfig(file), path.basename(file))
        const c = plan.config
        console.log(`${file}: ok · ${c.method} over ${Object.keys(c.parameters).length} parameters (${Object.entries(c.parameters).map(([k, p]) => `${k} -> ${p.option}`).join(', ')})`)
        console.log(`trials: ${plan.trials ?? 'until stopped (no run_cap)'}${plan.bands ? ` · hyperband brackets ${plan.bands.join(', ')}` : ''}${c.metric ? ` · ${c.metric.goal} ${c.metric.name}` : ''}`)
        if (c.ignored.length) console.log(`ignored (only for the W&B agent): ${c.ignored.join(', ')}`)
      } catch (err) {
        console.error(`tbw: ${err instanceof SweepConfigError ? '' : 'error: '}${(err as Error).message}`)
        process.exitCode = 1
      }
    })
}
