// `tbw doctor`: what this machine gives the workbench.
import type { SystemInfo } from '../../contract/types'
import { formatBytes } from './format'

const yes = (b: boolean) => (b ? 'yes' : 'no')

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
      `  CUDA:            ${k.cuda.compiled ? `compiled, devices: ${k.cuda.devices.join(', ') || 'none'}` : k.cuda.reason}`,
      `  compiler:        ${k.compiler}, N-API ${k.napiVersion}`,
    )
  }
  return lines.join('\n')
}
