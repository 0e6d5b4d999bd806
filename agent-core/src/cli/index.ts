#!/usr/bin/env node
import { useEnvironmentProxy } from './envProxy.js';
import { runCli } from './main.js';

useEnvironmentProxy(process.env);

/** `cloud-connect`: the headless agent and account tool. */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
