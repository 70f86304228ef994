// The fine-tune job: loads the model, tokenizer and GLUE task, trains with the
// Trainer, reports progress, metrics and checkpoints, and returns a summary
// (the run's summary_json, and the CLI's final JSON line).
import fs from 'node:fs'
import path from 'node:path'
import type { FinetuneParams } from '../contract/finetune'
import { loadKernels } from '../engine/addon'
import { loadCheckpoint } from '../engine/bert/checkpoint'
import { loadFolderSplit, openDatasetFolder } from '../engine/data/dataset-folder'
import type { LoadedSplit } from '../engine/data/examples'
import { glueTask } from '../engine/data/tasks'
import { checkGpuMemory, gpuStepBytes, resolveDevice } from '../engine/device'
import { cachedGlueDir } from '../engine/hub/hub'
import { saveProfile, StepProfiler } from '../engine/profiler/step-profiler'
import { WordPieceTokenizer } from '../engine/tokenizer/wordpiece'
import type { LoraTarget } from '../engine/train/names'
import { Trainer, type TrainSettings } from '../engine/train/trainer'
import type { JobContext } from './job-context'

export function trainSettings(p: FinetuneParams): TrainSettings {
  return {
    method: p.method,
    lora: { r: p.loraR, alpha: p.loraAlpha, dropout: p.loraDropout, targets: p.targetModules as LoraTarget[], rslora: p.rslora },
    trainPooler: p.trainPooler,
    optimizer: { name: p.optimizer, weightDecay: p.weightDecay, momentum: p.momentum },
    lr: p.lr,
    scheduler: p.scheduler,
    warmupRatio: p.warmupRatio,
    warmupSteps: p.warmupSteps,
    batchSize: p.batchSize,
    gradAccum: p.gradAccum,
    maxGradNorm: p.maxGradNorm,
    maxSteps: p.maxSteps,
    epochs: p.epochs,
    evalEvery: p.evalEvery,
    saveEvery: p.saveEvery,
    keepCheckpoints: p.keepCheckpoints,
    earlyStoppingPatience: p.earlyStoppingPatience,
    maxLength: p.maxLength,
    attention: p.attention,
    bucketing: p.bucketing,
    seed: p.seed,
    hiddenDropout: p.hiddenDropout,
    attentionDropout: p.attentionDropout,
    precision: p.precision,
  }
}

// The evaluation split of a task: validation (MNLI: validation_matched).
export function evalSplitName(task: string): string {
  return task === 'mnli' ? 'validation_matched' : 'validation'
}

export async function loadTaskSplits(p: { task: string; data?: string; limitTrain?: number; limitEval?: number }, dataDir: string) {
  const dir = p.data ?? cachedGlueDir(path.join(dataDir, 'hub'), p.task)
  const folder = openDatasetFolder(dir, p.task)
  const limit = (s: LoadedSplit, n?: number): LoadedSplit => (n ? { ...s, examples: s.examples.slice(0, n) } : s)
  const train = limit(await loadFolderSplit(folder, 'train'), p.limitTrain)
  const evalSplit = limit(await loadFolderSplit(folder, evalSplitName(p.task)), p.limitEval)
  return { folder, train, evalSplit }
}

