import { describe, expect, it } from 'vitest';
import type { Column, Principal } from '../../src/domain/model.ts';
import type { QueryEngine } from '../../src/ports/query-engine.ts';
import type { QuerySettings } from '../../src/use-cases/call.ts';
import { DescribeTable, ListCatalogs, ListSchemas, ListTables } from '../../src/use-cases/catalog.ts';
import { QuerySlots, type SlotLimits } from '../../src/use-cases/query-slots.ts';
import { ExecuteQuery, ExecuteStatement, ExplainQuery } from '../../src/use-cases/statements.ts';
import { FakeQueryPolicy } from '../fakes/fake-query-policy.ts';
import { InMemoryQueryEngine } from '../fakes/in-memory-query-engine.ts';
import { ManualTimers } from '../fakes/manual-timers.ts';
import { expectDomainError, rejectionOf } from './support/domain-error.ts';
import { expectAllFree } from './support/slots.ts';
import { unitSettings } from './support/mcp-server.ts';
import { noPages } from '../fakes/no-pages.ts';

/**
 * The query slots as the use-cases take them: one per call, before its first engine round
 * trip, held to the end of the call and given back however it ends.
 */

const alice: Principal = { subject: 'alice', scopes: [], via: 'test' };
const settings: QuerySettings = unitSettings();
const cols: Column[] = [{ name: 'x', type: 'varchar' }];
const PLAN = 'EXPLAIN (TYPE IO, FORMAT JSON)';

/** One slot per user, a long queue, timers that fire only when told. */
function setup(limits: Partial<SlotLimits> = {}, policy = new FakeQueryPolicy()) {
  const timers = new ManualTimers();
  const slots = new QuerySlots({ maxConcurrent: 10, maxConcurrentPerUser: 1, maxQueued: 10, queueTimeoutMs: 60_000, ...limits }, timers.start);
  const engine = new InMemoryQueryEngine()
    .define('HANG', { hang: true })
    .define('SELECT 1', { columns: cols, rows: [['1']] })
    .define(`${PLAN} SELECT 1`, { columns: cols, rows: [['{}']] })
    .define(`${PLAN} HANG`, { columns: cols, rows: [['{}']] });
  const query = new ExecuteQuery(engine, settings, policy, slots);
  /** Alice's one slot, held by a query that runs until `stop`. */
  const hold = async () => {
    const abort = new AbortController();
    const held = query.execute({ sql: 'HANG' }, alice, abort.signal).catch((err: unknown) => err);
    await until(() => engine.statements.includes('HANG'));
    return {
      stop: async () => {
        abort.abort();
        return held;
      },
    };
  };
  return { slots, timers, engine, policy, query, hold };
}

