// Plain-text helpers for the CLI: tables and a progress bar with ETA.
export function table(rows: Record<string, string | number | null>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)))
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--'
  const total = Math.round(s)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const sec = total % 60
  const mm = String(m).padStart(2, '0')
  const ss = String(sec).padStart(2, '0')
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

export function progressBar(fraction: number, etaSeconds: number | null, message: string, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  const pct = `${(fraction * 100).toFixed(0)}%`.padStart(4)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct} ETA ${formatSeconds(etaSeconds)}  ${message}`
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`
}
