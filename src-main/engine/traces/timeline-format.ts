// The on-disk timeline of an imported trace (a folder beside the run) and what
// the Traces page asks of it. Slices live in slices.bin as fixed 40-byte
// records, one run of records per track row and level of detail; a row's
// events never overlap, so its records are sorted by start and by end, and a
// window is two binary searches and a scan. Level k merges neighbours closer
// than LEVEL_GAPS[k] µs into one block (named after its longest member), so at
// any zoom the page reads about as many blocks as the canvas has pixels.
// The renderer imports only types from here.

export const TIMELINE_VERSION = 2

// Gaps merged at each level, µs: 0 (the events themselves), then ×4 from 0.04 µs to about 43 s.
export const LEVEL_GAPS = [0, ...Array.from({ length: 16 }, (_, k) => 0.01 * 4 ** (k + 1))]

export const SLICE_BYTES = 40 // f64 start, f64 end, u32 name, u32 cat, u32 count, u32 ref, u32 args, f32 busy
export const FLOW_BYTES = 72 // 9 × f64: min t, max t, from track, from t, from row, to track, to t, to row, category
export const POINT_BYTES = 16 // f64 t, f64 value
export const ARGS_INDEX_BYTES = 16 // f64 offset, f64 length into args.bin
export const NO_ARGS = 0xffffffff

export interface LevelRun {
  gap: number // µs merged at this level
  offset: number // first record (in records, not bytes)
  count: number
}

export interface TimelineRowMeta {
  levels: LevelRun[] // levels[0]: the events themselves
}

export interface TimelineTrackMeta {
  key: string // "pid:tid"
  label: string
  depth: number // rows
  events: number
  rows: TimelineRowMeta[]
}

export interface TimelineCounterMeta {
  label: string
  max: number
  points: number
  levels: LevelRun[] // level k: the largest value per LEVEL_GAPS[k] bucket
}

export interface TimelineMeta {
  version: number
  start: number // absolute µs of the first event
  end: number // µs from start
  events: number // complete (X) events
  names: string[]
  nameCounts: number[] // events per name (search counts come from here)
  cats: string[]
  tracks: TimelineTrackMeta[]
  counters: TimelineCounterMeta[]
  flows: { count: number; maxSpan: number }
}

// One slice as the page gets it: [start µs, duration µs, name, category, row, merged events, args id or -1, busy share].
export type WindowSlice = [number, number, number, number, number, number, number, number]
// [from track, from µs, from row, to track, to µs, to row, category].
export type WindowFlow = [number, number, number, number, number, number, number]

export interface TimelineWindow {
  t0: number
  t1: number
  level: number // index into LEVEL_GAPS
  tracks: WindowSlice[][] // per track, sorted by row then start
  counters: [number, number][][] // per counter: the points that cover [t0, t1]
  flows: WindowFlow[] | null // null: more than MAX_WINDOW_FLOWS in view (zoom in to see them)
}

export const MAX_WINDOW_FLOWS = 2000

export interface TimelineMatch {
  track: number
  slice: WindowSlice
}

export interface TimelineSearch {
  total: number // events whose name matches
  matches: TimelineMatch[] // the first `limit` by start
}
