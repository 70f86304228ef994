import { useEffect } from 'react'
import { api } from '../lib/api'
import { HomePage } from '../features/home/HomePage'
import { FinetunePage } from '../features/finetune/FinetunePage'
import { DatasetsPage } from '../features/library/DatasetsPage'
import { ModelsPage } from '../features/library/ModelsPage'
import { BenchPage } from '../features/bench/BenchPage'
import { QuantizePage } from '../features/quantize/QuantizePage'
import { RunsPage } from '../features/runs/RunsPage'
import { SweepsPage } from '../features/sweeps/SweepsPage'
import { TracesPage } from '../features/traces/TracesPage'
import { wireEvents } from './events'
import { JobsPanel } from './JobsPanel'
import { PAGES } from './pages'
import { StatusBar } from './StatusBar'
import { useAppStore } from './store'

export function App() {
  const page = useAppStore((s) => s.page)
  const goTo = useAppStore((s) => s.goTo)
  const setSystem = useAppStore((s) => s.setSystem)

  useEffect(() => {
    const off = wireEvents()
    api.call('system.info', {}).then(
      (info) => setSystem(info),
      (err: Error) => setSystem(null, err.message),
    )
    return off
  }, [setSystem])

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">TinyBERT Workbench</div>
        {PAGES.map((p) => (
          <button key={p.id} className={p.id === page ? 'nav active' : 'nav'} onClick={() => goTo(p.id)}>
            {p.label}
          </button>
        ))}
      </nav>
      <main className="content">
        <JobsPanel />
        {page === 'home' ? (
          <HomePage />
        ) : page === 'runs' ? (
          <RunsPage />
        ) : page === 'models' ? (
          <ModelsPage />
        ) : page === 'datasets' ? (
          <DatasetsPage />
        ) : page === 'finetune' ? (
          <FinetunePage />
        ) : page === 'traces' ? (
          <TracesPage />
        ) : page === 'sweeps' ? (
          <SweepsPage />
        ) : page === 'quantize' ? (
          <QuantizePage />
        ) : (
          <BenchPage />
        )}
      </main>
      <StatusBar />
    </div>
  )
}
