#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// The entry point does nothing but this before loading the server: V8's code cache on disk
// (Node.js 22.1+) lets later starts skip compiling the modules again, which was most of the
// time to `initialize` over stdio (bench/trino.mjs measures it). A cache that cannot be
// written only costs that saving.
enableCompileCache?.();
await import('./server-main.ts');
