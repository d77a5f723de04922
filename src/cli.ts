#!/usr/bin/env node
// The command line's entry. `serve` with a memory budget (LAKEFORM_MEMORY_MB) needs V8 flags that
// only take effect at start, so it starts itself again with them before loading anything heavy.
import { spawn } from 'node:child_process';
import { heapFlags, memoryBudgetMb, memoryPlan } from './memory.js';

/** The heap flags `serve` still lacks; none when the operator set the heap size themselves. */
function missingFlags(): string[] {
  if (!process.argv.slice(2).includes('serve')) return [];
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((a) => a.startsWith('--max-old-space-size'))) return [];
  try {
    return heapFlags(memoryPlan(memoryBudgetMb(process.env)));
  } catch {
    return []; // a malformed budget: the server's configuration says what is wrong
  }
}

const flags = missingFlags();
if (flags.length === 0) {
  await import('./commands.js');
} else {
  // Its own process group: a terminal's Ctrl-C reaches the child once, forwarded from here.
  const child = spawn(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
