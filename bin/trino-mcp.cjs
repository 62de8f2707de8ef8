#!/usr/bin/env node
/* The installed command: the runtime check first (ES5, see node-check.cjs), then the server. */
'use strict';
require('./node-check.cjs').requireNode('runtime');
require('./launch.cjs');
