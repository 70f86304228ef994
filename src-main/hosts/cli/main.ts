// `tbw`: the workbench from the command line, over the same services.
import { Command, Option } from 'commander'
import path from 'node:path'
import type { AppServices } from '../../services/app-services'
import { loadKernels } from '../../engine/addon'
import { initRandomCheckpoint, PRESETS, type Preset } from '../../engine/bert/init-checkpoint'
import { loadPredictor } from '../../engine/bert/predict'
import { loadGlue } from '../../engine/data/glue'
import { glueDatasetRequest, pull, type HubOptions } from '../../engine/hub/hub'
import { defaultDataDir } from '../../services/data-dir'
import { createNodeServices } from '../node-host'
import { serve } from '../serve'
import { doctorText } from './doctor'
import { registerFinetuneCommands } from './finetune-commands'
import { registerRunsCommands } from './runs-commands'
import { registerSweepCommands } from './sweep-commands'
import { registerBenchCommands } from './bench-commands'
import { registerExportCommands } from './export-commands'
import { registerQuantizeCommands } from './quantize-commands'
import { registerTraceCommands } from './trace-commands'
import { formatBytes, formatSeconds, progressBar } from './format'
import { runJobToEnd } from './run-job'

const program = new Command('tbw')
  .description('TinyBERT Workbench command line')
  .option('--data-dir <dir>', 'data directory (default: TBW_HOME or the OS user-data folder)')
  .showHelpAfterError()

function withServices<T>(fn: (s: AppServices) => Promise<T>): Promise<T> {
  const s = createNodeServices('cli', program.opts<{ dataDir?: string }>().dataDir)
  return fn(s).finally(() => s.close())
}

const printJson = (v: unknown) => console.log(JSON.stringify(v, null, 2))

program
  .command('doctor')
  .description('CPU features, kernel variant, threads, CUDA, versions and data directory')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) =>
    withServices(async (s) => {
      const info = await s.call('system.info')
      // Free GPU memory only here, where a person asked: reading it creates a context on each GPU.
      if (!('error' in info.kernels)) for (const d of info.kernels.cuda.devices) d.freeBytes = loadKernels().cudaFreeBytes(d.index) ?? undefined
      if (o.json) printJson(info)
      else console.log(doctorText(info))
      if ('error' in info.kernels) process.exitCode = 1
    }),
  )

registerRunsCommands(program, withServices)

program
  .command('selftest')
  .description('run the engine self-test job (native kernels in every variant) and record it as a run')
  .option('--steps <n>', 'number of steps', (v) => Number(v), 20)
  .option('--interval-ms <n>', 'pause between steps', (v) => Number(v), 0)
  .action((o: { steps: number; intervalMs: number }) =>
    withServices(async (s) => {
      const status = await runJobToEnd(s, { kind: 'engine-selftest', params: { steps: o.steps, intervalMs: o.intervalMs } }, { progress: true })
      const runId = status.runId
      const run = await s.call('runs.get', { id: runId })
      const took = run.startedAt && run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : null
      console.log(`run ${runId}: ${status.status} in ${formatSeconds(took)}${status.error ? `: ${status.error}` : ''}`)
      if (status.status === 'completed') console.log(JSON.stringify(run.summary))
      else process.exitCode = 1
    }),
  )

const model = program.command('model').description('model checkpoints')
model
  .command('init')
  .description('write a seeded RANDOM-weights checkpoint in the Hugging Face layout (config.json, vocab.txt, model.safetensors)')
  .addOption(new Option('--preset <name>', 'model preset').choices([...PRESETS]).makeOptionMandatory())
  .requiredOption('--vocab <file>', 'vocab.txt to use (e.g. the BERT uncased vocabulary)')
  .requiredOption('--out <dir>', 'output folder')
  .option('--seed <n>', 'random seed', (v) => Number(v), 42)
  .option('--force', 'overwrite existing files')
  .action((o: { preset: Preset; vocab: string; out: string; seed: number; force?: boolean }) => {
    const result = initRandomCheckpoint({ preset: o.preset, vocabFile: o.vocab, outDir: o.out, seed: o.seed, force: o.force })
    console.log(`wrote ${result.files.join(', ')}`)
    console.log(`${result.parameters.toLocaleString('en-US')} parameters, RANDOM weights (seed ${o.seed}): for tests and demos, not a trained model`)
  })

function hubOptions(offline?: boolean): HubOptions {
  const dataDir = program.opts<{ dataDir?: string }>().dataDir ?? defaultDataDir()
  const tty = process.stdout.isTTY
  const started = Date.now()
  return {
    cacheDir: path.join(path.resolve(dataDir), 'hub'),
    offline: offline || process.env.HF_HUB_OFFLINE === '1' || process.env.TBW_OFFLINE === '1',
    token: process.env.HF_TOKEN,
    onProgress: ({ file, bytes, total }) => {
      if (!tty || !total) return
      const f = bytes / total
      const elapsed = (Date.now() - started) / 1000
      process.stdout.write(`\r${progressBar(f, f > 0 ? (elapsed * (1 - f)) / f : null, `${file} ${formatBytes(bytes)}/${formatBytes(total)}`)}`)
      if (bytes === total) process.stdout.write('\n')
    },
  }
}

model
  .command('pull <repo>')
  .description('download a model (config, vocab/tokenizer, weights) from the Hugging Face hub into the cache, resuming partial downloads')
  .option('--revision <rev>', 'branch, tag or commit', 'main')
  .option('--offline', 'use only the cache and say what is missing (also HF_HUB_OFFLINE=1)')
  .action(async (repo: string, o: { revision: string; offline?: boolean }) => {
    const got = await pull(hubOptions(o.offline), 'model', repo, { revision: o.revision })
    console.log(`${repo}@${got.commit.slice(0, 12)}: ${got.files.join(', ')}`)
    console.log(got.dir)
  })