export async function runFinetune(ctx: JobContext, p: FinetuneParams): Promise<Record<string, unknown>> {
  if (!fs.existsSync(p.model)) throw new Error(`model folder ${p.model} does not exist`)
  if (p.threads) loadKernels().setThreads(p.threads)
  const spec = glueTask(p.task)
  const ck = loadCheckpoint(p.model, { seed: p.seed, numLabels: spec.regression ? 1 : spec.labelNames.length, newHeadOnMismatch: true })
  if (ck.newlyInitialized.length) ctx.log(`${ck.newlyInitialized.join(', ')}: not in the checkpoint or sized for other labels; freshly initialized (seed ${p.seed})`)
  const tok = WordPieceTokenizer.fromModelDir(p.model)
  const { folder, train, evalSplit } = await loadTaskSplits(p, ctx.dataDir)
  for (const s of [train, evalSplit]) if (s.problems.length) ctx.log(`${s.file}: ${s.problems.length} rows not used (first: ${s.where} ${s.problems[0].line}: ${s.problems[0].reason})`, 'warn')
  const device = resolveDevice(p.device, undefined, p.precision) // says why, before any work, when the GPU cannot be used
  const trainer = new Trainer(ck, tok, train, evalSplit, trainSettings(p), spec.metrics, ctx.runDir, p.model, device.backend)
  if (device.gpu) {
    const c = ck.config
    const shape = { hidden: c.hidden_size, heads: c.num_attention_heads, intermediate: c.intermediate_size, layers: c.num_hidden_layers, labels: spec.regression ? 1 : spec.labelNames.length, vocab: c.vocab_size, maxPos: c.max_position_embeddings, typeVocab: c.type_vocab_size }
    const opts = { paramElems: trainer.totalParams, gradElems: trainer.trainableParams, loraR: p.method === 'full' ? 0 : p.loraR, flash: p.attention === 'flash', quantized: p.method === 'qlora' }
    const bytes = gpuStepBytes(shape, p.batchSize, p.maxLength, opts)
    const free = checkGpuMemory(device.gpu, bytes, `fine-tuning at batch ${p.batchSize} and length ${p.maxLength}`)
    const of = free === null ? ' (its free memory is unknown)' : ` of its ${(free / 2 ** 30).toFixed(2)} GiB free`
    ctx.log(`device ${device.backend}: ${device.gpu.name}; a step needs about ${(bytes / 2 ** 30).toFixed(2)} GiB${of} (the optimizer runs on the CPU)`)
  }
  ctx.log(`${spec.name} from ${folder.dir}: ${train.examples.length} train, ${evalSplit.examples.length} eval examples`)
  ctx.log(`trainable params: ${trainer.trainableParams.toLocaleString('en-US')} of ${trainer.totalParams.toLocaleString('en-US')} (${p.method})`)
  ctx.log(`padding: ${(100 * trainer.paddingWaste()).toFixed(1)}% of processed tokens (dynamic padding${p.bucketing ? ', length-bucketed' : ''})`)
  ctx.progress(0, `step 0/${trainer.totalSteps}`)
  const profiler = p.profileActive > 0 ? new StepProfiler({ wait: p.profileWait, warmup: p.profileWarmup, active: p.profileActive }) : null
  const r = await trainer.run(
    {
      progress: (f, m) => ctx.progress(f, m),
      metric: (k, s, v) => ctx.metric(k, s, v),
      log: (m) => ctx.log(m),
      checkpointSaved: (dir) => ctx.artifact('checkpoint', dir),
      shouldStop: () => ctx.checkpoint(),
      profiler: profiler ?? undefined,
    },
    p.resumeFrom,
  )
  const profile = profiler ? writeProfile(ctx, profiler, p) : undefined
  return {
    ...(profile ? { profile } : {}),
    run_id: ctx.runId,
    trainable_params: r.trainableParams,
    total_params: r.totalParams,
    steps: r.steps,
    metrics: r.metrics,
    best: r.best,
    checkpoint: r.checkpoint,
    best_checkpoint: r.bestCheckpoint,
    stopped_early: r.stoppedEarly,
  }
}

// The recorded window as a Chrome trace beside the run (an artifact the Traces page and Perfetto
// open) and its operator summary in the run's summary.
function writeProfile(ctx: JobContext, profiler: StepProfiler, p: FinetuneParams): Record<string, unknown> {
  const saved = saveProfile(profiler, path.join(ctx.runDir, 'profile.trace.json'), { run_id: ctx.runId, method: p.method, batch_size: p.batchSize })
  if (!saved.trace) {
    ctx.log(`profiling recorded nothing: the run had fewer than ${p.profileWait + p.profileWarmup + p.profileActive} steps (wait + warmup + active)`, 'warn')
    return { ...saved }
  }
  ctx.artifact('trace', saved.trace)
  ctx.log(`profile of ${p.profileActive} steps written to ${saved.trace}; top op ${saved.ops[0]?.name ?? '-'}`)
  return { ...saved }
}
