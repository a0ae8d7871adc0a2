/**
 * `npm run bench:load`: many kiosks and dashboards on several sites against Headcount (one
 * instance, and two with PostgreSQL and Redis) and a bare Hocuspocus relay, in alternating rounds
 * (issues 14 and 12). Progress goes to stderr, the Markdown for docs/BENCHMARKS.md to stdout at
 * the end. `--quick` for a fast check; see options.ts.
 */
import { cleanUpOnSignals } from './cleanup';
import { type IdleResult, runIdle } from './idle';
import { readOptions } from './options';
import { loadReport, machineContext } from './report';
import { type RoundResult, runRound } from './round';
import type { ServerKind } from './servers';

const options = readOptions(process.argv.slice(2));
cleanUpOnSignals();
const log = (line: string) => console.error(line);
const context = machineContext(options);
const rounds: RoundResult[] = [];
const order: readonly ServerKind[] = options.servers;
for (let i = 0; i < options.rounds; i++) {
  for (const kind of order) {
    log(`round ${rounds.length + 1}/${options.rounds * order.length}: ${kind}`);
    const round = await runRound(kind, options, log);
    const sorted = [...round.latencies].sort((a, b) => a - b);
    log(
      `    p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms, server CPU ${Math.round(round.server.cpuMs)} ms, stall ${round.server.loop.maxMs.toFixed(1)} ms, lost ${round.lost}`,
    );
    rounds.push(round);
  }
}
const idle: IdleResult[] = [];
if (options.idle > 0)
  for (const kind of order) {
    log(`idle: ${options.idle} connections on ${kind}`);
    idle.push(await runIdle(kind, options, options.idle, log));
  }
console.log(loadReport(context, rounds, idle).join('\n'));
