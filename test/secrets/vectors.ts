/**
 * The known-answer vectors of ../shared/vectors/, read from a copy kept in
 * the repository (so a clone without shared/ still runs them); the copy is
 * checked against shared/ when shared/ is there.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('./vectors/', import.meta.url));
export const SHARED_VECTORS_DIR = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));

function rows(file: string): string[][] {
  return readFileSync(VECTORS_DIR + file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

export interface PgVerifierRow {
  role: string;
  password: string;
  secret: string;
}
export function pgVerifiers(): PgVerifierRow[] {
  return rows('pg-verifiers.tsv').map(([role, password, secret]) => ({ role: role!, password: password!, secret: secret! }));
}

export interface ScramExchangeRow {
  source: string;
  password: string;
  clientFirstBare: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}
export function scramExchanges(): ScramExchangeRow[] {
  return rows('scram-exchanges.tsv').map(([source, password, clientFirstBare, serverFirst, clientFinal, serverFinal]) => ({
    source: source!,
    password: password!,
    clientFirstBare: clientFirstBare!,
    serverFirst: serverFirst!,
    clientFinal: clientFinal!,
    serverFinal: serverFinal!,
  }));
}
