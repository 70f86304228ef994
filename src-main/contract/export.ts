// An export job's parameters (`tbw export`, the Export wizard).
import { z } from 'zod'

export const EXPORT_FORMATS = ['merged', 'peft', 'onnx', 'onnx-int8', 'onnx-int4'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const path = z.string().min(1).max(4096)

export const ExportParams = z
  .object({
    format: z.enum(EXPORT_FORMATS),
    model: path.optional(), // a model folder, or with checkpoint: the base model to use instead of the recorded one
    checkpoint: path.optional(), // a fine-tune checkpoint-<step> folder
    out: path, // a folder (merged, peft) or an .onnx file
    overwrite: z.boolean().default(false),
  })
  .strict()
  .refine((p) => p.model || p.checkpoint, { message: 'give a model folder or a fine-tune checkpoint', path: ['model'] })
export type ExportInput = z.input<typeof ExportParams>
export type ExportParams = z.output<typeof ExportParams>
