/** huge-iterations: i=100000000 in the server-first-message (minutes of client CPU). */
import type { Scenario } from './types.js';

export const HUGE_ITERATIONS = 100_000_000;

export const hugeIterations: Scenario = {
  name: 'huge-iterations',
  does: `asks for ${HUGE_ITERATIONS.toLocaleString('en-US')} PBKDF2 iterations (i=${HUGE_ITERATIONS}): a client without a cap spends minutes of CPU`,
  tls: true,
  safe: 'refuses or gives up within its connect timeout (libpq has no cap: it computes them all)',
  libpq: 'never (no cap on the iteration count)',
  changes: 'server-first',
  tamper: { serverFirst: () => ({ iterations: HUGE_ITERATIONS }) },
};
