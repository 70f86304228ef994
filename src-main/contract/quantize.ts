// A quantize job's parameters (`tbw quantize`, the Quantize wizard).
import { z } from 'zod'
import { QUANT_MODES } from '../engine/quant/policy'

const path = z.string().min(1).max(4096)

export const QuantizeParams = z
  .object({
    model: path, // an fp32 Hugging Face folder
    out: path, // the quantized folder to write (must not exist unless overwrite)
    mode: z.enum(QUANT_MODES),
    doubleQuant: z.boolean().default(false), // nf4: int8 absmaxes in blocks of 256
    embeddings: z.enum(['same', 'int8']).default('same'), // the word-embedding table like the rest, or int8
    overwrite: z.boolean().default(false),
  })
  .strict()
  .refine((p) => p.mode === 'nf4' || !p.doubleQuant, { message: 'doubleQuant applies to mode nf4 only', path: ['doubleQuant'] })
export type QuantizeInput = z.input<typeof QuantizeParams>
export type QuantizeParams = z.output<typeof QuantizeParams>
