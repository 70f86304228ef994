import { formatEta } from '../../lib/format'

export function ProgressBar(props: { fraction: number; etaSeconds: number | null; label?: string; status?: string }) {
  const pct = Math.round(Math.min(1, Math.max(0, props.fraction)) * 100)
  const done = props.status && props.status !== 'running'
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={props.label}>
      <div className="progress-track">
        <div className={`progress-fill ${done ? `progress-${props.status}` : ''}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-text">
        {pct}% · {done ? props.status : formatEta(props.etaSeconds)}
      </span>
    </div>
  )
}
