/** protocol-real.ts against a real PostgreSQL 17 (one cluster for this file). */
import { realServerSuite } from './protocol-real.js';

realServerSuite(17);
