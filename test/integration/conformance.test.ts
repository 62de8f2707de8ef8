/**
 * The MCP conformance suite against the built server over streamable HTTP: the newest
 * 0.1 release, and the 0.2 line at protocol 2026-07-28. Every scenario passes except those
 * test/conformance/expected-failures.yml lists with a reason; any other result fails —
 * including a listed scenario that now passes, or one the suite no longer runs, so the list
 * stays true.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startHttpServer, type HttpServerHandle } from '../support/http-server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXPECTED = parse(readFileSync(join(ROOT, 'test/conformance/expected-failures.yml'), 'utf8')) as Record<string, Record<string, string>>;

const SUITES = [
  { name: 'conformance-0.1', cli: 'node_modules/@modelcontextprotocol/conformance/dist/index.js', args: [] as string[] },
  { name: 'conformance-0.2 --spec-version 2026-07-28', cli: 'node_modules/conformance-next/dist/index.js', args: ['--spec-version', '2026-07-28'] },
] as const;

/** The suite's summary: each scenario it ran, and whether it passed (at least one check, none failed; a scenario that checked nothing only warned). */
function summary(output: string): Map<string, boolean> {
  const results = new Map<string, boolean>();
  const tail = output.slice(output.lastIndexOf('=== SUMMARY ==='));
  for (const m of tail.matchAll(/^([✓✗]) ([a-z0-9-]+): (\d+) passed, (\d+) failed/gmu)) results.set(m[2]!, m[1] === '✓' && m[3] !== '0' && m[4] === '0');
  return results;
}

let server: HttpServerHandle;
beforeAll(async () => {
  // The suites send hundreds of requests as one anonymous caller in a few seconds: rate limits
  // (tested in rate-limits.test.ts) would answer some with 429, which is not what they check.
  server = await startHttpServer({ RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(async () => {
  await server?.stop();
});

describe('MCP conformance suite', () => {
  it('lists a reason for every expected failure', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(SUITES.map((s) => s.name).sort());
    for (const [suite, entries] of Object.entries(EXPECTED)) {
      for (const [scenario, reason] of Object.entries(entries)) expect(reason.trim().length, `${suite} ${scenario}`).toBeGreaterThan(10);
    }
  });

  it.each(SUITES)('$name: every scenario passes but the expected failures, and those still fail', async (suite) => {
    const expected = EXPECTED[suite.name]!;
    const dir = mkdtempSync(join(tmpdir(), 'conformance-'));
    const baseline = join(dir, 'baseline.yml');
    writeFileSync(baseline, stringify({ server: Object.keys(expected) }));
    const args = [join(ROOT, suite.cli), 'server', '--url', server.url, ...suite.args, '--expected-failures', baseline, '-o', join(dir, 'results')];
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, args, { timeout: 600_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
    const results = summary(output);
    expect(results.size, `the suite ran no scenario:\n${output.slice(-4000)}`).toBeGreaterThan(10);
    const unexpectedFailures = [...results].filter(([s, ok]) => !ok && !(s in expected)).map(([s]) => s);
    const nowPassing = [...results].filter(([s, ok]) => ok && s in expected).map(([s]) => s);
    const notRun = Object.keys(expected).filter((s) => !results.has(s));
    expect({ unexpectedFailures, nowPassing, notRun }).toEqual({ unexpectedFailures: [], nowPassing: [], notRun: [] });
    expect(code, output.slice(-4000)).toBe(0);
  }, 600_000);
});
