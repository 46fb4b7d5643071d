/**
 * The parts of a stored SCRAM-SHA-256 verifier that the exchange needs
 * (pg_authid.rolpassword `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`).
 * Parsing and building the text form is the secrets module's job; it lives
 * there and depends on this, never the other way round.
 */
export interface ScramSecret {
  kind: 'scram-sha-256';
  /** The verifier as stored. */
  text: string;
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}
