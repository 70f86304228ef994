// Data shapes that cross the API boundary (results and event payloads).
// The renderer imports these as types only.

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

export interface CpuFeatureFlags {
  avx2: boolean
  fma: boolean
  avx512f: boolean
  avx512_vnni: boolean
  avx512_bf16: boolean
}

export interface KernelCapabilities {
  cpu: CpuFeatureFlags
  variant: string
  variantReason: string
  variants: string[]
  threads: number
  cuda: CudaCapabilities
  compiler: string
  napiVersion: number
}

export interface GpuDevice {
  index: number
  id: string // "cuda:N", what --device takes
  name: string
  totalBytes: number
  freeBytes?: number // only where asked (tbw doctor, a job's own GPU): reading it creates a CUDA context on that GPU
  computeCapability: string // "9.0"
  multiprocessors: number
}

// The CUDA backend as the native addon found it: compiled (libtbw_cuda.so loaded), the GPUs the
// driver reports, and cuBLAS (else the backend's own GEMM runs). reason says why no GPU is usable.
export interface CudaCapabilities {
  compiled: boolean
  library: string
  reason: string
  runtimeVersion: number
  driverVersion: number
  devices: GpuDevice[]
  cublas: string | null
  cublasError: string
}

export interface SystemInfo {
  app: { name: string; version: string }
  versions: { node: string; v8: string; electron: string | null; sqlite: string; modules: string }
  platform: { os: string; arch: string; release: string; cpuModel: string; cores: number; memoryBytes: number }
  kernels: KernelCapabilities | { error: string }
  dataDir: string
  host: 'electron' | 'web' | 'cli'
}

export interface RunSummary {
  id: number
  kind: string
  name: string
  status: RunStatus
  progress: number | null
  progressMessage: string | null
  etaSeconds: number | null
  error: string | null
  createdAt: string
  startedAt: string | null
  endedAt: string | null
  summary: Record<string, unknown>
  sweepId: number | null
  values?: Record<string, unknown> // the columns asked for (params.X, metrics.X)
}

export interface RunDetail extends RunSummary {
  config: Record<string, unknown>
  params: Record<string, unknown>
  metricKeys: string[]
  notes: string
  tags: string[]
  archived: boolean
}

export interface MetricPoint {
  step: number
  value: number | null // null: the job reported a non-finite value (NaN/inf)
  wallTime: number
}

export interface MetricSeries {
  key: string
  points: MetricPoint[]
}

export interface ActiveJob {
  runId: number
  kind: string
  pid: number | null
  startedAt: string
}

// ---- Models and datasets ----

export interface ModelInfo {
  dir: string
  config: Record<string, unknown>
  architecture: string
  layers: number
  hidden: number
  heads: number
  headSize: number
  intermediate: number
  vocabSize: number
  maxPositions: number
  labels: string[]
  weightsFile: string
  weightsBytes: number
  dtypes: Record<string, number> // dtype -> parameters stored in it
  parametersInFile: number
  parametersForClassification: number // BertForSequenceClassification with this config
  tensors: number
  randomWeights: string | null // the workbench's note on seeded random weights, if any
  tokenizerFiles: string[]
  files: { name: string; bytes: number }[]
}

export interface TokenizedPair {
  tokens: string[]
  ids: number[]
  tokenTypeIds: number[]
  length: number // before truncation
  truncated: boolean
}

export interface SplitSummary {
  name: string
  file: string
  examples: number
  problems: number
  firstProblems: { line: number; reason: string }[]
  where: 'line' | 'row'
  labelCounts: { label: string; count: number }[]
  lengthUnit: 'tokens' | 'words'
  lengthHistogram: { from: number; to: number; count: number }[]
  lengthStats: { mean: number; p50: number; p95: number; max: number; overMaxLength: number | null }
  preview: { a: string; b: string | null; label: number | null; line: number }[]
}

export interface DatasetSummary {
  dir: string
  task: string | null
  taskName: string | null
  labelNames: string[]
  regression: boolean
  splits: SplitSummary[]
}

export interface ColumnMappingInput {
  a: string
  b?: string | null
  label?: string | null
  regression?: boolean
}

export interface TablePreviewResult {
  file: string
  format: 'tsv' | 'csv' | 'jsonl' | 'json' | 'parquet'
  columns: string[]
  rowCount: number
  problemCount: number
  firstProblems: { line: number; reason: string }[]
  rows: Record<string, string | number | boolean | null>[]
  suggested: ColumnMappingInput
}

export interface HubProgress {
  pullId: number
  id: string
  status: 'running' | 'done' | 'failed'
  file: string | null
  bytes: number
  total: number | null
  dir: string | null // the folder to open, when done
  error: string | null
}

// ---- Fine-tuning ----

export interface FinetuneEstimate {
  trainableParams: number
  totalParams: number
  totalSteps: number
  memoryBytes: number // rough
  secondsPerStep: number // rough
  etaSeconds: number // rough
  meanTokens: number // the sequence length the estimate assumed
}

export interface ArtifactInfo {
  id: number
  runId: number
  kind: string
  path: string
  bytes: number
  sha256: string
  createdAt: string
}

export interface RunComparison {
  runs: { id: number; name: string; kind: string; status: RunStatus }[]
  params: { key: string; values: unknown[]; differs: boolean }[] // only the differing ones unless all were asked for
  hiddenSameParams: number // parameters left out because every run has the same value
  metrics: { key: string; lowerIsBetter: boolean; last: (number | null)[]; best: (number | null)[] }[]
}

// ---- Sweeps ----

export interface SweepValidation {
  ok: boolean
  error: string | null // names the offending key
  method: string | null
  parameters: { name: string; option: string; distribution: string }[]
  trials: number | null
  metric: { name: string; goal: 'minimize' | 'maximize' } | null
  bands: number[] | null
}

export interface SweepDetail {
  id: number
  name: string
  method: string
  status: string
  createdAt: string
  text: string
  settings: Record<string, unknown>
  metric: { name: string; goal: 'minimize' | 'maximize' } | null
  parameters: string[]
  options: Record<string, string> // config parameter -> trainer option
  trials: { runId: number; params: Record<string, unknown>; status: string; metric: number | null }[]
  best: { runId: number; metric: number; params: Record<string, unknown> } | null
  importance: { name: string; score: number }[]
  pareto: number[] | null // run ids on the Pareto front of the metric and the extra objectives asked for
}
