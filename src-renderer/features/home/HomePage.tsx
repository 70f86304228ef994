// Home: what the workbench does, and the engine self-test to check this machine.
import { useState } from 'react'
import { api } from '../../lib/api'
import { useAppStore } from '../../app/store'
import { useRunsStore } from '../runs/store'

export function HomePage() {
  const [starting, setStarting] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const goTo = useAppStore((s) => s.goTo)
  const upsertJob = useAppStore((s) => s.upsertJob)

  const startSelfTest = async () => {
    setStarting(true)
    setError(null)
    try {
      const { runId } = await api.call('jobs.start', { kind: 'engine-selftest', params: { steps: 30, intervalMs: 100 } })
      upsertJob(runId, { label: `Engine self-test (run ${runId})` })
      await useRunsStore.getState().refresh()
      await useRunsStore.getState().select(runId)
      goTo('runs')
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setStarting(false)
    }
  }

  return (
    <section className="page home">
      <h1>TinyBERT Workbench</h1>
      <p>
        Fine-tune small transformer encoders with LoRA and QLoRA, quantize them to int8 and nf4, sweep hyperparameters,
        profile, and export models you can ship — on this machine, with every run kept.
      </p>
      <div className="card">
        <h2>Engine self-test</h2>
        <p>
          Runs the native kernels in every CPU variant this machine supports, checks them against the scalar reference, and
          records the run with its error and speed series. It runs as a separate job process.
        </p>
        <button className="primary" onClick={() => void startSelfTest()} disabled={starting}>
          {starting ? 'Starting…' : 'Run engine self-test'}
        </button>
        {error && <p className="error">{error}</p>}
      </div>
    </section>
  )
}
