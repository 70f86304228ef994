// `tbw finetune` and `tbw eval`.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { checkpointOfRun } from '../../contract/run-checkpoint'
import { FinetuneParams, SEED_DEFAULTS_SOURCE } from '../../contract/finetune'
import { pull, type HubOptions } from '../../engine/hub/hub'
import type { EvalReport } from '../../engine/train/evaluate-checkpoint'
import { EvalParams } from '../../contract/eval'
import { runJobToEnd } from './run-job'
import type { AppServices } from '../../services/app-services'
import { formatSeconds, progressBar, table } from './format'
import { addSchemaOptions, pickSchemaOptions } from './schema-options'

const HELP: Record<string, string> = {
  model: 'model folder, or a hub id (owner/name) pulled into the cache',
  task: 'GLUE task',
  data: 'dataset folder (default: the cache of `tbw data pull glue/<task>`)',
  method: 'lora, full, or qlora (LoRA on a frozen nf4 base with double quantization, as the seed study)',
  loraR: 'LoRA rank',
  loraAlpha: 'LoRA alpha',
  loraDropout: 'dropout on the LoRA input',
  targetModules: 'comma-separated LoRA targets',
  rslora: 'rsLoRA scaling alpha/sqrt(r)',
  trainPooler: 'train the pooler too (modules_to_save)',
  optimizer: 'optimizer',
  lr: 'peak learning rate',
  weightDecay: 'decoupled weight decay (not on biases and LayerNorm)',
  momentum: 'SGD momentum',
  scheduler: 'learning-rate schedule',
  warmupRatio: 'warmup as a share of the steps',
  warmupSteps: 'warmup steps (wins over the ratio)',
  batchSize: 'examples per micro-batch',
  gradAccum: 'micro-batches per optimizer step',
  maxGradNorm: 'global gradient-norm clipping (0: off)',
  maxSteps: 'optimizer steps (0: use --epochs)',
  epochs: 'epochs when --max-steps is 0',
  evalEvery: 'evaluate every N steps (0: only at the end)',
  saveEvery: 'checkpoint every N steps (0: only at the end)',
  keepCheckpoints: 'newest checkpoints kept (the best is always kept)',
  earlyStoppingPatience: 'stop after N evaluations without a better metric (0: off)',
  maxLength: 'truncate pairs to this many tokens',
  attention: 'flash or naive attention',
  precision: 'GEMM inputs on a GPU: fp32, bf16, or fp16 with dynamic loss scaling (fp32 accumulation and master weights either way)',
  device: 'cpu, or a GPU as cuda:N (`tbw doctor` lists them): the model step runs there, the optimizer on the CPU',
  bucketing: 'length bucketing of batches',
  seed: 'seed for data order, dropout and new weights',
  hiddenDropout: 'hidden dropout (default: the model config\'s)',
  attentionDropout: 'attention-probability dropout (default: the model config\'s)',
  limitTrain: 'use only the first N training examples',
  limitEval: 'use only the first N evaluation examples',
  resumeFrom: 'resume from this checkpoint-<step> folder',
  profileWait: 'profiling: steps to skip first',
  profileWarmup: 'profiling: steps run with the profiler on, discarded',
  profileActive: 'profiling: steps to record into a Chrome trace of the run (0: off)',
}

// A hub id becomes its cached folder (pulled now unless offline).
async function resolveModel(model: string, hub: HubOptions): Promise<string> {
  if (fs.existsSync(model)) return path.resolve(model)
  if (!/^[\w.-]+\/[\w.-]+$/.test(model)) throw new Error(`model folder ${model} does not exist`)
  return (await pull(hub, 'model', model)).dir
}

