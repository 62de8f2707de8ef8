/**
 * Memory of a process started with --inspect, read through the Chrome DevTools Protocol:
 * a full garbage collection first, so that what is compared over a run is memory held,
 * not garbage not yet collected.
 */
export interface HeldMemory {
  readonly rss: number;
  readonly heapUsed: number;
  /** What V8 holds for its heap, used or not: RSS beyond it is native memory. */
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export async function inspectorUrl(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/json/list`);
  const [target] = (await res.json()) as Array<{ webSocketDebuggerUrl: string }>;
  if (!target) throw new Error(`no inspector target on port ${port}`);
  return target.webSocketDebuggerUrl;
}

/** Collects garbage in the inspected process, then reads its process.memoryUsage(). */
export async function heldMemory(wsUrl: string): Promise<HeldMemory> {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let next = 1;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
        if (message.id !== id) return;
        ws.removeEventListener('message', onMessage);
        if (message.error) reject(new Error(JSON.stringify(message.error)));
        else resolve(message.result ?? {});
      };
      ws.addEventListener('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const result = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    const value = (result['result'] as { value: string }).value;
    return JSON.parse(value) as HeldMemory;
  } finally {
    ws.close();
  }
}

/**
 * The allocator settings the image runs the server with (Dockerfile): MALLOC_ARENA_MAX=2 and
 * MALLOC_MMAP_THRESHOLD_=131072, unless LOAD_MALLOC_ARENA_MAX / LOAD_MALLOC_MMAP_THRESHOLD
 * say otherwise (empty: glibc's default, an arena per thread that allocates, and a threshold
 * that rises after each large free). What a run used is printed with its figures.
 */
export const ARENAS = process.env['LOAD_MALLOC_ARENA_MAX'] ?? '2';
export const MMAP_THRESHOLD = process.env['LOAD_MALLOC_MMAP_THRESHOLD'] ?? '131072';
export const arenaEnv = (): Record<string, string> => ({
  ...(ARENAS ? { MALLOC_ARENA_MAX: ARENAS } : {}),
  ...(MMAP_THRESHOLD ? { MALLOC_MMAP_THRESHOLD_: MMAP_THRESHOLD } : {}),
});
/** The settings, as a run's summary names them. */
export const allocatorLabel = () => `MALLOC_ARENA_MAX=${ARENAS || 'unset'}, MALLOC_MMAP_THRESHOLD_=${MMAP_THRESHOLD || 'unset'}`;
