// `tbw doctor`: what this machine gives the workbench.
import type { CudaCapabilities, SystemInfo } from '../../contract/types'
import { formatBytes } from './format'

const yes = (b: boolean) => (b ? 'yes' : 'no')

const cudaVersion = (v: number) => (v ? `${Math.floor(v / 1000)}.${(v % 1000) / 10}` : 'none')

function cudaLines(c: CudaCapabilities): string[] {
  if (!c.compiled) return [`  CUDA:            ${c.reason}`]
  const lines = [`  CUDA:            backend ${c.library} (runtime ${cudaVersion(c.runtimeVersion)}, driver ${cudaVersion(c.driverVersion)})`]
  if (c.devices.length === 0) lines.push(`  GPUs:            none: ${c.reason}`)
  for (const d of c.devices)
    lines.push(`  GPU ${d.id}:       ${d.name}, ${formatBytes(d.totalBytes)}${d.freeBytes === undefined ? '' : ` (${formatBytes(d.freeBytes)} free)`}, compute capability ${d.computeCapability}, ${d.multiprocessors} SMs`)
  lines.push(`  cuBLAS:          ${c.cublas ?? `not found, GEMMs use the backend's own kernel: ${c.cublasError}`}`)
  return lines
}

export function doctorText(info: SystemInfo): string {
  const lines = [
    `${info.app.name} ${info.app.version}`,
    `  host:            ${info.host}`,
    `  data directory:  ${info.dataDir}`,
    `  platform:        ${info.platform.os} ${info.platform.arch} (${info.platform.release})`,
    `  CPU:             ${info.platform.cpuModel}, ${info.platform.cores} cores, ${formatBytes(info.platform.memoryBytes)} RAM`,
    `  versions:        node ${info.versions.node}, electron ${info.versions.electron ?? '(not running under Electron)'}, sqlite ${info.versions.sqlite}`,
  ]
  const k = info.kernels
  if ('error' in k) {
    lines.push(`  native kernels:  NOT LOADED: ${k.error}`)
  } else {
    lines.push(
      `  CPU features:    avx2 ${yes(k.cpu.avx2)}, fma ${yes(k.cpu.fma)}, avx512f ${yes(k.cpu.avx512f)}, avx512_vnni ${yes(k.cpu.avx512_vnni)}, avx512_bf16 ${yes(k.cpu.avx512_bf16)}`,
      `  kernel variant:  ${k.variant} (${k.variantReason}); available: ${k.variants.join(', ')}`,
      `  threads:         ${k.threads} (set TBW_THREADS to change)`,
      `  compiler:        ${k.compiler}, N-API ${k.napiVersion}`,
      ...cudaLines(k.cuda),
    )
  }
  return lines.join('\n')
}
