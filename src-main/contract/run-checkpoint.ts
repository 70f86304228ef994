// The checkpoint a fine-tune run hands on (eval, export, bench): its best, else its last.
export function checkpointOfRun(run: { id: number; status: string; summary: Record<string, unknown> }): string {
  const sum = run.summary as { best_checkpoint?: string | null; checkpoint?: string | null }
  const checkpoint = sum.best_checkpoint ?? sum.checkpoint
  if (!checkpoint) throw new Error(`run ${run.id} has no checkpoint (status ${run.status})`)
  return checkpoint
}
