/* Loaded only once the runtime check passed: `import()` does not parse on very old Node.js. */
'use strict';
import('../dist/app/main.js').catch(function (err) {
  process.stderr.write('trino-mcp: cannot start: ' + (err && err.message ? err.message : String(err)) + '\n');
  process.exit(1);
});
