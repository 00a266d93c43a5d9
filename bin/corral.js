#!/usr/bin/env node
// The `corral` command: load the TypeScript sources through tsx and hand over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
