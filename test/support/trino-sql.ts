/**
 * The tests' own view of what really happened in Trino, bypassing the server under test:
 * run SQL, find the query a tool call started (by a marker in its text), and wait until it
 * has settled in system.runtime.queries.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { runStatement } from '../harness/trino-server.ts';
import type { McpSession, ToolResult } from './mcp-clients.ts';
import { poll } from './wait.ts';

/** The Trino of this test run (see test/harness/global-setup.ts). */
export function trinoUrl(): string {
  return inject('trinoUrl');
}

/** The tests' own Trino user: never the server's (SERVER_TRINO_USER), so the two are told apart. */
const TEST_TRINO_USER = 'trino-mcp-test';

/** Runs SQL directly on Trino's REST API and resolves with every row. */
export function trinoQuery(sql: string, user = TEST_TRINO_USER): Promise<unknown[][]> {
  return runStatement(trinoUrl(), sql, { user });
}

/** A fresh name that is a valid unquoted identifier and appears nowhere else: `${prefix}_<32 hex>`. */
export function uniqueName(prefix = 'it'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/** Runs for minutes on any machine, so it can only end by being cancelled; `marker` tags it for findQuery. */
export function slowSql(marker?: string): string {
  return `SELECT sum(extendedprice) FROM tpch.sf1000.lineitem${marker ? ` /* ${marker} */` : ''}`;
}

/**
 * Everything Trino keeps about one query (GET /v1/query/{id}): among it the session the
 * server set up, with the client info, tags and credentials Trino received.
 */
export async function trinoQueryInfo(queryId: string): Promise<{ session: Record<string, unknown> } & Record<string, unknown>> {
  const res = await fetch(`${trinoUrl()}/v1/query/${encodeURIComponent(queryId)}`, { headers: { 'X-Trino-User': TEST_TRINO_USER } });
  if (!res.ok) throw new Error(`GET /v1/query/${queryId} answered HTTP ${res.status}`);
  return (await res.json()) as { session: Record<string, unknown> } & Record<string, unknown>;
}

/** Trino's QueryState values after which a query does not change any more. */
const FINAL_STATES: ReadonlySet<string> = new Set(['FINISHED', 'FAILED']);

export function isFinalState(state: string): boolean {
  return FINAL_STATES.has(state);
}

/** One row of system.runtime.queries. */
export interface RuntimeQuery {
  readonly queryId: string;
  readonly state: string;
  readonly errorCode: string | null;
  readonly user: string;
  readonly source: string | null;
  readonly query: string;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function runtimeQueries(where: string): Promise<RuntimeQuery[]> {
  const rows = await trinoQuery(
    `SELECT query_id, state, error_code, "user", source, query FROM system.runtime.queries WHERE ${where} ORDER BY created`,
  );
  return rows.map(([queryId, state, errorCode, user, source, query]) => ({
    queryId: String(queryId),
    state: String(state),
    errorCode: (errorCode ?? null) as string | null,
    user: String(user),
    source: (source ?? null) as string | null,
    query: String(query),
  }));
}

/** Every query findQuery found, so that killLeftoverQueries can end what a failed test left running. */
const foundQueries = new Set<string>();

/** Marks a query a test found by other means for killLeftoverQueries. */
export function rememberQuery(queryId: string): void {
  foundQueries.add(queryId);
}

/**
 * The first query whose text contains `marker`, polled until it appears; rejects after
 * `timeoutMs`. The marker is searched for as a concatenation of two literals, so the
 * polling query never finds itself.
 */
export async function findQuery(marker: string, timeoutMs = 20_000): Promise<RuntimeQuery> {
  const where = `strpos(query, concat(${quote(marker.slice(0, 1))}, ${quote(marker.slice(1))})) > 0`;
  const found = await poll(async () => (await runtimeQueries(where))[0], (q) => q !== undefined, { timeoutMs, intervalMs: 50 });
  if (!found) throw new Error(`no Trino query containing ${marker} within ${timeoutMs} ms`);
  foundQueries.add(found.queryId);
  return found;
}

/**
 * Sends execute_query with slowSql through `session` and resolves once Trino lists the
 * query: from then on the call is in flight, for minutes, until the test ends it. Awaiting
 * `call` (and its rejection) is the test's business.
 */
export async function slowCallInFlight(
  session: Pick<McpSession, 'callTool'>,
  signal?: AbortSignal,
): Promise<{ call: Promise<ToolResult>; queryId: string }> {
  const marker = uniqueName('it_slow');
  const call = session.callTool('execute_query', { sql: slowSql(marker) }, signal);
  call.catch(() => undefined); // not unhandled while the test is still waiting for the query
  return { call, queryId: (await findQuery(marker)).queryId };
}

/** Kills every query findQuery found that is still running: nothing may keep the shared Trino busy (for afterAll). */
export async function killLeftoverQueries(): Promise<void> {
  for (const id of foundQueries) {
    const [row] = await runtimeQueries(`query_id = ${quote(id)}`);
    if (row && !isFinalState(row.state)) {
      await trinoQuery(`CALL system.runtime.kill_query(query_id => ${quote(id)}, message => 'test cleanup')`).catch(() => undefined);
    }
  }
  foundQueries.clear();
}

/**
 * State and error code of a query, polled until it is final or `ms` passes (then whatever
 * it is by then, MISSING when Trino does not list it), so an assertion on it shows the state.
 */
export async function settledQueryState(queryId: string, ms = 15_000): Promise<{ state: string; errorCode: string | null }> {
  const q = await poll(async () => (await runtimeQueries(`query_id = ${quote(queryId)}`))[0], (r) => r !== undefined && isFinalState(r.state), {
    timeoutMs: ms,
    intervalMs: 200,
  });
  return { state: q?.state ?? 'MISSING', errorCode: q?.errorCode ?? null };
}
