// `tbw export --format merged|peft|onnx|onnx-int8|onnx-int4 (--run ID | --model DIR) --out PATH`
import path from 'node:path'
import type { Command } from 'commander'
import { checkpointOfRun } from '../../contract/run-checkpoint'
import { ExportParams } from '../../contract/export'
import type { AppServices } from '../../services/app-services'
import { runJobToEnd } from './run-job'

export function registerExportCommands(program: Command, withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>): void {
  program
    .command('export')
    .description('export a model or a fine-tune run: merged HF folder, PEFT adapter, ONNX fp32 / int8 / 4-bit (checked in onnxruntime-node)')
    .requiredOption('--format <format>', 'merged | peft | onnx | onnx-int8 | onnx-int4')
    .option('--run <id>', 'a fine-tune run: its best checkpoint (else its last)', (v) => Number(v))
    .option('--checkpoint <dir>', 'a checkpoint-<step> folder')
    .option('--model <dir>', 'a model folder (with --run: the base model to use instead of the recorded one)')
    .requiredOption('--out <path>', 'the folder (merged, peft) or .onnx file to write')
    .option('--overwrite', 'replace --out when it exists')
    .option('--json', 'machine-readable output')
    .action((o: { format: string; run?: number; checkpoint?: string; model?: string; out: string; overwrite?: boolean; json?: boolean }) =>
      withServices(async (s) => {
        const checkpoint = o.run !== undefined ? checkpointOfRun(await s.call('runs.get', { id: o.run })) : o.checkpoint
        const params = ExportParams.parse({
          format: o.format,
          model: o.model ? path.resolve(o.model) : undefined,
          checkpoint: checkpoint ? path.resolve(checkpoint) : undefined,
          out: path.resolve(o.out),
          overwrite: !!o.overwrite,
        })
        const end = await runJobToEnd(s, { kind: 'export', params, name: `export ${params.format}` }, { progress: !o.json })
        if (end.status !== 'completed') throw new Error(end.error ?? end.status)
        const sum = (await s.call('runs.get', { id: end.runId })).summary as { out: string; bytes: number; max_abs_diff?: number; checked_with?: string }
        if (o.json) return console.log(JSON.stringify({ run_id: end.runId, ...sum }))
        console.log(`run ${end.runId}: wrote ${sum.out} (${(sum.bytes / 2 ** 20).toFixed(2)} MiB)`)
        if (sum.max_abs_diff !== undefined) console.log(`max |logit difference| vs the workbench: ${sum.max_abs_diff.toExponential(2)} (${sum.checked_with})`)
      }),
    )
}
