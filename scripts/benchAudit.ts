/**
 * `npm run bench:audit`: what the audit stage costs per call, in-process, on SQLite (WAL) in a
 * temporary directory, with each durability setting, one call in flight (a commit per call) and 64
 * (commits shared). `npm run bench` reports the same figures beside the other stages.
 */
import { auditFigures } from './bench/stages.js';

for (const { stage, us, cpuUs } of await auditFigures()) {
  console.log(`${stage}: ${us.toFixed(2)} µs per call over the floor, ${cpuUs.toFixed(2)} µs CPU per call`);
}
