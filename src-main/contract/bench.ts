// A bench job's parameters (`tbw bench`, the Benchmarks wizard): the variants x batch x
// sequence matrix; each variant runs in its own process.
import { z } from 'zod'
import { Device } from './device'

export const BENCH_VARIANTS = ['native-fp32', 'native-fp32-naive', 'native-int8', 'native-nf4', 'ort-fp32', 'ort-int8'] as const
export type BenchVariant = (typeof BENCH_VARIANTS)[number]

const path = z.string().min(1).max(4096)

export const BenchParams = z
  .object({
    model: path.optional(), // an fp32 model folder
    checkpoint: path.optional(), // or a fine-tune checkpoint (adapters merged)
    data: path.optional(), // an MRPC-layout folder: dev accuracy/F1 and the real lengths ('mrpc')
    variants: z.array(z.enum(BENCH_VARIANTS)).min(1).default([...BENCH_VARIANTS]),
    batches: z.array(z.number().int().min(1).max(1024)).min(1).default([1, 8, 16, 32, 64, 128]),
    seqs: z.array(z.union([z.literal('mrpc'), z.number().int().min(1).max(512)])).min(1).default(['mrpc', 128, 512]),
    iterations: z.number().int().min(1).max(10_000).default(20),
    warmup: z.number().int().min(0).max(100).default(2),
    threads: z.number().int().min(1).max(256).optional(), // default: the machine's cores
    device: Device, // the native variants' device (ONNX Runtime runs on the CPU)
    maxSeconds: z.number().positive().max(3600).default(20), // per cell
    // Profiling (native variants), as torch.profiler's schedule, in extra calls of each variant's
    // first cell after its timing: skip `profileWait`, warm up `profileWarmup`, record `profileActive` (0: off).
    profileWait: z.number().int().min(0).default(1),
    profileWarmup: z.number().int().min(0).default(1),
    profileActive: z.number().int().min(0).max(100).default(0),
  })
  .strict()
  .refine((p) => p.model || p.checkpoint, { message: 'give a model folder or a fine-tune checkpoint', path: ['model'] })
  .refine((p) => !p.seqs.includes('mrpc') || p.data, { message: "sequence 'mrpc' (real lengths) needs data (an MRPC folder)", path: ['seqs'] })
export type BenchInput = z.input<typeof BenchParams>
export type BenchParams = z.output<typeof BenchParams>