/** Polls `condition` on every turn of the event loop; fails after two seconds. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((r) => setImmediate(r));
  }
}

const useCases: Array<[string, (e: InMemoryQueryEngine, s: QuerySlots, signal: AbortSignal) => Promise<unknown>, string]> = [
  ['ListCatalogs', (e, s, signal) => new ListCatalogs(e, settings, new FakeQueryPolicy(), s).execute(alice, signal), 'SHOW CATALOGS'],
  ['ListSchemas', (e, s, signal) => new ListSchemas(e, settings, new FakeQueryPolicy(), s).execute({}, alice, signal), 'SHOW SCHEMAS FROM "memory"'],
  ['ListTables', (e, s, signal) => new ListTables(e, settings, new FakeQueryPolicy(), s).execute({}, alice, signal), 'SHOW TABLES FROM "memory"."default"'],
  ['DescribeTable', (e, s, signal) => new DescribeTable(e, settings, new FakeQueryPolicy(), s).execute({ table: 't' }, alice, signal), 'DESCRIBE "memory"."default"."t"'],
  ['ExecuteQuery', (e, s, signal) => new ExecuteQuery(e, settings, new FakeQueryPolicy(), s).execute({ sql: 'SELECT 2' }, alice, signal), 'SELECT 2'],
  ['ExecuteStatement', (e, s, signal) => new ExecuteStatement(e, settings, new FakeQueryPolicy(), s).execute({ sql: 'SELECT 2' }, alice, signal), 'SELECT 2'],
  ['ExplainQuery', (e, s, signal) => new ExplainQuery(e, settings, new FakeQueryPolicy(), s).execute({ sql: 'SELECT 2' }, alice, signal), 'EXPLAIN (TYPE LOGICAL) SELECT 2'],
];

describe('query slots in the use-cases', () => {
  it.each(useCases)('%s waits for the caller’s slot before its statement reaches the engine, then runs', async (_name, run, sql) => {
    const { slots, engine, hold } = setup();
    engine.define(sql, { columns: cols, rows: [['a']] });
    const holder = await hold();
    const pending = run(engine, slots, new AbortController().signal);
    await until(() => slots.usage.queued === 1);
    expect(engine.statements).toEqual(['HANG']);
    expectDomainError(await holder.stop(), 'CANCELLED');
    await pending;
    expect(engine.statements).toEqual(['HANG', sql]);
    expectAllFree(slots);
  });

  it('the analysis and the query of one call share its one slot: no deadlock, and no other call of the user in between', async () => {
    const { slots, engine } = setup();
    // The holder's analysis waits for the test's word, so another call queues meanwhile.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const gated: QueryEngine = {
      ...noPages,
      async *run(request, signal) {
        if (request.sql === `${PLAN} HANG`) await gate;
        yield* engine.run(request, signal);
      },
    };
    const query = new ExecuteQuery(gated, settings, new FakeQueryPolicy({ needsAnalysis: true }), slots);
    const abort = new AbortController();
    const holder = query.execute({ sql: 'HANG' }, alice, abort.signal).catch((err: unknown) => err);
    await until(() => slots.usage.running === 1);
    const next = query.execute({ sql: 'SELECT 1' }, alice, new AbortController().signal);
    await until(() => slots.usage.queued === 1);
    openGate();
    // Between its analysis and its query the holder keeps the slot: its query runs, the next call still waits.
    await until(() => engine.statements.includes('HANG'));
    expect(engine.statements).toEqual([`${PLAN} HANG`, 'HANG']);
    expect(slots.usage).toMatchObject({ running: 1, queued: 1 });
    abort.abort();
    expectDomainError(await holder, 'CANCELLED');
    expect(await next).toMatchObject({ rows: [['1']] });
    expect(engine.statements).toEqual([`${PLAN} HANG`, 'HANG', `${PLAN} SELECT 1`, 'SELECT 1']);
    expectAllFree(slots);
  });

  it('a statement the policy refuses is answered at once, without waiting for a slot', async () => {
    const { slots, query, hold } = setup({}, new FakeQueryPolicy({ deny: ['DELETE FROM t'] }));
    const holder = await hold();
    expectDomainError(await rejectionOf(query.execute({ sql: 'DELETE FROM t' }, alice, new AbortController().signal)), 'POLICY_DENIED');
    expect(slots.usage).toMatchObject({ running: 1, queued: 0 });
    await holder.stop();
    expectAllFree(slots);
  });

  it('cancelled while waiting: CANCELLED, and the statement never reaches the engine', async () => {
    const { slots, engine, query, hold } = setup();
    const holder = await hold();
    const abort = new AbortController();
    const waiting = query.execute({ sql: 'SELECT 1' }, alice, abort.signal);
    await until(() => slots.usage.queued === 1);
    abort.abort();
    expectDomainError(await rejectionOf(waiting), 'CANCELLED');
    await holder.stop();
    expect(engine.statements).toEqual(['HANG']);
    expectAllFree(slots);
  });

  it('no slot within TRINO_QUEUE_TIMEOUT: BUSY, retryable, and the statement never reaches the engine', async () => {
    const { slots, timers, engine, query, hold } = setup();
    const holder = await hold();
    const waiting = query.execute({ sql: 'SELECT 1' }, alice, new AbortController().signal);
    await until(() => slots.usage.queued === 1);
    timers.fireAll();
    expectDomainError(await rejectionOf(waiting), 'BUSY', { retryable: true });
    await holder.stop();
    expect(engine.statements).toEqual(['HANG']);
    expectAllFree(slots);
  });

  it("the call's deadline while waiting is BUSY, not TIMEOUT: no query ran, a retry may succeed", async () => {
    const { slots, engine, hold } = setup();
    const holder = await hold();
    const short = new ExecuteQuery(engine, { ...settings, timeoutMs: 30 }, new FakeQueryPolicy(), slots);
    expectDomainError(await rejectionOf(short.execute({ sql: 'SELECT 1' }, alice, new AbortController().signal)), 'BUSY', { retryable: true });
    await holder.stop();
    expect(engine.statements).toEqual(['HANG']);
    expectAllFree(slots);
  });

  it('a full queue is BUSY at once', async () => {
    const { slots, query, hold } = setup({ maxQueued: 1 });
    const holder = await hold();
    const abort = new AbortController();
    const waiting = query.execute({ sql: 'SELECT 1' }, alice, abort.signal).catch(() => undefined);
    await until(() => slots.usage.queued === 1);
    expectDomainError(await rejectionOf(query.execute({ sql: 'SELECT 1' }, alice, new AbortController().signal)), 'BUSY', { retryable: true });
    abort.abort();
    await waiting;
    await holder.stop();
    expectAllFree(slots);
  });

  const endings: Array<[string, string, Parameters<InMemoryQueryEngine['define']>[1], (signal: AbortController) => void, number]> = [
    ['success', 'Q', { columns: cols, rows: [['1']] }, () => undefined, 5_000],
    ['an engine error', 'Q', { error: { errorName: 'SYNTAX_ERROR', message: 'no' } }, () => undefined, 5_000],
    ['the engine unavailable', 'Q', { unavailable: true }, () => undefined, 5_000],
    ['truncation at the row cap', 'Q', { columns: cols, rows: [['1'], ['2'], ['3'], ['4']], batchSize: 1 }, () => undefined, 5_000],
    ['cancellation mid-query', 'Q', { hang: true }, (c) => setImmediate(() => c.abort()), 5_000],
    ['the deadline mid-query', 'Q', { hang: true }, () => undefined, 30],
  ];
  it.each(endings)('the slot comes back after %s, and the next call of the user runs at once', async (_name, sql, outcome, act, timeoutMs) => {
    const { slots, engine, query } = setup();
    engine.define(sql, outcome);
    const abort = new AbortController();
    act(abort);
    await new ExecuteQuery(engine, { ...settings, timeoutMs }, new FakeQueryPolicy(), slots).execute({ sql }, alice, abort.signal).catch(() => undefined);
    expectAllFree(slots);
    expect(await query.execute({ sql: 'SELECT 1' }, alice, new AbortController().signal)).toMatchObject({ rows: [['1']] });
  });
});
