// Engine capabilities at a glance.
import { useAppStore } from './store'
import { api } from '../lib/api'

export function StatusBar() {
  const system = useAppStore((s) => s.system)
  const systemError = useAppStore((s) => s.systemError)
  if (systemError) return <footer className="status-bar error">Engine unavailable: {systemError}</footer>
  if (!system) return <footer className="status-bar">Connecting…</footer>
  const k = system.kernels
  return (
    <footer className="status-bar" data-testid="status-bar">
      {'error' in k ? (
        <span className="error">Native kernels not loaded: {k.error}</span>
      ) : (
        <>
          <span>
            kernels: <b data-testid="kernel-variant">{k.variant}</b>
          </span>
          <span>threads: {k.threads}</span>
          <span>
            CPU: {['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16'].filter((f) => k.cpu[f as keyof typeof k.cpu]).join(' ') || 'baseline x86/ARM'}
          </span>
          <span title={k.cuda.reason}>CUDA: {k.cuda.compiled ? `${k.cuda.devices.length} GPU(s)` : 'not compiled'}</span>
        </>
      )}
      <span className="spacer" />
      <span>
        {api.transport === 'electron' ? 'desktop' : 'web host'} · data: {system.dataDir}
      </span>
    </footer>
  )
}
