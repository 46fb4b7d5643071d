/** The bundle's entry (scripts/bundle.mjs): run the CLI on this process's argv. */
import { main } from './main.js';

void main(process.argv);