export function registerFinetuneCommands(
  program: Command,
  withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>,
  hubOptions: (offline?: boolean) => HubOptions,
): void {
  const ft = program
    .command('finetune')
    .description(`fine-tune a model on a GLUE task (LoRA, full) and record it as a run. ${SEED_DEFAULTS_SOURCE}`)
    .option('--name <name>', 'run name')
    .option('--offline', 'do not reach the hub')
    .option('--json', 'end with one JSON line: {"run_id","trainable_params","total_params","steps","metrics","checkpoint"}')
  addSchemaOptions(ft, FinetuneParams, HELP)
  ft.action((o: Record<string, unknown>) =>
    withServices(async (s) => {
      const model = await resolveModel(String(o.model ?? ''), hubOptions(o.offline as boolean | undefined))
      const params: Record<string, unknown> = { ...pickSchemaOptions(FinetuneParams, o), model }
      for (const k of ['data', 'resumeFrom'] as const) if (typeof params[k] === 'string') params[k] = path.resolve(params[k] as string)
      const { runId } = await s.call('jobs.start', { kind: 'finetune', params, ...(o.name ? { name: o.name } : {}) } as never)
      const tty = process.stdout.isTTY
      const stop = () => void s.call('jobs.cancel', { runId })
      process.once('SIGINT', stop)
      const status = await new Promise<{ status: string; error: string | null }>((resolve) => {
        s.bus.subscribe((e) => {
          if (e.name === 'job.progress' && e.payload.runId === runId && tty) process.stdout.write(`\r${progressBar(e.payload.fraction, e.payload.etaSeconds, e.payload.message)}\x1b[K`)
          if (e.name === 'job.log' && e.payload.runId === runId && !o.json) {
            if (tty) process.stdout.write('\r\x1b[K')
            console.log(e.payload.message)
          }
          if (e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running') resolve(e.payload)
        })
      })
      process.off('SIGINT', stop)
      if (tty) process.stdout.write('\n')
      const run = await s.call('runs.get', { id: runId })
      const took = run.startedAt && run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : null
      if (status.status !== 'completed') {
        console.error(`run ${runId}: ${status.status}${status.error ? `: ${status.error}` : ''}`)
        process.exitCode = 1
        return
      }
      const sum = run.summary as Record<string, unknown>
      if (o.json) {
        const { run_id, trainable_params, total_params, steps, metrics, checkpoint } = sum
        console.log(JSON.stringify({ run_id, trainable_params, total_params, steps, metrics, checkpoint }))
        return
      }
      const metrics = Object.entries(sum.metrics as Record<string, number>).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')
      console.log(`run ${runId}: completed ${sum.steps} steps in ${formatSeconds(took)}; ${metrics}`)
      console.log(`trainable ${Number(sum.trainable_params).toLocaleString('en-US')} of ${Number(sum.total_params).toLocaleString('en-US')} parameters; checkpoint ${sum.checkpoint}`)
    }),
  )

  program
    .command('eval')
    .description('score a model folder (its untrained-head baseline) or a fine-tune run / checkpoint on a GLUE split')
    .option('--model <dir>', 'model folder (with --run: the base model to use instead of the one recorded)')
    .option('--run <id>', 'a fine-tune run: its best checkpoint (else its last)', (v) => Number(v))
    .option('--checkpoint <dir>', 'a checkpoint-<step> folder')
    .requiredOption('--task <task>', 'GLUE task')
    .option('--data <dir>', 'dataset folder (default: the hub cache)')
    .option('--split <split>', 'dev or test', 'dev')
    .option('--device <device>', 'cpu, or a GPU as cuda:N (`tbw doctor` lists them)', 'cpu')
    .option('--profile-wait <n>', 'profiling: eval batches to skip first', (v) => Number(v), 1)
    .option('--profile-warmup <n>', 'profiling: batches run with the profiler on, discarded', (v) => Number(v), 1)
    .option('--profile-active <n>', 'profiling: eval batches to record into a Chrome trace (0: off)', (v) => Number(v), 0)
    .option('--profile-out <file>', "profiling: also copy the trace here (it is kept with the run as profile.trace.json)")
    .option('--json', 'machine-readable output')
    .action((o: { model?: string; run?: number; checkpoint?: string; task: string; data?: string; split: string; device: string; profileWait: number; profileWarmup: number; profileActive: number; profileOut?: string; json?: boolean }) =>
      withServices(async (s) => {
        const checkpoint = o.run !== undefined ? checkpointOfRun(await s.call('runs.get', { id: o.run })) : o.checkpoint
        if (!['dev', 'validation', 'test'].includes(o.split)) throw new Error(`--split must be dev or test, not ${o.split}`)
        // A job, so the score (and its profile) is a run in the history.
        const params = EvalParams.parse({
          model: o.model ? path.resolve(o.model) : undefined,
          checkpoint: checkpoint ? path.resolve(checkpoint) : undefined,
          task: o.task,
          data: o.data ? path.resolve(o.data) : undefined,
          split: o.split === 'test' ? 'test' : 'validation',
          device: o.device,
          profileWait: o.profileWait,
          profileWarmup: o.profileWarmup,
          profileActive: o.profileActive,
        })
        const end = await runJobToEnd(s, { kind: 'eval', params, name: `eval ${path.basename(params.checkpoint ?? params.model ?? '')} on ${o.task}` }, { progress: false })
        if (end.status !== 'completed') throw new Error(end.error ?? end.status)
        const r = (await s.call('runs.get', { id: end.runId })).summary as unknown as EvalReport
        if (r.profile?.trace && o.profileOut) {
          fs.mkdirSync(path.dirname(path.resolve(o.profileOut)), { recursive: true })
          fs.copyFileSync(r.profile.trace, path.resolve(o.profileOut))
          r.profile.trace = path.resolve(o.profileOut)
        }
        if (o.json) return console.log(JSON.stringify({ ...r, run_id: end.runId }))
        const what = r.checkpoint ?? `${r.model}${r.newlyInitialized.length ? ' (untrained head: the baseline)' : ''}`
        console.log(`run ${end.runId}: ${what} on ${r.task} ${r.split} (${r.examples} examples): loss ${r.loss.toFixed(4)}, ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`)
        if (r.profile && !r.profile.trace) console.log(`profile: nothing recorded: the split has fewer than ${o.profileWait + o.profileWarmup + o.profileActive} batches of 128 (wait + warmup + active)`)
        if (r.profile?.trace) {
          console.log(`profile of ${o.profileActive} eval batches: ${r.profile.trace} (open it with: tbw trace import ${r.profile.trace})`)
          const rows = r.profile.ops.slice(0, 10).map((x) => ({
            op: x.name,
            calls: x.calls,
            'total ms': (x.total_us / 1000).toFixed(2),
            'self ms': (x.self_us / 1000).toFixed(2),
            share: `${(100 * x.share_of_step).toFixed(1)}%`,
            'GFLOP/s': x.gflops_per_s?.toFixed(1) ?? '-',
          }))
          console.log(table(rows, ['op', 'calls', 'total ms', 'self ms', 'share', 'GFLOP/s']))
        }
      }),
    )
}
