// The export job: writes the file or folder atomically, then checks it against the workbench's
// own logits (ONNX in onnxruntime-node) and records the difference with the run.
import fs from 'node:fs'
import path from 'node:path'
import type { ExportParams } from '../contract/export'
import { loadExportSource } from '../engine/export/export-source'
import { verifyExport } from '../engine/export/verify-export'
import { writeMerged, writeOnnx, writePeft } from '../engine/export/write-exports'
import type { JobContext } from './job-context'

function bytesOf(p: string): number {
  const st = fs.statSync(p)
  if (!st.isDirectory()) return st.size
  return fs.readdirSync(p).reduce((a, f) => a + fs.statSync(path.join(p, f)).size, 0)
}

export async function runExport(ctx: JobContext, p: ExportParams): Promise<Record<string, unknown>> {
  ctx.progress(0.05, `loading ${p.checkpoint ?? p.model}`)
  const src = loadExportSource({ model: p.model, checkpoint: p.checkpoint })
  ctx.progress(0.3, `writing ${p.format}`)
  const out =
    p.format === 'merged' ? writeMerged(src, p.out, p.overwrite) : p.format === 'peft' ? writePeft(src, p.out, p.overwrite) : writeOnnx(src, p.format, p.out, p.overwrite)
  ctx.artifact(p.format, out)
  ctx.progress(0.7, 'checking against the workbench')
  const check = await verifyExport(src, p.format, out)
  if (check) ctx.log(`${path.basename(out)}: max |logit difference| ${check.max_abs_diff.toExponential(2)} vs the workbench (${check.checked_with})`)
  ctx.progress(1, 'done')
  return { format: p.format, out, bytes: bytesOf(out), source: p.checkpoint ?? p.model, labels: src.labels, merged_adapters: !!src.adapter, ...(check ?? {}) }
}
