// Every command of the workbench API: its name, its zod input schema and its
// result type. Electron IPC, the web host, the CLI and the tests all go through
// this map; an input that fails its schema never reaches a service.
import { z } from 'zod'
import { GLUE_TASK_IDS } from '../engine/data/tasks'
import type { TimelineMeta, TimelineSearch, TimelineWindow } from '../engine/traces/timeline-format'
import { FinetuneParams } from './finetune'
import { BenchParams } from './bench'
import { EvalParams } from './eval'
import { ExportParams } from './export'
import { QuantizeParams } from './quantize'
import type {
  ActiveJob,
  ArtifactInfo,
  FinetuneEstimate,
  DatasetSummary,
  MetricSeries,
  ModelInfo,
  RunComparison,
  SweepDetail,
  SweepValidation,
  RunDetail,
  RunSummary,
  SystemInfo,
  TablePreviewResult,
  TokenizedPair,
} from './types'
import { RUN_STATUSES } from './types'

// Ties a result type to an input schema; `result` exists only at the type level.
function command<Result>() {
  return <Input extends z.ZodType>(input: Input) => ({ input, result: undefined as unknown as Result })
}

const runId = z.number().int().positive()
const localPath = z.string().min(1).max(4096)
const maxLength = z.number().int().min(3).max(8192).default(128)
const text = z.string().max(100_000)
const ColumnMapping = z
  .object({ a: z.string().min(1), b: z.string().min(1).nullable().optional(), label: z.string().min(1).nullable().optional(), regression: z.boolean().optional() })
  .strict()

export const SelfTestParams = z
  .object({
    steps: z.number().int().min(1).max(10_000).default(30),
    intervalMs: z.number().int().min(0).max(60_000).default(100),
    vectorLength: z.number().int().min(1).max(1 << 24).default(1 << 16),
  })
  .strict()

export const JobSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('engine-selftest'), params: SelfTestParams.default(SelfTestParams.parse({})) }).strict(),
  z.object({ kind: z.literal('finetune'), params: FinetuneParams, name: z.string().min(1).max(200).optional() }).strict(),
  z
    .object({
      kind: z.literal('trace-import'),
      // sourceRunId: the run that recorded this trace (a fine-tune or bench profile), linked both ways.
      params: z.object({ file: z.string().min(1).max(4096), sourceRunId: z.number().int().min(1).optional() }).strict(),
      name: z.string().min(1).max(200).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('quantize'), params: QuantizeParams, name: z.string().min(1).max(200).optional() }).strict(),
  z.object({ kind: z.literal('export'), params: ExportParams, name: z.string().min(1).max(200).optional() }).strict(),
  z.object({ kind: z.literal('bench'), params: BenchParams, name: z.string().min(1).max(200).optional() }).strict(),
  z.object({ kind: z.literal('eval'), params: EvalParams, name: z.string().min(1).max(200).optional() }).strict(),
  z.object({ kind: z.literal('size-report'), params: z.object({ model: z.string().min(1).max(4096) }).strict(), name: z.string().min(1).max(200).optional() }).strict(),
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
        filter: z.string().max(2000).optional(), // e.g. "metrics.eval/accuracy > 0.8 and params.loraR = 16"
        search: z.string().max(200).optional(), // free text over names and notes
        archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
        columns: z.array(z.string().regex(/^(params|metrics)\.\S+$/)).max(20).optional(),
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
  'runs.update': command<RunDetail>()(
    z.object({ id: runId, notes: z.string().max(100_000).optional(), tags: z.array(z.string().min(1).max(64).regex(/^\S+$/)).max(50).optional() }).strict(),
  ),
  'runs.compare': command<RunComparison>()(z.object({ ids: z.array(runId).min(2).max(50), all: z.boolean().default(false) }).strict()),
  'runs.delete': command<{ deleted: number[] }>()(z.object({ ids: z.array(runId).min(1).max(10_000), artifacts: z.boolean().default(true) }).strict()),
  'runs.archive': command<{ archived: number[] }>()(z.object({ ids: z.array(runId).min(1).max(10_000), archived: z.boolean().default(true) }).strict()),
  'runs.artifacts': command<ArtifactInfo[]>()(z.object({ runId }).strict()),
  'traces.timeline': command<TimelineMeta>()(z.object({ runId }).strict()),
  'traces.window': command<TimelineWindow>()(
    z.object({ runId, t0: z.number().finite(), t1: z.number().finite(), pixels: z.number().int().min(1).max(20_000) }).strict().refine((w) => w.t1 > w.t0, 't1 must be after t0'),
  ),
  'traces.args': command<Record<string, unknown>>()(z.object({ runId, id: z.number().int().min(0) }).strict()),
  'traces.search': command<TimelineSearch>()(z.object({ runId, query: z.string().min(1).max(500), limit: z.number().int().min(1).max(100_000).default(10_000) }).strict()),
  'sweeps.validate': command<SweepValidation>()(z.object({ text: z.string().max(200_000) }).strict()),
  'sweeps.start': command<{ sweepId: number }>()(
    z
      .object({
        text: z.string().max(200_000),
        name: z.string().min(1).max(200).default('sweep'),
        settings: z.record(z.string(), z.unknown()), // model, task, data and fixed trainer options
        count: z.number().int().min(1).max(10_000).optional(),
        parallel: z.number().int().min(1).max(64).default(1),
      })
      .strict(),
  ),
  'sweeps.resume': command<{ sweepId: number }>()(z.object({ id: runId, count: z.number().int().min(1).max(10_000).optional(), parallel: z.number().int().min(1).max(64).default(1) }).strict()),
  'sweeps.list': command<{ id: number; name: string; method: string; status: string; trials: number; createdAt: string }[]>()(z.object({}).strict()),
  'sweeps.get': command<SweepDetail>()(
    z
      .object({
        id: runId,
        objectives: z.array(z.object({ name: z.string().min(1), goal: z.enum(['minimize', 'maximize']) }).strict()).max(5).optional(), // extra, for the Pareto front
      })
      .strict(),
  ),
  'finetune.estimate': command<FinetuneEstimate>()(z.object({ params: FinetuneParams, meanTokens: z.number().positive().max(8192).default(64) }).strict()),
  'models.inspect': command<ModelInfo>()(z.object({ path: localPath }).strict()),
  'models.tokenize': command<TokenizedPair>()(z.object({ path: localPath, a: text, b: text.nullable().default(null), maxLength }).strict()),
  'hub.pull': command<{ pullId: number }>()(z.object({ kind: z.enum(['model', 'dataset']), id: z.string().min(1).max(200) }).strict()),
  'datasets.open': command<DatasetSummary>()(
    z.object({ path: localPath, task: z.enum(GLUE_TASK_IDS as [string, ...string[]]).optional(), tokenizerModel: localPath.optional(), maxLength }).strict(),
  ),
  'datasets.previewFile': command<TablePreviewResult>()(z.object({ path: localPath, header: z.boolean().optional() }).strict()),
  'datasets.loadFile': command<DatasetSummary>()(
    z.object({ path: localPath, mapping: ColumnMapping, header: z.boolean().optional(), tokenizerModel: localPath.optional(), maxLength }).strict(),
  ),
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
