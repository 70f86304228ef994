// A path field with one action button (the web host has no native folder
// dialog, so paths are typed or pasted).
import { useEffect, useState } from 'react'

export function PathForm(props: { label: string; initial: string; busy: boolean; action: string; placeholder: string; onSubmit(path: string): void }) {
  const [path, setPath] = useState(props.initial)
  useEffect(() => setPath(props.initial), [props.initial])
  return (
    <form
      className="path-form"
      onSubmit={(e) => {
        e.preventDefault()
        if (path.trim()) props.onSubmit(path.trim())
      }}
    >
      <label>
        {props.label}
        <input aria-label={props.label} value={path} placeholder={props.placeholder} onChange={(e) => setPath(e.target.value)} />
      </label>
      <button className="primary" type="submit" disabled={props.busy || !path.trim()}>
        {props.busy ? 'Opening…' : props.action}
      </button>
    </form>
  )
}
