// `tbw quantize --model DIR --mode int8|nf4|fp16|bf16 [--double-quant] [--embeddings int8] --out DIR`
// and `tbw quantize --size-report --model DIR`.
import path from 'node:path'
import type { Command } from 'commander'
import { QuantizeParams } from '../../contract/quantize'
import { sizeReport } from '../../engine/quant/size-report'
import type { AppServices } from '../../services/app-services'
import { table } from './format'
import { runJobToEnd } from './run-job'

interface QuantizeFlags {
  model: string
  mode?: string
  doubleQuant?: boolean
  embeddings?: string
  out?: string
  overwrite?: boolean
  sizeReport?: boolean
  json?: boolean
}

export function registerQuantizeCommands(program: Command, withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>): void {
  program
    .command('quantize')
    .description('write a quantized model folder (int8 per channel, nf4 in blocks of 64, fp16, bf16), or print the size report')
    .requiredOption('--model <dir>', 'an fp32 Hugging Face model folder')
    .option('--mode <mode>', 'int8 | nf4 | fp16 | bf16')
    .option('--double-quant', 'nf4: quantize the absmaxes too (int8, blocks of 256), as QLoRA')
    .option('--embeddings <format>', 'int8: the word-embedding table in int8 per row (default: stored like the rest)')
    .option('--out <dir>', 'the folder to write (must not exist)')
    .option('--overwrite', 'replace --out when it exists')
    .option('--size-report', 'print the size of the model under every policy (fp32, fp16, bf16, int8, bnb-nf4, ...) instead')
    .option('--json', 'machine-readable output')
    .action((o: QuantizeFlags) => {
      if (o.sizeReport) return printSizeReport(o.model, !!o.json)
      if (!o.mode || !o.out) throw new Error('give --mode and --out (or --size-report)')
      if (o.embeddings && o.embeddings !== 'int8') throw new Error(`--embeddings must be int8, not ${o.embeddings}`)
      const params = QuantizeParams.parse({
        model: path.resolve(o.model),
        out: path.resolve(o.out),
        mode: o.mode,
        doubleQuant: !!o.doubleQuant,
        embeddings: o.embeddings === 'int8' ? 'int8' : 'same',
        overwrite: !!o.overwrite,
      })
      return withServices(async (s) => {
        const end = await runJobToEnd(s, { kind: 'quantize', params, name: `quantize ${path.basename(params.model)} ${params.mode}` }, { progress: !o.json })
        if (end.status !== 'completed') throw new Error(end.error ?? end.status)
        const sum = (await s.call('runs.get', { id: end.runId })).summary as { out: string; disk_bytes: number; source_bytes: number; ratio: number }
        if (o.json) return console.log(JSON.stringify({ run_id: end.runId, ...sum }))
        console.log(`run ${end.runId}: wrote ${sum.out}: ${(sum.disk_bytes / 2 ** 20).toFixed(2)} MiB (${sum.ratio.toFixed(2)}x smaller than ${(sum.source_bytes / 2 ** 20).toFixed(2)} MiB)`)
        console.log(`next: tbw eval --model ${sum.out} --task mrpc`)
      })
    })
}

function printSizeReport(model: string, json: boolean): void {
  const r = sizeReport(path.resolve(model), (done, total, policy) => {
    if (!json && process.stdout.isTTY) process.stdout.write(`\r${done}/${total} ${policy}\x1b[K`)
  })
  if (!json && process.stdout.isTTY) process.stdout.write('\r\x1b[K')
  if (json) return console.log(JSON.stringify(r))
  const f = (x: number) => x.toFixed(2)
  console.log(`${r.parameters.toLocaleString('en-US')} parameters; sizes in MiB (the seed study's "MB")`)
  console.log(table(r.rows.map((x) => ({ policy: x.policy, weights: f(x.weightsMiB), 'on disk': f(x.diskMiB), 'in memory': f(x.memoryMiB), what: x.description })), ['policy', 'weights', 'on disk', 'in memory', 'what']))
  console.log(
    `the seed's QLoRA model (bnb-nf4 weights + ${r.seedQlora.loraParams.toLocaleString('en-US')} fp32 LoRA parameters + the fp16 classifier copy, as get_memory_footprint counts): ${f(r.seedQlora.totalMiB)} MiB`,
  )
  console.log('weights: parameters as stored (nf4 half a byte; absmaxes and scales are not parameters); in memory: what the engine holds to run it (fp16/bf16 widened to fp32)')
}
