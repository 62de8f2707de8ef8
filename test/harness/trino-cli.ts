/**
 * `npm run trino:up` / `npm run trino:down`: a local Trino (tpch + memory catalogs) that
 * stays up between test runs and for the demo. Idempotent.
 */
import { downPersistent, upPersistent } from './trino-server.ts';

const command = process.argv[2];
try {
  if (command === 'up') {
    const t = await upPersistent();
    process.stdout.write(`${t.url}\n`);
    process.stderr.write(`Trino is running (pid ${t.pid}). Stop it with: npm run trino:down\n`);
  } else if (command === 'down') {
    const stopped = await downPersistent();
    process.stderr.write(stopped ? 'Trino stopped.\n' : 'No Trino started by trino:up was running.\n');
  } else {
    process.stderr.write('usage: trino-cli.ts up|down\n');
    process.exitCode = 2;
  }
} catch (err) {
  process.stderr.write(`trino: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
