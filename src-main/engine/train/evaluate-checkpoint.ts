// `tbw eval`: a model folder as it is (the untrained-head baseline when its
// classifier is new), or a fine-tune checkpoint (its trained tensors on top of
// the base model it names), scored on a task's dev or test split.
import path from 'node:path'
import { loadCheckpoint } from '../bert/checkpoint'
import { encodeExamples } from '../data/batching'
import { loadFolderSplit, openDatasetFolder } from '../data/dataset-folder'
import { glueTask } from '../data/tasks'
import { cachedGlueDir } from '../hub/hub'
import { WordPieceTokenizer } from '../tokenizer/wordpiece'
import { saveProfile, StepProfiler, type ProfileSchedule, type SavedProfile } from '../profiler/step-profiler'
import { loadTrainedTensors, readTrainerState } from './checkpoint-io'
import { resolveDevice } from '../device'
import { buildModel, evaluateModel, type TrainSettings } from './trainer'

export interface EvalOptions {
  model?: string // base model folder (default: the one the checkpoint names)
  checkpoint?: string
  task: string
  data?: string
  split: 'validation' | 'test'
  dataDir: string
  maxLength?: number
  attention?: 'flash' | 'naive'
  device?: string // cpu (default) or cuda:N
  profile?: ProfileSchedule & { file: string } // record a window of eval batches into a Chrome trace
}

export interface EvalReport {
  model: string
  checkpoint: string | null
  task: string
  split: string
  file: string
  examples: number
  loss: number
  metrics: Record<string, number>
  newlyInitialized: string[] // non-empty: an untrained head (the baseline)
  profile?: SavedProfile
}

export async function evaluateCheckpoint(o: EvalOptions): Promise<EvalReport> {
  const state = o.checkpoint ? readTrainerState(o.checkpoint) : null
  const settings = state?.settings as unknown as TrainSettings | undefined
  const modelDir = o.model ?? state?.modelDir
  if (!modelDir) throw new Error('give a model folder (--model) or a checkpoint (--run or --checkpoint)')
  const spec = glueTask(o.task)
  const labels = spec.regression ? 1 : spec.labelNames.length
  const ck = loadCheckpoint(modelDir, { seed: settings?.seed ?? 42, numLabels: labels, newHeadOnMismatch: true })
  const { model, tensors } = buildModel(ck, settings ?? { method: 'full', lora: { r: 1, alpha: 1, dropout: 0, targets: ['query'], rslora: false }, trainPooler: false, seed: 42 }, labels, resolveDevice(o.device ?? 'cpu').backend)
  if (o.checkpoint) loadTrainedTensors(o.checkpoint, tensors)
  const folder = openDatasetFolder(o.data ?? cachedGlueDir(path.join(o.dataDir, 'hub'), o.task), o.task)
  const name = o.split === 'validation' && o.task === 'mnli' ? 'validation_matched' : o.split === 'test' && o.task === 'mnli' ? 'test_matched' : o.split
  const split = await loadFolderSplit(folder, name)
  if (split.examples.some((e) => e.label === null)) throw new Error(`${split.file}: the ${name} split has no labels, so it cannot be scored`)
  const enc = encodeExamples(WordPieceTokenizer.fromModelDir(modelDir), split.examples, o.maxLength ?? settings?.maxLength ?? 128)
  const profiler = o.profile ? new StepProfiler({ wait: o.profile.wait, warmup: o.profile.warmup, active: o.profile.active }, 'eval batch') : undefined
  const r = evaluateModel(model, enc, labels, spec.metrics, o.attention ?? 'flash', profiler)
  const profile = profiler && o.profile ? saveProfile(profiler, o.profile.file, { model: modelDir, checkpoint: o.checkpoint ?? null, task: o.task, split: name }) : undefined
  return {
    model: modelDir,
    checkpoint: o.checkpoint ?? null,
    task: o.task,
    split: name,
    file: split.file,
    examples: split.examples.length,
    loss: r.loss,
    metrics: r.metrics,
    newlyInitialized: o.checkpoint ? [] : ck.newlyInitialized,
    ...(profile ? { profile } : {}),
  }
}
