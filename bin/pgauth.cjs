#!/usr/bin/env node
'use strict';
// The installed `pgauth`: runs the bundle (scripts/bundle.mjs). CommonJS, so
// Node starts it without its ES module loader.
const mod = require('node:module');

// Node >= 22.1 keeps the compiled code on disk between runs; Node 20 has no
// compile cache and this is a no-op. It must run before the bundle loads.
mod.enableCompileCache?.();
// --debug prints stack traces: map them to src/*.ts (only files loaded after this are mapped).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);

require('../dist/bundle/pgauth.cjs');
