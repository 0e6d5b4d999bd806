#!/usr/bin/env node
// The built CLI (npm run build); during development run `npx tsx agent-core/src/cli/index.ts`.
import '../dist/cli/index.js';
