// A fine-tune job's parameters: the schema every entry point (CLI, wizard,
// sweeps) validates against. The defaults are the seed study's QLoRA run on
// MRPC (LoRA r=16, alpha=16, dropout 0.05 on query/key/value, classifier
// trainable; lr 3.9e-4, polynomial decay with warmup ratio 0.2, batch 128 with
// gradient accumulation 2, 300 steps); SEED_DEFAULTS_SOURCE says so in the UI.
import { z } from 'zod'
import { Device } from './device'
import { GLUE_TASK_IDS } from '../engine/data/tasks'
import { LORA_TARGETS, OPTIMIZERS, SCHEDULES } from '../engine/train/names'

export const SEED_DEFAULTS_SOURCE =
  'Defaults reproduce the seed study (TinyBERT 4L-312D on MRPC): LoRA r=16, alpha=16, dropout 0.05 on query/key/value, classifier trainable, lr 3.9e-4 with polynomial decay and warmup ratio 0.2, batch 128 × gradient accumulation 2, 300 steps. The seed used QLoRA (an nf4 base): choose method qlora for that; the default is LoRA on the fp32 base, which is faster on CPU.'

const path = z.string().min(1).max(4096)

export const FinetuneParams = z
  .object({
    model: path,
    task: z.enum(GLUE_TASK_IDS as [string, ...string[]]),
    data: path.optional(), // dataset folder; default: the hub cache's glue/<task>
    method: z.enum(['lora', 'qlora', 'full']).default('lora'),
    loraR: z.number().int().min(1).max(1024).default(16),
    loraAlpha: z.number().positive().max(65536).default(16),
    loraDropout: z.number().min(0).max(0.9).default(0.05),
    targetModules: z.array(z.enum(LORA_TARGETS)).min(1).default(['query', 'key', 'value']),
    rslora: z.boolean().default(false),
    trainPooler: z.boolean().default(false),
    optimizer: z.enum(OPTIMIZERS).default('adamw'),
    lr: z.number().positive().default(3.9e-4), // no upper bound: a diverging lr is caught by the NaN guard
    weightDecay: z.number().min(0).max(10).default(0),
    momentum: z.number().min(0).max(1).default(0),
    scheduler: z.enum(SCHEDULES).default('polynomial'),
    warmupRatio: z.number().min(0).max(1).default(0.2),
    warmupSteps: z.number().int().min(0).default(0),
    batchSize: z.number().int().min(1).max(4096).default(128),
    gradAccum: z.number().int().min(1).max(1024).default(2),
    maxGradNorm: z.number().min(0).default(1),
    maxSteps: z.number().int().min(0).default(300),
    epochs: z.number().positive().max(1000).default(3),
    evalEvery: z.number().int().min(0).default(50),
    saveEvery: z.number().int().min(0).default(100),
    keepCheckpoints: z.number().int().min(1).max(100).default(2),
    earlyStoppingPatience: z.number().int().min(0).default(0),
    maxLength: z.number().int().min(8).max(8192).default(128),
    attention: z.enum(['flash', 'naive']).default('flash'),
    bucketing: z.boolean().default(true),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    hiddenDropout: z.number().min(0).max(0.9).optional(), // default: the model config's
    attentionDropout: z.number().min(0).max(0.9).optional(),
    threads: z.number().int().min(1).max(1024).optional(), // kernel threads of this job (sweeps running trials side by side)
    device: Device, // cpu, or cuda:N (the GPU runs the model step; the optimizer stays on the CPU)
    // GEMM inputs on a GPU (fp32 accumulation and master weights); fp16 adds dynamic loss scaling. The CPU computes in fp32.
    precision: z.enum(['fp32', 'bf16', 'fp16']).default('fp32'),
    limitTrain: z.number().int().min(1).optional(), // use only the first N training examples (quick runs)
    limitEval: z.number().int().min(1).optional(),
    resumeFrom: path.optional(), // a checkpoint-<step> folder of an earlier run
    // Profiling, as torch.profiler's schedule: skip `profileWait` steps, run `profileWarmup` with the
    // profiler on (discarded), record `profileActive` (0: off) into a Chrome trace of the run.
    profileWait: z.number().int().min(0).default(1),
    profileWarmup: z.number().int().min(0).default(1),
    profileActive: z.number().int().min(0).max(100).default(0),
  })
  .strict()

export type FinetuneParams = z.output<typeof FinetuneParams>
export type FinetuneInput = z.input<typeof FinetuneParams>
