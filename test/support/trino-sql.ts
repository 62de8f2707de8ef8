import { inject } from 'vitest';

/** The Trino of this test run (see test/harness/global-setup.ts). */
export function trinoUrl(): string {
  return inject('trinoUrl');
}

/**
 * Runs SQL directly on Trino's REST API, bypassing the server under test: the tests'
 * own view of what really happened in Trino.
 */
export async function trinoQuery(sql: string, user = 'trino-mcp-test'): Promise<unknown[][]> {
  let res = await fetch(`${trinoUrl()}/v1/statement`, { method: 'POST', body: sql, headers: { 'X-Trino-User': user } });
  let page = (await res.json()) as { nextUri?: string; data?: unknown[][]; error?: { message: string } };
  const rows: unknown[][] = [];
  for (;;) {
    if (page.error) throw new Error(`Trino: ${page.error.message}`);
    if (page.data) rows.push(...page.data);
    if (!page.nextUri) return rows;
    res = await fetch(page.nextUri, { headers: { 'X-Trino-User': user } });
    page = (await res.json()) as typeof page;
  }
}

/** State of a query in system.runtime.queries, polled until it is no longer RUNNING/QUEUED or `ms` passes. */
export async function settledQueryState(queryId: string, ms = 15_000): Promise<{ state: string; errorCode: string | null }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await trinoQuery(`SELECT state, error_code FROM system.runtime.queries WHERE query_id = '${queryId.replace(/'/g, "''")}'`);
    const row = rows[0] as [string, string | null] | undefined;
    if (row && !['RUNNING', 'QUEUED', 'PLANNING', 'STARTING', 'DISPATCHING', 'WAITING_FOR_RESOURCES', 'FINISHING'].includes(row[0])) {
      return { state: row[0], errorCode: row[1] };
    }
    if (Date.now() > deadline) return { state: row?.[0] ?? 'MISSING', errorCode: row?.[1] ?? null };
    await new Promise((r) => setTimeout(r, 200));
  }
}
