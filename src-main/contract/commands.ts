// Every command of the workbench API: its name, its zod input schema and its
// result type. Electron IPC, the web host, the CLI and the tests all go through
// this map; an input that fails its schema never reaches a service.
import { z } from 'zod'
import type { ActiveJob, MetricSeries, RunDetail, RunSummary, SystemInfo } from './types'
import { RUN_STATUSES } from './types'

// Ties a result type to an input schema; `result` exists only at the type level.
function command<Result>() {
  return <Input extends z.ZodType>(input: Input) => ({ input, result: undefined as unknown as Result })
}

const runId = z.number().int().positive()

export const SelfTestParams = z
  .object({
    steps: z.number().int().min(1).max(10_000).default(30),
    intervalMs: z.number().int().min(0).max(60_000).default(100),
    vectorLength: z.number().int().min(1).max(1 << 24).default(1 << 16),
  })
  .strict()

export const JobSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('engine-selftest'), params: SelfTestParams.default(SelfTestParams.parse({})) }).strict(),
])
export type JobSpec = z.output<typeof JobSpec>
export type JobKind = JobSpec['kind']

export const commands = {
  'system.info': command<SystemInfo>()(z.object({}).strict()),
  'runs.list': command<RunSummary[]>()(
    z
      .object({
        limit: z.number().int().min(1).max(10_000).default(500),
        status: z.enum(RUN_STATUSES).optional(),
        kind: z.string().min(1).max(64).optional(),
      })
      .strict(),
  ),
  'runs.get': command<RunDetail>()(z.object({ id: runId }).strict()),
  'runs.metrics': command<MetricSeries[]>()(
    z
      .object({
        runId,
        keys: z.array(z.string().min(1).max(200)).max(100).optional(),
        maxPoints: z.number().int().min(2).max(100_000).default(2_000),
      })
      .strict(),
  ),
  'jobs.start': command<{ runId: number }>()(JobSpec),
  'jobs.cancel': command<{ cancelled: boolean }>()(z.object({ runId }).strict()),
  'jobs.active': command<ActiveJob[]>()(z.object({}).strict()),
} as const

export type Commands = typeof commands
export type CommandName = keyof Commands
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>
export type ParsedInput<N extends CommandName> = z.output<Commands[N]['input']>
export type CommandResult<N extends CommandName> = Commands[N]['result']

export const COMMAND_NAMES = Object.keys(commands) as CommandName[]

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name)
}
