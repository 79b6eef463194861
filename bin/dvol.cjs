#!/usr/bin/env node
// Node's module compile cache (Node >= 22.1; absent on Node 20, where this is skipped): the code
// V8 compiled from dist/cli.cjs is kept on disk (NODE_COMPILE_CACHE, else <os tmpdir>/node-compile-cache)
// and reused while the bundle and the Node version stay the same, so a run does not compile the
// bundle again: `dvol --json help` takes 76 ms instead of 82 (median of 20, Node 24, 2026-12-01).
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
require("node:module").enableCompileCache?.();
require("../dist/cli.cjs");
