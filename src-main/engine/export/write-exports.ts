// The export formats: a merged Hugging Face folder, a PEFT adapter folder, ONNX files.
import fs from 'node:fs'
import path from 'node:path'
import { sequenceClassificationParams } from '../bert/config'
import { writeFileAtomic, writeSafetensors } from '../bert/safetensors'
import { writeFolderAtomic } from './atomic-folder'
import { tokenizerFilesIn } from '../tokenizer/tokenizer-files'
import type { ExportSource } from './export-source'
import { bertToOnnx, type OnnxWeights } from './onnx-export'

export { EXPORT_FORMATS, type ExportFormat } from '../../contract/export'


// config.json of the exported classifier: the base's, with the head's label count and no quantization.
function classifierConfig(src: ExportSource): Record<string, unknown> {
  const { quantization_config: _q, ...raw } = src.rawConfig
  const id2label = Object.fromEntries(Array.from({ length: src.labels }, (_, i) => [String(i), `LABEL_${i}`]))
  const keep = raw.id2label && Object.keys(raw.id2label as object).length === src.labels
  return {
    ...raw,
    architectures: ['BertForSequenceClassification'],
    ...(keep ? {} : { id2label, label2id: Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)])) }),
    torch_dtype: 'float32',
  }
}

export function writeMerged(src: ExportSource, out: string, overwrite = false): string {
  const specs = sequenceClassificationParams(src.config, src.labels)
  return writeFolderAtomic(
    out,
    (tmp) => {
      fs.writeFileSync(path.join(tmp, 'config.json'), `${JSON.stringify(classifierConfig(src), null, 2)}\n`)
      writeSafetensors(path.join(tmp, 'model.safetensors'), specs.map((s) => ({ name: s.name, shape: s.shape, data: src.params.get(s.name)! })), { format: 'pt' })
      for (const f of tokenizerFilesIn(src.modelDir)) fs.copyFileSync(path.join(src.modelDir, f), path.join(tmp, f))
    },
    { overwrite },
  )
}

// PEFT's layout: adapter_config.json and adapter_model.safetensors with PEFT's key names
// (base_model.model.<module>.lora_A.weight; modules_to_save saved as base_model.model.<module>.weight).
export function writePeft(src: ExportSource, out: string, overwrite = false): string {
  const a = src.adapter
  if (!a) throw new Error('a PEFT adapter export needs a LoRA or QLoRA fine-tune run (--run ID); this source has no adapters')
  const savedModules = [...new Set(a.savedModules.map((t) => t.name.replace(/^bert\./, '').split('.')[0]))]
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: src.modelDir,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: a.settings.alpha,
    lora_bias: false,
    lora_dropout: a.settings.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: savedModules,
    peft_type: 'LORA',
    r: a.settings.r,
    rank_pattern: {},
    revision: null,
    target_modules: a.settings.targets,
    task_type: 'SEQ_CLS',
    use_dora: false,
    use_rslora: a.settings.rslora,
  }
  return writeFolderAtomic(
    out,
    (tmp) => {
      fs.writeFileSync(path.join(tmp, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`)
      const tensors = [...a.tensors, ...a.savedModules.map((t) => ({ ...t, name: `base_model.model.${t.name}` }))]
      writeSafetensors(path.join(tmp, 'adapter_model.safetensors'), tensors, { format: 'pt' })
    },
    { overwrite },
  )
}

export const ONNX_WEIGHTS: Record<'onnx' | 'onnx-int8' | 'onnx-int4', OnnxWeights> = { onnx: 'fp32', 'onnx-int8': 'int8', 'onnx-int4': 'int4' }

export function writeOnnx(src: ExportSource, format: 'onnx' | 'onnx-int8' | 'onnx-int4', out: string, overwrite = false): string {
  const file = path.resolve(out)
  if (fs.existsSync(file) && !overwrite) throw new Error(`${out} already exists: choose a new --out (or pass --overwrite)`)
  writeFileAtomic(file, Buffer.from(bertToOnnx(src.config, src.params, src.labels, ONNX_WEIGHTS[format])))
  return file
}
