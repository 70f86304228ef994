// Loads the native-kernels addon once and exposes its typed surface.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { KernelCapabilities } from '../contract/types'
import { packageRoot } from './package-root'

export type KernelVariant = 'ref' | 'scalar' | 'avx2' | 'avx512'

export interface NativeKernels {
  capabilities(): KernelCapabilities
  dot(a: Float32Array, b: Float32Array, variant?: KernelVariant): number
}

let loaded: NativeKernels | null = null

export function addonPath(): string {
  return process.env.TBW_NATIVE_ADDON ?? path.join(packageRoot(), 'native-kernels', 'build', 'Release', 'tbw_kernels.node')
}

export function loadKernels(): NativeKernels {
  if (loaded) return loaded
  const file = addonPath()
  if (!fs.existsSync(file)) {
    throw new Error(`The native kernels are not built (${file} is missing). Run \`npm rebuild\` or \`npm install\`.`)
  }
  const req = createRequire(path.join(packageRoot(), 'package.json'))
  loaded = req(file) as NativeKernels
  return loaded
}

// capabilities() that never throws: a missing addon is reported, not fatal.
export function kernelCapabilities(): KernelCapabilities | { error: string } {
  try {
    return loadKernels().capabilities()
  } catch (err) {
    return { error: (err as Error).message }
  }
}
