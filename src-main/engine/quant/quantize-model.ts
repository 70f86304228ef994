// `tbw quantize`: a Hugging Face folder -> a quantized folder (config.json with our
// quantization_config, model.safetensors in the formats of tbw/quant.h, the tokenizer files),
// written atomically (engine/export/atomic-folder.ts), so a failure leaves nothing half written.
import fs from 'node:fs'
import path from 'node:path'
import { loadCheckpoint, readModelFolder } from '../bert/checkpoint'
import { numLabels, sequenceClassificationParams } from '../bert/config'
import { writeSafetensors } from '../bert/safetensors'
import { writeFolderAtomic } from '../export/atomic-folder'
import { tokenizerFilesIn } from '../tokenizer/tokenizer-files'
import { quantizationConfig, type QuantizeOptions, type TbwQuantizationConfig } from './policy'
import { quantizeTensors } from './quantize-tensors'

export interface QuantizeResult {
  outDir: string
  quantization: TbwQuantizationConfig
  diskBytes: number // model.safetensors
  sourceBytes: number
  newlyInitialized: string[] // head tensors the source lacked (freshly initialized, as HF would)
}

export function quantizeModelFolder(srcDir: string, outDir: string, opts: QuantizeOptions, o: { overwrite?: boolean } = {}): QuantizeResult {
  const src = path.resolve(srcDir)
  const out = path.resolve(outDir)
  if (src === out) throw new Error(`--out ${outDir} is the source folder: choose a new folder`)
  if (fs.existsSync(out) && fs.readdirSync(out).length && !o.overwrite) {
    throw new Error(`${outDir} already exists and is not empty: choose a new --out (or pass --overwrite)`)
  }
  const ck = loadCheckpoint(src)
  if (ck.quant) throw new Error(`${srcDir} is already quantized (${ck.quant.config.mode}): quantize the fp32 model instead`)
  const { raw } = readModelFolder(src)
  const labels = numLabels(ck.config)
  const specs = sequenceClassificationParams(ck.config, labels)
  const qc = quantizationConfig(opts, specs.map((s) => s.name))
  const tensors = quantizeTensors(specs, ck.params, qc)

  writeFolderAtomic(
    out,
    (tmp) => {
      const config = { ...raw, quantization_config: qc, torch_dtype: qc.storage === 'BF16' ? 'bfloat16' : 'float16' }
      fs.writeFileSync(path.join(tmp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
      writeSafetensors(path.join(tmp, 'model.safetensors'), tensors, { format: 'pt', tbw_quantization: qc.mode })
      for (const f of tokenizerFilesIn(src)) fs.copyFileSync(path.join(src, f), path.join(tmp, f))
    },
    { overwrite: o.overwrite },
  )
  return {
    outDir: out,
    quantization: qc,
    diskBytes: fs.statSync(path.join(out, 'model.safetensors')).size,
    sourceBytes: fs.statSync(ck.weightsFile).size,
    newlyInitialized: ck.newlyInitialized,
  }
}
