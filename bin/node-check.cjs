/*
 * The runtime check that runs before anything else, in the bin and in every npm script.
 * Written in ES5 CommonJS on purpose: it must parse and load on any Node.js a newcomer may
 * have (the rest of the package is ES modules for a recent Node.js and would fail with a
 * stack trace such as ERR_UNKNOWN_FILE_EXTENSION instead of saying what to do).
 *
 * The installed server needs package.json's `engines.node`; the scripts of a checkout need
 * DEV_NODE (they run TypeScript directly, and the toolchain is tested on that line). Not
 * package.json's `devEngines`: npm enforces it itself, with a many-line error, before the
 * script could say what to do. Both ranges are of the form ">=MAJOR[.MINOR[.PATCH]]".
 */
'use strict';

var pkg = require('../package.json');

var DEV_NODE = '>=24';

function parseFloor(range) {
  var m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(range).trim());
  if (!m) throw new Error('package.json: node version range must be ">=X[.Y[.Z]]", got ' + range);
  return [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)];
}

function atLeast(version, floor) {
  var v = String(version).replace(/^v/, '').split('.').map(Number);
  for (var i = 0; i < 3; i++) {
    if ((v[i] || 0) > floor[i]) return true;
    if ((v[i] || 0) < floor[i]) return false;
  }
  return true;
}

function floorText(floor) {
  return floor[1] || floor[2] ? floor.join('.').replace(/\.0$/, '') : String(floor[0]);
}

/** The one line to print, or null when this Node.js will do. `which`: "runtime" or "dev". */
function problem(which, version) {
  var range = which === 'dev' ? DEV_NODE : pkg.engines.node;
  var floor = parseFloor(range);
  if (atLeast(version, floor)) return null;
  var wanted = floorText(floor);
  return (
    'trino-mcp: Node.js ' + wanted + ' or newer is required, this is Node.js ' + String(version).replace(/^v/, '') +
    ': install it from https://nodejs.org/ (or run "nvm install ' + floor[0] + '") and try again'
  );
}

/** Exits with status 2 and one line on stderr when this Node.js is too old. */
function requireNode(which) {
  var line = problem(which, process.versions.node);
  if (line === null) return;
  process.stderr.write(line + '\n');
  process.exit(2);
}

module.exports = { problem: problem, requireNode: requireNode };

if (require.main === module) requireNode(process.argv[2] === 'dev' ? 'dev' : 'runtime');
