// An eval job's parameters (`tbw eval`): a model folder (its untrained-head baseline) or a
// fine-tune checkpoint, scored on a task's dev or test split; optionally profiled.
import { z } from 'zod'
import { Device } from './device'
import { GLUE_TASK_IDS } from '../engine/data/tasks'

const path = z.string().min(1).max(4096)

export const EvalParams = z
  .object({
    model: path.optional(), // a model folder (with a checkpoint: the base to use instead of the recorded one)
    checkpoint: path.optional(), // a checkpoint-<step> folder
    task: z.enum(GLUE_TASK_IDS as [string, ...string[]]),
    data: path.optional(), // default: the hub cache
    split: z.enum(['validation', 'test']).default('validation'),
    device: Device,
    // Profiling, as torch.profiler's schedule over eval batches (0 active: off).
    profileWait: z.number().int().min(0).default(1),
    profileWarmup: z.number().int().min(0).default(1),
    profileActive: z.number().int().min(0).max(100).default(0),
  })
  .strict()
  .refine((p) => p.model || p.checkpoint, { message: 'give a model folder or a checkpoint', path: ['model'] })
export type EvalParams = z.output<typeof EvalParams>
