// The built `tbw` CLI over the same services, on its own data directory.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, tempDataDir } from '../test-support/services'

const dataDir = tempDataDir('cli')
const tbw = (...args: string[]) =>
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'tbw.js'), ...args], {
    env: { ...process.env, TBW_HOME: dataDir },
    encoding: 'utf8',
  })

describe('tbw CLI', () => {
  it('doctor --json reports CPU features, kernel variant, threads, CUDA, versions and the data directory', () => {
    const info = JSON.parse(tbw('doctor', '--json'))
    expect(info.dataDir).toBe(dataDir)
    expect(info.host).toBe('cli')
    expect(Object.keys(info.kernels.cpu).sort()).toEqual(['avx2', 'avx512_bf16', 'avx512_vnni', 'avx512f', 'fma'])
    expect(info.kernels.variants).toContain(info.kernels.variant)
    expect(info.kernels.threads).toBeGreaterThan(0)
    expect(info.kernels.cuda).toMatchObject({ compiled: false })
    expect(info.versions.node).toBe(process.versions.node)
    expect(info.versions.sqlite).toMatch(/^3\./)
  })

  it('doctor prints a readable report', () => {
    const text = tbw('doctor')
    expect(text).toMatch(/kernel variant: +\w+/)
    expect(text).toContain(dataDir)
  })

  it('selftest records a run that runs list shows', () => {
    expect(tbw('runs', 'list')).toMatch(/No runs yet/)
    expect(tbw('selftest', '--steps', '3')).toMatch(/run 1: completed/)
    const runs = JSON.parse(tbw('runs', 'list', '--json'))
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ id: 1, kind: 'engine-selftest', status: 'completed', progress: 1 })
    expect(tbw('runs', 'list')).toMatch(/1 +engine-selftest +completed +100%/)
  })

  it('refuses bad options with a clear message', () => {
    expect(() => tbw('runs', 'list', '--status', 'exploded')).toThrow(/Allowed choices are queued, running/)
  })
})