const data = program.command('data').description('datasets')
data
  .command('pull <name>')
  .description('download a GLUE task (glue/mrpc, glue/rte, …) from the Hugging Face hub into the cache')
  .option('--offline', 'use only the cache and say what is missing (also HF_HUB_OFFLINE=1)')
  .action(async (name: string, o: { offline?: boolean }) => {
    const req = glueDatasetRequest(name)
    const got = await pull(hubOptions(o.offline), 'dataset', req.repoId, { files: req.files })
    console.log(`${name} (${req.repoId}@${got.commit.slice(0, 12)}): ${got.files.join(', ')}`)
    console.log(path.join(got.dir, name.split('/')[1]))
  })

data
  .command('show <dir>')
  .description('a dataset folder (GLUE TSV, or hub parquet/jsonl): splits, label balance, lengths, rows it cannot use')
  .option('--task <task>', 'GLUE task (default: from the folder name)')
  .option('--tokenizer <modelDir>', 'count lengths in this model\'s tokens (default: words)')
  .option('--json', 'machine-readable output')
  .action((dir: string, o: { task?: string; tokenizer?: string; json?: boolean }) =>
    withServices(async (s) => {
      const d = await s.call('datasets.open', { path: dir, task: o.task, tokenizerModel: o.tokenizer })
      if (o.json) return printJson(d)
      console.log(`${d.taskName} (${d.regression ? 'regression' : d.labelNames.join(' / ')}) in ${d.dir}`)
      for (const sp of d.splits) {
        const labels = sp.labelCounts.map((l) => `${l.label} ${l.count}`).join(', ')
        const st = sp.lengthStats
        console.log(`  ${sp.name}: ${sp.examples} examples (${labels}); ${sp.lengthUnit} mean ${st.mean.toFixed(1)}, p95 ${st.p95}, max ${st.max}`)
        for (const p of sp.firstProblems) console.log(`    ${sp.where} ${p.line}: ${p.reason}`)
        if (sp.problems > sp.firstProblems.length) console.log(`    … ${sp.problems - sp.firstProblems.length} more rows not used`)
      }
    }),
  )

model
  .command('show <dir>')
  .description('a model folder: architecture, parameter count, size, tokenizer, whether the weights are random')
  .option('--json', 'machine-readable output')
  .action((dir: string, o: { json?: boolean }) =>
    withServices(async (s) => {
      const m = await s.call('models.inspect', { path: dir })
      if (o.json) return printJson(m)
      console.log(`${m.architecture}: ${m.layers} layers, hidden ${m.hidden}, ${m.heads} heads × ${m.headSize}, FFN ${m.intermediate}, vocab ${m.vocabSize}`)
      console.log(`${m.parametersInFile.toLocaleString('en-US')} parameters in ${path.basename(m.weightsFile)} (${formatBytes(m.weightsBytes)}); labels ${m.labels.join(', ')}`)
      if (m.randomWeights) console.log(`weights: ${m.randomWeights}`)
    }),
  )

program
  .command('predict')
  .description('classify a sentence pair (or a GLUE-style TSV of pairs) with a Hugging Face model folder')
  .requiredOption('--model <dir>', 'model folder (config.json, vocab.txt, model.safetensors or pytorch_model.bin)')
  .option('--a <text>', 'first sentence')
  .option('--b <text>', 'second sentence')
  .option('--file <tsv>', 'MRPC-style TSV (#1 String, #2 String): prints line, label and probabilities per row')
  .option('--max-length <n>', 'truncate pairs to this many tokens', (v) => Number(v), 128)
  .option('--json', 'machine-readable output')
  .action(async (o: { model: string; a?: string; b?: string; file?: string; maxLength: number; json?: boolean }) => {
    if (!o.file && o.a === undefined) throw new Error('give --a (and --b) or --file')
    const predictor = loadPredictor(o.model, o.maxLength)
    if (predictor.newlyInitialized.length) {
      console.error(`note: ${predictor.newlyInitialized.join(', ')} not in the checkpoint; freshly initialized (predictions are not meaningful)`)
    }
    if (o.file) {
      const split = await loadGlue('mrpc', o.file)
      for (const p of split.problems) console.error(`${o.file}:${p.line}: skipped: ${p.reason}`)
      const preds = predictor.predict(split.examples)
      if (o.json) return printJson(split.examples.map((e, i) => ({ line: e.line, ...preds[i] })))
      console.log('line\tlabel\tprobs')
      split.examples.forEach((e, i) => console.log(`${e.line}\t${preds[i].label}\t${preds[i].probs.map((p) => p.toFixed(4)).join(',')}`))
      return
    }
    const [pred] = predictor.predict([{ a: o.a!, b: o.b ?? null }])
    if (o.json) return console.log(JSON.stringify({ logits: [pred.logits], probs: [pred.probs] }))
    console.log(`label ${pred.label}  probs ${pred.probs.map((p) => p.toFixed(4)).join(', ')}  logits ${pred.logits.map((x) => x.toFixed(4)).join(', ')}`)
  })

registerFinetuneCommands(program, withServices, hubOptions)
registerTraceCommands(program, withServices)
registerQuantizeCommands(program, withServices)
registerExportCommands(program, withServices)
registerBenchCommands(program, withServices)
registerSweepCommands(program, withServices)

program
  .command('serve')
  .description('serve the workbench UI on 127.0.0.1 (same as npm run serve)')
  .option('--port <n>', 'port (default: random)', (v) => Number(v))
  .action((o: { port?: number }) => serve({ port: o.port, dataDir: program.opts<{ dataDir?: string }>().dataDir }))

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`tbw: ${err.message}`)
  process.exit(1)
})
