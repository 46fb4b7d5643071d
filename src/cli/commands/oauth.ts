/**
 * `pgauth oauth-token`: mints a test JWT signed by a private key of a JWKS
 * file, for `serve --oauth-jwks` (SPEC §9) or any validator that trusts the
 * key; `--new-jwks FILE` makes such a file. The token goes to stdout only.
 */
import type { Command } from 'commander';
import { globalOptions, printJson } from '../context.js';
import { usageError } from '../errors.js';

interface OAuthTokenFlags {
  jwks?: string;
  newJwks?: string;
  kid?: string;
  issuer?: string;
  subject?: string;
  claim: string;
  audience?: string;
  scope?: string;
  lifetime: string;
  notBefore?: string;
  expired?: boolean;
  json?: boolean;
}

/** Seconds in "90", "90s", "15min", "2h", "7d". */
export function parseLifetime(flag: string, value: string): number {
  const m = /^\s*(\d+)\s*(s|min|h|d)?\s*$/.exec(value);
  if (!m) throw usageError(`${flag}: expected a duration like 90s, 15min, 2h or 7d; got "${value}"`);
  const n = Number(m[1]);
  const seconds = n * ({ s: 1, min: 60, h: 3600, d: 86400 } as const)[(m[2] ?? 's') as 's' | 'min' | 'h' | 'd'];
  if (seconds > 366 * 86400) throw usageError(`${flag}: at most 366d`);
  return seconds;
}

export function register(program: Command): void {
  program
    .command('oauth-token')
    .description('mint a test OAuth bearer token (a JWT) signed by a key of a JWKS file, or make such a file')
    .option('--jwks <FILE>', 'JWKS file holding the private key to sign with')
    .option('--new-jwks <FILE>', 'write a new ES256 private JWKS to FILE (mode 0600) and exit')
    .option('--kid <ID>', 'key id to sign with (or to give the new key)')
    .option('--issuer <URL>', 'the "iss" claim')
    .option('--subject <NAME>', 'the identity ("sub", or --claim)')
    .option('--claim <CLAIM>', 'claim to carry the identity', 'sub')
    .option('--audience <AUD>', 'the "aud" claim')
    .option('--scope <SCOPES>', 'the "scope" claim (space-separated)')
    .option('--lifetime <DURATION>', 'time until "exp" (90s, 15min, 2h, 7d)', '1h')
    .option('--not-before <DURATION>', 'make the token valid only from this far in the future ("nbf")')
    .option('--expired', 'make a token that expired a minute ago')
    .option('--json', 'print {token, expiresAt} as one JSON document')
    .action(async function (this: Command, flags: OAuthTokenFlags) {
      const g = globalOptions(this);
      const jwt = await import('../../oauth/jwt.js');
      if (flags.newJwks !== undefined) {
        const { writeFileAtomic } = await import('../../roles/store.js');
        const doc = await jwt.newJwks(flags.kid ?? 'pgauth-test-key');
        await writeFileAtomic(flags.newJwks, Buffer.from(JSON.stringify(doc, null, 2) + '\n'), { mode: 0o600 });
        process.stderr.write(`pgauth: wrote a private ES256 JWKS to ${flags.newJwks}; give serve --oauth-jwks the same file (it uses only the public part)\n`);
        return;
      }
      if (flags.jwks === undefined) throw usageError('oauth-token: --jwks FILE is required (or --new-jwks FILE to make one)');
      if (flags.issuer === undefined) throw usageError('oauth-token: --issuer is required');
      if (flags.subject === undefined) throw usageError('oauth-token: --subject is required');
      const { readFileBounded } = await import('../../files/read-bounded.js');
      let jwks;
      try {
        jwks = jwt.parseJwks(readFileBounded(flags.jwks, jwt.MAX_JWKS_BYTES).toString('utf8'), `--jwks ${flags.jwks}`);
      } catch (e) {
        throw usageError(e instanceof jwt.JwksError ? e.message : `--jwks ${flags.jwks}: ${(e as Error).message}`);
      }
      const lifetime = flags.expired ? -60 : parseLifetime('--lifetime', flags.lifetime);
      let token: string;
      try {
        token = await jwt.mintToken({
          jwks,
          issuer: flags.issuer,
          subject: flags.subject,
          claim: flags.claim,
          lifetime,
          ...(flags.kid !== undefined ? { kid: flags.kid } : {}),
          ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
          ...(flags.scope !== undefined ? { scope: flags.scope } : {}),
          ...(flags.notBefore !== undefined ? { notBefore: parseLifetime('--not-before', flags.notBefore) } : {}),
        });
      } catch (e) {
        throw usageError(`--jwks ${flags.jwks}: ${(e as Error).message}`);
      }
      if (g.json || flags.json) printJson({ token, expiresAt: new Date(Date.now() + lifetime * 1000).toISOString() });
      else process.stdout.write(token + '\n');
    });
}
