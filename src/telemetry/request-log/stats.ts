// The request log's queue, as /metrics reports it (kept free of prom-client, like the routing
// counters): rows dropped because the queue was full, and rows waiting now, over every writer in
// the process.

let dropped = 0;
const depths = new Set<() => number>();

export function countDropped(rows: number): void {
  dropped += rows;
}

export function droppedRows(): number {
  return dropped;
}

/** Registers a writer's queue depth; returns the function that unregisters it. */
export function watchDepth(depth: () => number): () => void {
  depths.add(depth);
  return () => depths.delete(depth);
}

export function queueDepth(): number {
  let sum = 0;
  for (const depth of depths) sum += depth();
  return sum;
}
