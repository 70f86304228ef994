// Sweep configs (the seed study's and the real ones in ../shared/data/sweeps),
// every distribution, grid order, and Hyperband's brackets and stops as W&B's
// controller computes them.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, sharedData } from '../../../test-support/services'
import { seededRandom } from '../random'
import { parseSweepConfig, SweepConfigError, type ParamSpec } from './config'
import { hyperbandBands, hyperbandStops } from './hyperband'
import { gridSize, gridTrial, randomTrial, sampleParam, trainerOptions } from './sample'
import { defaultParallelTrials, paretoFront } from './pareto'
import { tpeTrial, type Observation } from './tpe'
import { validateSweep } from './validate'

const SEED_SWEEP = fs.readFileSync(path.join(REPO_ROOT, 'resources/sweeps/seed-study.yaml'), 'utf8')

describe('sweep configs', () => {
  it("runs the seed study's sweep: every parameter is a trainer option, LoRA ones included", () => {
    const plan = validateSweep(SEED_SWEEP)
    expect(plan.config.method).toBe('random')
    expect(plan.trials).toBe(20)
    expect(Object.fromEntries(Object.entries(plan.config.parameters).map(([k, p]) => [k, p.option]))).toEqual({
      optimizer: 'optimizer', learning_rate: 'lr', lr_scheduler_type: 'scheduler', weight_decay: 'weightDecay', warmup_ratio: 'warmupRatio',
      per_device_train_batch_size: 'batchSize', gradient_accumulation_steps: 'gradAccum', lora_r: 'loraR', lora_alpha: 'loraAlpha', lora_dropout: 'loraDropout',
    })
    const lrs = Array.from({ length: 400 }, (_, i) => trainerOptions(plan.config, randomTrial(plan.config, i + 1), { model: 'm', task: 'mrpc' }).lr).sort((a, b) => a - b)
    expect(lrs[0]).toBeGreaterThanOrEqual(1e-5)
    expect(lrs.at(-1)!).toBeLessThanOrEqual(1e-3)
    expect(lrs[200]).toBeGreaterThan(0.5e-4) // log-uniform: the median is near the geometric mean 1e-4
    expect(lrs[200]).toBeLessThan(2e-4)
    expect(randomTrial(plan.config, 7)).toEqual(randomTrial(plan.config, 7)) // seeded
  })

  it('refuses each real sweep config by the key the trainer cannot take, and never crashes on any YAML', () => {
    const expected: Record<string, RegExp> = {
      'ai4code_sweep.yaml': /^parameters\.decay: the trainer has no option "decay"/,
      'dalio-finetuner_sweep.yaml': /^parameters\.model_name_or_path:/,
      'docs-fine-tuning_sweep_config.yaml': /^parameters\.dropout_ratio:/,
      'emotion-classifier_sweep.yaml': /^parameters\.model_name:/,
      'metaptbert_wandb_sweep.yaml': /^parameters\.output_dir:/,
      'misconception-agent_sweep.yaml': /^parameters\.Dspy\.telepropmter\.type:/,
      'nlp-research-template_sweep_config.yaml': /^parameters\.wandb_run_name:/,
      // Its parameters all map (learning_rate, weight_decay, n_epochs, batch_size); its metric is not one the trainer logs.
      'thesis-peft_sweep_config.yaml': /^metric\.name: the trainer logs .*"target_validation\/f1" never appears/,
      'transformers-playground_sweep_config.yaml': /^parameters\.embed_size:/,
      'upstageailab-nlp-summarization_sweep.yaml': /^parameters\.model\.pretrained_model_name_or_path:/,
      'wandb-examples_minimal-hydra_wandb_sweep.yaml': /^parameters\.experiment:/,
      'wandb-examples_sweep-grid-hyperband.yaml': /^parameters\.dropout: the trainer has no option "dropout"/,
    }
    const dir = sharedData('sweeps')
    for (const [file, why] of Object.entries(expected)) expect(() => validateSweep(fs.readFileSync(path.join(dir, file), 'utf8'), file), file).toThrow(why)
    const garbage = ['', ':', '- a\n- b', 'method: grid', 'method: [', '{"method": "random", "parameters": 5}', 'a: !!python/object/apply:os.system ["id"]', '\u0000\u0001', 'method: random\nparameters:\n  lr: {min: 1, max: 0}']
    const rand = seededRandom(5)
    for (let i = 0; i < 200; i++) garbage.push(Array.from({ length: 40 }, () => ':{}[]-\n "\'#&*!|>%@`abc12'[Math.floor(rand() * 30)]).join(''))
    for (const text of garbage) {
      try {
        validateSweep(text)
        throw new Error(`accepted ${JSON.stringify(text)}`)
      } catch (err) {
        expect(err, JSON.stringify(text)).toBeInstanceOf(SweepConfigError)
      }
    }
  })

  it('names the offending key: unknown keys, wrong types, values that do not fit the trainer', () => {
    const bad = (yaml: string) => () => parseSweepConfig(yaml)
    expect(bad('method: random\nparameters: {lr: {values: [1]}}\nprogam: x')).toThrow(/^progam: not a W&B sweep key/)
    expect(bad('method: annealing\nparameters: {}')).toThrow(/^method: "annealing" is not grid, random or bayes/)
    expect(bad('method: random\nparameters: {lr: {distribution: gamma, min: 1, max: 2}}')).toThrow(/^parameters\.lr\.distribution: "gamma"/)
    expect(bad('method: random\nparameters: {lr: {values: 3}}')).toThrow(/^parameters\.lr\.values: expected a non-empty list, got 3/)
    expect(bad('method: random\nparameters: {lr: {values: [1, 2], probabilities: [0.5, 0.6]}}')).toThrow(/probabilities: they sum to 1\.1/)
    expect(bad('method: grid\nparameters: {lr: {distribution: uniform, min: 0, max: 1}}')).toThrow(/^parameters\.lr: grid search needs values/)
    expect(bad('method: bayes\nparameters: {lr: {values: [1]}}')).toThrow(/^metric: bayes search needs a metric/)
    expect(bad('method: random\nmetric: {name: eval/loss}\nparameters: {lr: {values: [1]}}\nearly_terminate: {type: hyperband, max_iter: 9}')).toThrow(/early_terminate\.s: max_iter needs s/)
    expect(bad('method: random\nmetric: {name: val_acc}\nparameters: {lr: {values: [1]}}')).toThrow(/^metric\.name: the trainer logs eval\/accuracy.*"val_acc" never appears/)
    expect(bad('method: random\nparameters: {learning_rate: {values: [1]}, lr: {values: [2]}}')).toThrow(/^parameters\.lr: sets trainer option "lr", which another parameter already sets/)
    expect(() => validateSweep('method: random\nparameters: {lora_r: {values: [16, 4.5]}}')).toThrow(/^parameters\.lora_r: the value 4\.5 does not fit the trainer's loraR/)
    expect(() => validateSweep('method: random\nparameters: {optimizer: {values: [adam]}}')).toThrow(/^parameters\.optimizer: the value "adam" does not fit/)
    // Numbers YAML leaves as strings (as `wandb sweep` passes them on a command line) become numbers.
    const c = parseSweepConfig('method: random\nparameters: {learning_rate: {values: ["3e-5"]}}')
    expect(trainerOptions(c, randomTrial(c, 1), { model: 'm', task: 'mrpc' }).lr).toBe(3e-5)
  })
})

describe('distributions and grid', () => {
  const draw = (p: Partial<ParamSpec>, n = 4000) => {
    const rand = seededRandom(11)
    return Array.from({ length: n }, () => sampleParam({ option: 'x', distribution: 'uniform', ...p } as ParamSpec, rand) as number)
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  it('draws each distribution within its range and law', () => {
    expect(new Set(draw({ distribution: 'int_uniform', min: 2, max: 4 }))).toEqual(new Set([2, 3, 4]))
    expect(draw({ distribution: 'q_uniform', min: 0, max: 1, q: 0.25 }).every((x) => Number.isInteger(x / 0.25))).toBe(true)
    const lv = draw({ distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 })
    expect(Math.min(...lv)).toBeGreaterThanOrEqual(1e-4)
    expect(Math.max(...lv)).toBeLessThanOrEqual(1e-2)
    expect(lv.filter((x) => x < 1e-3).length / lv.length).toBeCloseTo(0.5, 1) // half the draws below the geometric middle
    const lu = draw({ distribution: 'log_uniform', min: Math.log(1e-4), max: Math.log(1e-2) })
    expect(lu.filter((x) => x < 1e-3).length / lu.length).toBeCloseTo(0.5, 1)
    const inv = draw({ distribution: 'inv_log_uniform_values', min: 1e-4, max: 1e-2 })
    expect(Math.min(...inv)).toBeGreaterThanOrEqual(1e-4 * (1 - 1e-9))
    expect(Math.max(...inv)).toBeLessThanOrEqual(1e-2 * (1 + 1e-9))
    expect(mean(draw({ distribution: 'normal', mu: 3, sigma: 0.5 }))).toBeCloseTo(3, 1)
    expect(draw({ distribution: 'q_normal', mu: 10, sigma: 3, q: 2 }).every((x) => Number.isInteger(x / 2))).toBe(true)
    expect(draw({ distribution: 'log_normal', mu: 0, sigma: 1 }).every((x) => x > 0)).toBe(true)
    const cats = draw({ distribution: 'categorical', values: [1, 2], probabilities: [0.8, 0.2] })
    expect(cats.filter((x) => x === 1).length / cats.length).toBeCloseTo(0.8, 1)
  })

  it('enumerates a grid with the last parameter varying fastest', () => {
    const c = parseSweepConfig('method: grid\nparameters: {lora_r: {values: [8, 16]}, seed: {min: 1, max: 3}, optimizer: {value: sgd}}')
    expect(gridSize(c)).toBe(6)
    expect(Array.from({ length: 6 }, (_, i) => gridTrial(c, i))).toEqual([
      { lora_r: 8, seed: 1, optimizer: 'sgd' }, { lora_r: 8, seed: 2, optimizer: 'sgd' }, { lora_r: 8, seed: 3, optimizer: 'sgd' },
      { lora_r: 16, seed: 1, optimizer: 'sgd' }, { lora_r: 16, seed: 2, optimizer: 'sgd' }, { lora_r: 16, seed: 3, optimizer: 'sgd' },
    ])
  })
})

describe('Hyperband (W&B semantics)', () => {
  it('computes the brackets from max_iter and s, or from min_iter', () => {
    expect(hyperbandBands({ type: 'hyperband', maxIter: 27, s: 2, eta: 3 })).toEqual([3, 9]) // wandb/examples sweep-grid-hyperband.yaml
    expect(hyperbandBands({ type: 'hyperband', maxIter: 5, s: 2, eta: 2 })).toEqual([1, 2])
    expect(hyperbandBands({ type: 'hyperband', maxIter: 10, s: 5, eta: 3 })).toEqual([1, 3]) // 10/3 = 3.3, 1.1, then below 1
    expect(hyperbandBands({ type: 'hyperband', minIter: 3, eta: 3 }, 4)).toEqual([3, 9, 27, 81])
    expect(hyperbandBands({ type: 'hyperband', minIter: 100, eta: 3 }, 3)).toEqual([100, 300, 900]) // transformers-playground
  })

  it('stops the trials W&B would stop: below the best 1/eta at the last band each has reached', () => {
    // The example of W&B's hyperband_stop_runs: max_iter 5, eta 2, s 2 -> bands [1, 2].
    const loss = [
      { id: 1, running: false, history: [10, 9] },
      { id: 2, running: true, history: [10, 10] }, // stopped at band 1 (threshold 8)
      { id: 3, running: true, history: [10, 8, 8] }, // passes band 1, stopped at band 2 (threshold 7)
      { id: 4, running: true, history: [10, 7, 7] },
      { id: 5, running: false, history: [10, 6, 6] },
    ]
    expect(hyperbandStops([1, 2], 2, loss)).toEqual([2, 3])
    expect(hyperbandStops([1, 2], 2, [{ id: 9, running: true, history: [5] }])).toEqual([]) // no band reached yet
  })
})

describe('Bayesian search (TPE)', () => {
  // A known objective: best at lr = 10^-3.5, warmup 0.3, optimizer adamw; noise-free.
  const config = parseSweepConfig(`method: bayes
metric: {name: eval/loss, goal: minimize}
parameters:
  learning_rate: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-1}
  warmup_ratio: {distribution: uniform, min: 0, max: 1}
  optimizer: {values: [adamw, adafactor, sgd]}
  lora_r: {distribution: int_uniform, min: 1, max: 64}`)
  const objective = (t: Record<string, unknown>) =>
    (Math.log10(t.learning_rate as number) + 3.5) ** 2 + 4 * ((t.warmup_ratio as number) - 0.3) ** 2 + (t.optimizer === 'adamw' ? 0 : 0.5) + (((t.lora_r as number) - 16) / 32) ** 2
  const best = (propose: (seen: Observation[], i: number) => Record<string, unknown>, budget: number) => {
    const seen: Observation[] = []
    for (let i = 0; i < budget; i++) {
      const trial = propose(seen, i)
      seen.push({ trial, loss: objective(trial) })
    }
    return Math.min(...seen.map((o) => o.loss))
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

  it('beats random search at the same budget (median over 41 seeds)', () => {
    const tpe: number[] = []
    const random: number[] = []
    for (let seed = 1; seed <= 41; seed++) {
      tpe.push(best((seen, i) => tpeTrial(config, seen, seed * 1000 + i), 40))
      random.push(best((_, i) => randomTrial(config, seed * 1000 + i), 40))
    }
    console.log(`best loss after 40 trials, median of 41 seeds: TPE ${median(tpe).toFixed(4)}, random ${median(random).toFixed(4)}`)
    expect(median(tpe)).toBeLessThan(median(random) * 0.6)
    for (const t of [tpeTrial(config, [], 3), tpeTrial(config, Array.from({ length: 12 }, (_, i) => ({ trial: randomTrial(config, i + 1), loss: i })), 3)]) {
      expect(t.learning_rate as number).toBeGreaterThanOrEqual(1e-6)
      expect(t.learning_rate as number).toBeLessThanOrEqual(1e-1)
      expect(Number.isInteger(t.lora_r)).toBe(true)
      expect(['adamw', 'adafactor', 'sgd']).toContain(t.optimizer)
    }
  })
})

describe('multi-objective sweeps', () => {
  it('keeps the non-dominated trials: more accurate or faster, never both worse', () => {
    const t = (id: number, acc: number, latency: number | null) => ({ id, values: { 'eval/accuracy': acc, 'eval/latency_ms': latency } })
    const trials = [t(1, 0.8, 10), t(2, 0.85, 12), t(3, 0.78, 11), t(4, 0.85, 9), t(5, 0.9, 20), t(6, 0.95, null)]
    const front = paretoFront(trials, [{ name: 'eval/accuracy', goal: 'maximize' }, { name: 'eval/latency_ms', goal: 'minimize' }])
    expect(front.map((x) => x.id)).toEqual([4, 5]) // 1, 2, 3 are dominated by 4; 6 lacks a latency
    expect(defaultParallelTrials(2, 20 * 2 ** 30)).toBe(1)
    expect(defaultParallelTrials(16, 20 * 2 ** 30)).toBe(8)
    expect(defaultParallelTrials(16, 5 * 2 ** 30)).toBe(2)
  })
})
