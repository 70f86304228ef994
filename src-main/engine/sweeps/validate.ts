// `tbw sweep validate`: everything the sweep will do, checked before any trial
// runs: the config itself, and trials drawn from it (every grid combination,
// or 50 random draws) against the trainer's options.
import { parseSweepConfig, type SweepConfig } from './config'
import { hyperbandBands } from './hyperband'
import { gridSize, gridTrial, randomTrial, trainerOptions } from './sample'

export interface SweepPlan {
  config: SweepConfig
  trials: number | null // grid: its size (capped by run_cap); else run_cap, or null for "until stopped"
  bands: number[] | null
}

const PLACEHOLDER = { model: '(model)', task: 'mrpc' }

export function validateSweep(text: string, file?: string): SweepPlan {
  const config = parseSweepConfig(text, file)
  if (config.method === 'grid') {
    const n = gridSize(config)
    for (let i = 0; i < Math.min(n, 10_000); i++) trainerOptions(config, gridTrial(config, i), PLACEHOLDER)
  } else for (let i = 0; i < 50; i++) trainerOptions(config, randomTrial(config, i + 1), PLACEHOLDER)
  const trials = config.method === 'grid' ? Math.min(gridSize(config), config.runCap ?? Infinity) : config.runCap
  return { config, trials, bands: config.earlyTerminate ? hyperbandBands(config.earlyTerminate, 8) : null }
}
