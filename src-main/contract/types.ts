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
  cuda: { compiled: boolean; devices: string[]; reason: string }
  compiler: string
  napiVersion: number
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
}

export interface RunDetail extends RunSummary {
  config: Record<string, unknown>
  params: Record<string, unknown>
  metricKeys: string[]
  notes: string
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
