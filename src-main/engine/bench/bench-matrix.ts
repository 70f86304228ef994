// The inference bench matrix: every variant in its own child process (a fork of this script
// with CHILD_FLAG), one after another on the same threads, so peak RSS is per variant and no two
// variants compete for the cores.
import { fork } from 'node:child_process'
import { benchVariant, type BenchProfile, type BenchRequest, type BenchRow } from './bench-variant'
import type { BenchVariant } from './variants'

export const CHILD_FLAG = '--tbw-bench-variant'

type ChildMessage =
  | { type: 'cell'; done: number; total: number }
  | { type: 'profile'; profile: BenchProfile }
  | { type: 'rows'; rows: BenchRow[] }
  | { type: 'error'; message: string }

export function isBenchChild(): boolean {
  return process.argv.includes(CHILD_FLAG)
}

// The child side: one request in, progress and rows out, then exit.
export function runBenchChild(): void {
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()))
  process.once('message', (req: BenchRequest) => {
    benchVariant(
      req,
      (done, total) => void send({ type: 'cell', done, total }),
      (profile) => void send({ type: 'profile', profile }),
    )
      .then((rows) => send({ type: 'rows', rows }))
      .catch((err: Error) => send({ type: 'error', message: err.message }))
      .finally(() => process.exit(0))
  })
}

export async function benchMatrix(
  base: Omit<BenchRequest, 'variant'>,
  variants: BenchVariant[],
  onProgress: (fraction: number, message: string) => void = () => {},
  script: string = process.argv[1],
  onProfile: (p: BenchProfile) => void = () => {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const [i, variant] of variants.entries()) {
    onProgress(i / variants.length, `${variant}: starting`)
    const got = await new Promise<BenchRow[]>((resolve, reject) => {
      // ELECTRON_RUN_AS_NODE: under Electron the fork runs the binary as plain Node.
      const child = fork(script, [CHILD_FLAG], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } })
      let result: BenchRow[] | null = null
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'cell') {
          try {
            onProgress((i + m.done / m.total) / variants.length, `${variant}: ${m.done}/${m.total} cells`)
          } catch (err) {
            child.kill() // onProgress throws to cancel: the variant's process goes too
            reject(err)
          }
        } else if (m.type === 'profile') onProfile(m.profile)
        else if (m.type === 'rows') result = m.rows
        else reject(new Error(`${variant}: ${m.message}`))
      })
      child.on('exit', (code, signal) => (result ? resolve(result) : reject(new Error(`${variant}: the bench process ended (${signal ?? `exit ${code}`}) without results`))))
      child.send({ ...base, variant } satisfies BenchRequest)
    })
    rows.push(...got)
  }
  onProgress(1, 'done')
  return rows
}
