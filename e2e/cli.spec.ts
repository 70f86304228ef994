// The built `tbw` CLI over the same services, on its own data directory.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCheckpoint } from '../src-main/engine/bert/checkpoint'
import { readSafetensors } from '../src-main/engine/bert/safetensors'
import { REPO_ROOT, sharedData, tempDataDir } from '../test-support/services'

const dataDir = tempDataDir('cli')
const tbw = (...args: string[]) =>
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'tbw.js'), ...args], {
    env: { ...process.env, TBW_HOME: dataDir },
    encoding: 'utf8',
  })

describe('tbw CLI', () => {
  it('doctor --json reports CPU features, kernel variant, threads, CUDA, versions and the data directory', () => {
    const info = JSON.parse(tbw('doctor', '--json'))
    expect(info.dataDir).toBe(dataDir)
    expect(info.host).toBe('cli')
    expect(Object.keys(info.kernels.cpu).sort()).toEqual(['avx2', 'avx512_bf16', 'avx512_vnni', 'avx512f', 'fma'])
    expect(info.kernels.variants).toContain(info.kernels.variant)
    expect(info.kernels.threads).toBeGreaterThan(0)
    // CUDA: loaded where it was built (nvcc present), with the GPUs the driver sees or the reason there are none
    const cuda = info.kernels.cuda
    expect(typeof cuda.compiled).toBe('boolean')
    if (cuda.compiled) expect(cuda.library).toMatch(/libtbw_cuda\.so$/)
    for (const d of cuda.devices) expect(d.id).toMatch(/^cuda:\d+$/)
    if (cuda.devices.length === 0) expect(cuda.reason.length).toBeGreaterThan(10)
    expect(info.versions.node).toBe(process.versions.node)
    expect(info.versions.sqlite).toMatch(/^3\./)
  })

  it('doctor prints a readable report', () => {
    const text = tbw('doctor')
    expect(text).toMatch(/kernel variant: +\w+/)
    expect(text).toMatch(/CUDA: +\S/)
    expect(text).toContain(dataDir)
  })

  it('selftest records a run that runs list shows', () => {
    expect(tbw('runs', 'list')).toMatch(/No runs yet/)
    expect(tbw('selftest', '--steps', '3')).toMatch(/run 1: completed/)
    const runs = JSON.parse(tbw('runs', 'list', '--json'))
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ id: 1, kind: 'engine-selftest', status: 'completed', progress: 1 })
    expect(tbw('runs', 'list')).toMatch(/1 +engine-selftest +completed +100%/)
  })

  it('model init writes a random TinyBERT checkpoint in the Hugging Face layout', () => {
    const out = path.join(dataDir, 'tinybert-random')
    const vocab = sharedData('vocab', 'bert-base-uncased-vocab.txt')
    const text = tbw('model', 'init', '--preset', 'tinybert-4l-312d', '--vocab', vocab, '--out', out, '--seed', '7')
    expect(text).toMatch(/14,350,874 parameters, RANDOM weights \(seed 7\)/)
    const shared = JSON.parse(fs.readFileSync(sharedData('configs', 'tinybert-general-4l-312d_config.json'), 'utf8'))
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'))).toEqual(shared)
    expect(fs.readFileSync(path.join(out, 'vocab.txt'))).toEqual(fs.readFileSync(vocab))
    const st = readSafetensors(path.join(out, 'model.safetensors'))
    expect(st.metadata.tbw_weights).toMatch(/^RANDOM/)
    expect(st.tensors.get('bert.encoder.layer.0.attention.self.query.weight')!.shape).toEqual([312, 312])
    const w = st.tensors.get('bert.embeddings.word_embeddings.weight')!.data as Float32Array
    let sq = 0
    for (let i = 0; i < w.length; i++) sq += w[i] * w[i]
    expect(Math.sqrt(sq / w.length)).toBeCloseTo(0.02, 3) // normal(0, initializer_range)
    expect(Array.from(st.tensors.get('bert.embeddings.LayerNorm.weight')!.data as Float32Array).every((x) => x === 1)).toBe(true)
    const loaded = loadCheckpoint(out)
    expect(loaded.newlyInitialized).toEqual([])
    expect(loaded.unused).toEqual([])
    expect([...loaded.params.values()].reduce((a, p) => a + p.length, 0)).toBe(14_350_874)
    // Same seed, same bytes; existing files are not overwritten without --force.
    expect(() => tbw('model', 'init', '--preset', 'tinybert-4l-312d', '--vocab', vocab, '--out', out)).toThrow(/already exist; pass --force/)
    const again = path.join(dataDir, 'tinybert-random-2')
    tbw('model', 'init', '--preset', 'tinybert-4l-312d', '--vocab', vocab, '--out', again, '--seed', '7')
    expect(fs.readFileSync(path.join(again, 'model.safetensors')).equals(fs.readFileSync(path.join(out, 'model.safetensors')))).toBe(true)
  })

  it('predict prints logits and probabilities for a pair and for a TSV file (random weights)', () => {
    const out = path.join(dataDir, 'tinybert-random')
    const json = JSON.parse(tbw('predict', '--model', out, '--a', 'The cat sat on the mat.', '--b', 'A cat was sitting on the mat.', '--json'))
    expect(json.logits[0]).toHaveLength(2)
    expect(json.probs[0][0] + json.probs[0][1]).toBeCloseTo(1, 6)
    // Batched, padded predictions equal one-at-a-time ones.
    const tsv = path.join(dataDir, 'pairs.tsv')
    fs.writeFileSync(tsv, 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tThe cat sat on the mat.\tA cat was sitting on the mat.\n0\t3\t4\tShort.\tA much longer second sentence with many more tokens in it .\n')
    const rows = JSON.parse(tbw('predict', '--model', out, '--file', tsv, '--json'))
    expect(rows.map((r: { line: number }) => r.line)).toEqual([2, 3])
    rows[0].logits.forEach((x: number, i: number) => expect(x).toBeCloseTo(json.logits[0][i], 4))
    const single = JSON.parse(tbw('predict', '--model', out, '--a', 'Short.', '--b', 'A much longer second sentence with many more tokens in it .', '--json'))
    rows[1].logits.forEach((x: number, i: number) => expect(x).toBeCloseTo(single.logits[0][i], 4))
  })

  it('finetune --json records a run with checkpoints; eval scores its best checkpoint and the untrained baseline', () => {
    const model = path.join(dataDir, 'tinybert-random')
    const mrpc = sharedData('mrpc')
    const lines = tbw(
      'finetune', '--model', model, '--task', 'mrpc', '--data', mrpc, '--batch-size', '8', '--grad-accum', '2', '--max-steps', '4',
      '--eval-every', '2', '--save-every', '2', '--limit-train', '64', '--limit-eval', '32', '--max-length', '64', '--json',
    ).trim().split('\n')
    expect(lines).toHaveLength(1) // --json prints only the final JSON line
    const out = JSON.parse(lines[0])
    expect(Object.keys(out).sort()).toEqual(['checkpoint', 'metrics', 'run_id', 'steps', 'total_params', 'trainable_params'])
    expect(out).toMatchObject({ trainable_params: 120_434, total_params: 14_350_874, steps: 4 })
    expect(Object.keys(out.metrics).sort()).toEqual(['accuracy', 'f1', 'loss'])
    expect(fs.existsSync(path.join(out.checkpoint, 'trainable.safetensors'))).toBe(true)
    const run = JSON.parse(tbw('runs', 'list', '--json')).find((r: { id: number }) => r.id === out.run_id)
    expect(run).toMatchObject({ kind: 'finetune', status: 'completed' })

    const scored = JSON.parse(tbw('eval', '--run', String(out.run_id), '--task', 'mrpc', '--data', mrpc, '--json'))
    expect(scored).toMatchObject({ split: 'validation', examples: 408, newlyInitialized: [] })
    expect(scored.checkpoint).toMatch(/checkpoint-[24]$/)
    expect(scored.metrics.accuracy).toBeGreaterThan(0)
    const baseline = JSON.parse(tbw('eval', '--model', model, '--task', 'mrpc', '--data', mrpc, '--json'))
    expect(baseline.checkpoint).toBeNull()
    expect(Object.keys(baseline.metrics).sort()).toEqual(['accuracy', 'f1'])
    // An eval is a run; with profiling on, a window of eval batches is its Chrome trace and operator summary.
    const profiled = JSON.parse(tbw('eval', '--model', model, '--task', 'mrpc', '--data', mrpc, '--profile-wait', '0', '--profile-active', '2', '--json'))
    expect(fs.existsSync(profiled.profile.trace)).toBe(true)
    expect(profiled.profile.ops.map((o: { name: string }) => o.name)).toContain('matmul')
    expect(profiled.metrics).toEqual(baseline.metrics)
    const evalRun = JSON.parse(tbw('runs', 'list', '--json')).find((r: { id: number }) => r.id === profiled.run_id)
    expect(evalRun).toMatchObject({ kind: 'eval', status: 'completed' })
    expect(() => tbw('eval', '--model', model, '--task', 'mrpc', '--data', mrpc, '--split', 'test')).toThrow(/test split has no labels/)
    expect(() => tbw('finetune', '--model', model, '--task', 'mrpc', '--lora-r', 'many')).toThrow(/loraR: Invalid input: expected number/)
  })

  it('runs list --filter, show, compare (only differing params), export and rm', () => {
    const model = path.join(dataDir, 'tinybert-random')
    const common = ['--model', model, '--task', 'mrpc', '--data', sharedData('mrpc'), '--batch-size', '8', '--limit-train', '32', '--limit-eval', '16', '--max-length', '48', '--json']
    const a = JSON.parse(tbw('finetune', ...common, '--max-steps', '2', '--lora-r', '8').trim()).run_id
    const b = JSON.parse(tbw('finetune', ...common, '--max-steps', '3', '--lora-r', '4').trim()).run_id
    const listed = JSON.parse(tbw('runs', 'list', '--filter', 'kind = finetune and params.loraR < 8', '--json'))
    expect(listed.map((r: { id: number }) => r.id)).toEqual([b])
    expect(tbw('runs', 'list', '--filter', 'params.loraR = 3')).toMatch(/No runs match/)
    expect(() => tbw('runs', 'list', '--filter', 'params.loraR =')).toThrow(/filter: expected a value after "=" at the end/)
    const cmp = JSON.parse(tbw('runs', 'compare', String(a), String(b), '--json'))
    expect(cmp.params.map((p: { key: string }) => p.key)).toEqual(['loraR', 'maxSteps'])
    expect(cmp.hiddenSameParams).toBeGreaterThan(20)
    expect(tbw('runs', 'compare', String(a), String(b))).toMatch(/loraR +8 +4/)
    expect(JSON.parse(tbw('runs', 'show', String(b), '--json')).artifacts.some((x: { kind: string }) => x.kind === 'checkpoint')).toBe(true)
    const csv = path.join(dataDir, 'runs.csv')
    tbw('runs', 'export', String(a), String(b), '--format', 'csv', '--out', csv)
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^id,kind,name,status,created,.*params\.loraR.*metrics\.eval\/accuracy/)
    const json = JSON.parse(tbw('runs', 'export', String(b)))
    expect(json[0].metrics.find((m: { key: string }) => m.key === 'train/loss').points).toHaveLength(3)
    expect(() => tbw('runs', 'rm', String(b))).toThrow(/pass --yes/)
    expect(tbw('runs', 'rm', String(b), '--yes')).toMatch(new RegExp(`deleted run ${b}`))
    expect(fs.existsSync(path.join(dataDir, 'runs', String(b)))).toBe(false)
    expect(() => tbw('runs', 'show', String(b))).toThrow(new RegExp(`Run ${b} does not exist`))
  })

  it('sweep validate / run / resume: the seed sweep validates, real configs are refused by key, trials are runs of the sweep', () => {
    expect(tbw('sweep', 'validate', path.join(REPO_ROOT, 'resources/sweeps/seed-study.yaml'))).toMatch(/ok · random over 10 parameters .*lora_r -> loraR/s)
    expect(() => tbw('sweep', 'validate', sharedData('sweeps', 'wandb-examples_sweep-grid-hyperband.yaml'))).toThrow(/parameters\.dropout: the trainer has no option "dropout"/)
    const junk = path.join(dataDir, 'junk.yaml')
    fs.writeFileSync(junk, 'method: [\n  - {{{')
    expect(() => tbw('sweep', 'validate', junk)).toThrow(/junk\.yaml: not valid YAML\/JSON/)
    const cfg = path.join(dataDir, 'sweep.yaml')
    fs.writeFileSync(cfg, 'method: grid\nmetric: {name: eval/accuracy, goal: maximize}\nparameters:\n  lora_r: {values: [4, 8, 16]}\n')
    const common = ['--model', path.join(dataDir, 'tinybert-random'), '--task', 'mrpc', '--data', sharedData('mrpc'), '--set', 'maxSteps=2', 'batchSize=8', 'limitTrain=32', 'limitEval=16', 'maxLength=48', '--json']
    const first = JSON.parse(tbw('sweep', cfg, '--count', '2', ...common).trim().split('\n').pop()!)
    expect(first.trials.map((t: { params: { lora_r: number } }) => t.params.lora_r)).toEqual([4, 8])
    const rest = JSON.parse(tbw('sweep', 'resume', String(first.sweepId), '--json').trim().split('\n').pop()!)
    expect(rest.trials.map((t: { params: { lora_r: number }; status: string }) => [t.params.lora_r, t.status])).toEqual([[4, 'completed'], [8, 'completed'], [16, 'completed']])
    expect(rest.best.metric).toBeGreaterThan(0)
    const runs = JSON.parse(tbw('runs', 'list', '--filter', `name ~ "sweep.yaml · trial"`, '--json'))
    expect(runs.map((r: { sweepId: number }) => r.sweepId)).toEqual([first.sweepId, first.sweepId, first.sweepId])
    expect(JSON.parse(tbw('runs', 'show', String(rest.trials[2].runId), '--json')).params.loraR).toBe(16)
  })

  it('trace import --json summarizes the seed study trace as a run; trace top prints its operator and kernel tables', () => {
    const file = sharedData('traces', 'fine_tuned_profiler.pt.trace.json')
    const out = JSON.parse(tbw('trace', 'import', file, '--json').trim())
    expect(out).toMatchObject({ events: 3263, by_cat: { cpu_op: 453, kernel: 87 }, flows: { ac2g_start: 90, ac2g_finish: 92 }, device: 'Tesla T4' })
    for (const key of ['events', 'by_ph', 'by_cat', 'kernel_total_us', 'processes', 'threads', 'device']) expect(out).toHaveProperty(key)
    expect(out.kernel_total_us / 1000).toBeCloseTo(1.19, 2)
    const ops = JSON.parse(tbw('trace', 'top', String(out.run_id), '--json', '--limit', '500'))
    expect(ops.reduce((n: number, o: { calls: number }) => n + o.calls, 0)).toBe(453)
    expect(tbw('trace', 'top', String(out.run_id))).toMatch(/aten::addmm +\d+\.\d%/)
    expect(tbw('trace', 'top', file, '--kernels')).toMatch(/fmha_cutlassF_f32_aligned_64x64_rf_sm75/)
    const notTrace = path.join(dataDir, 'notes.json')
    fs.writeFileSync(notTrace, '{"traceEvents": [{"ph": "X"}, oops]}')
    expect(() => tbw('trace', 'import', notTrace)).toThrow(/notes\.json: not a trace: .*position "?30/)
  })

  it('model init refuses a vocabulary that does not fit the preset', () => {
    const small = path.join(dataDir, 'small-vocab.txt')
    fs.writeFileSync(small, '[PAD]\n[UNK]\n')
    expect(() => tbw('model', 'init', '--preset', 'tinybert-4l-312d', '--vocab', small, '--out', path.join(dataDir, 'x'))).toThrow(
      /has 2 tokens but preset tinybert-4l-312d needs vocab_size 30522/,
    )
  })

  it('refuses bad options with a clear message', () => {
    expect(() => tbw('runs', 'list', '--status', 'exploded')).toThrow(/Allowed choices are queued, running/)
  })
})
