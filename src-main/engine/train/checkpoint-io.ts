// Trainer checkpoints: a `checkpoint-<step>` folder with the trained tensors
// (trainable.safetensors, by their HF / PEFT names), the optimizer state
// (optimizer.safetensors, "<param>:<slot>") and trainer_state.json (step,
// evaluations, best, the settings, the base model). The folder is written
// under a temporary name and renamed, so a kill never leaves half a checkpoint.
import fs from 'node:fs'
import path from 'node:path'
import { readSafetensors, writeSafetensors } from '../bert/safetensors'
import type { LossScalerState } from './loss-scaler'
import type { Optimizer, TrainableTensor } from './optimizer'

export interface TrainerState {
  step: number
  best: { step: number; metric: string; value: number } | null
  evals: { step: number; loss: number; metrics: Record<string, number> }[]
  sinceBest: number
  modelDir: string
  lossScaler?: LossScalerState // fp16 runs: the dynamic loss scale, for exact resume
}

export const checkpointDir = (outputDir: string, step: number) => path.join(outputDir, `checkpoint-${step}`)

export function writeTrainerCheckpoint(
  outputDir: string,
  step: number,
  state: TrainerState,
  tensors: TrainableTensor[],
  optimizer: Optimizer,
  settings: unknown,
): string {
  const dir = checkpointDir(outputDir, step)
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  writeSafetensors(
    path.join(tmp, 'trainable.safetensors'),
    tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.param })),
    { format: 'pt', tbw_step: String(step) },
  )
  writeSafetensors(
    path.join(tmp, 'optimizer.safetensors'),
    [...optimizer.state].map(([name, data]) => ({ name, shape: [data.length], data })),
    { optimizer: optimizer.o.name },
  )
  fs.writeFileSync(path.join(tmp, 'trainer_state.json'), JSON.stringify({ ...state, step, settings }, null, 2))
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(tmp, dir)
  return dir
}

export function readTrainerState(dir: string): TrainerState & { settings: Record<string, unknown> } {
  const file = path.join(dir, 'trainer_state.json')
  if (!fs.existsSync(file)) throw new Error(`${dir}: not a trainer checkpoint (no trainer_state.json)`)
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TrainerState & { settings: Record<string, unknown> }
}

// Loads the trained tensors into `tensors` (in place) and the optimizer state.
export function readTrainerCheckpoint(dir: string, tensors: TrainableTensor[], optimizer: Optimizer | null): TrainerState {
  const state = readTrainerState(dir)
  loadTrainedTensors(dir, tensors)
  if (optimizer) {
    const opt = readSafetensors(path.join(dir, 'optimizer.safetensors'))
    if (opt.metadata.optimizer !== optimizer.o.name)
      throw new Error(`${dir}: saved with optimizer ${opt.metadata.optimizer}, resuming with ${optimizer.o.name}; resume with the same settings`)
    optimizer.state.clear()
    for (const [name, t] of opt.tensors) optimizer.state.set(name, Float32Array.from(t.data as Float32Array))
  }
  return state
}

export function loadTrainedTensors(dir: string, tensors: TrainableTensor[]): void {
  const file = path.join(dir, 'trainable.safetensors')
  const saved = readSafetensors(file).tensors
  for (const t of tensors) {
    const s = saved.get(t.name)
    if (!s) throw new Error(`${file}: missing tensor ${t.name} (was the checkpoint made with other LoRA or method settings?)`)
    if (s.data.length !== t.param.length) throw new Error(`${file}: tensor ${t.name} has ${s.data.length} values, the model needs ${t.param.length}`)
    t.param.set(s.data as Float32Array)
  }
}
