#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 keeps the compiled code of our modules on disk between runs;
// older Node (20) has no compile cache and this is a no-op. It must run
// before the CLI's modules load, hence the dynamic import below.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
main(process.argv);
