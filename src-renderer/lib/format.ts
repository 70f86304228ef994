export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'estimating…'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s left`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s left`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m left`
}

export function formatDuration(start: string | null, end: string | null): string {
  if (!start) return ''
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start)
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString()
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

// Binary units: the seed study's "54.74 MB" for TinyBERT fp32 is 54.74 MiB.
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(i ? 2 : 0)} ${units[i]}`
}
