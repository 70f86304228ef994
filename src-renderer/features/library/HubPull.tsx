// "Pull from the Hugging Face hub": an id field, a progress bar while files
// download, and the folder opened when it is done.
import { useEffect, useState } from 'react'
import { ProgressBar } from '../../shared/components/ProgressBar'
import { useLibraryStore } from './store'

export function HubPull(props: { kind: 'model' | 'dataset'; placeholder: string; onDone(dir: string): void }) {
  const [id, setId] = useState('')
  const [pullId, setPullId] = useState<number | null>(null)
  const pull = useLibraryStore((s) => (pullId === null ? null : (s.pulls[pullId] ?? null)))
  const start = useLibraryStore((s) => s.pull)
  const { onDone } = props

  useEffect(() => {
    if (pull?.status === 'done' && pull.dir) onDone(pull.dir)
  }, [pull?.status, pull?.dir, onDone])

  const fraction = pull?.total ? pull.bytes / pull.total : 0
  return (
    <div className="hub-pull">
      <input aria-label={`${props.kind} id on the hub`} value={id} placeholder={props.placeholder} onChange={(e) => setId(e.target.value)} />
      <button disabled={!id || pull?.status === 'running'} onClick={() => void start(props.kind, id.trim()).then(setPullId)}>
        Pull from hub
      </button>
      {pull?.status === 'running' && (
        <div className="pull-progress">
          <span className="muted">{pull.file ?? 'contacting the hub…'}</span>
          <ProgressBar fraction={fraction} etaSeconds={null} label="download" />
        </div>
      )}
      {pull?.status === 'failed' && <p className="error">{pull.error}</p>}
    </div>
  )
}
