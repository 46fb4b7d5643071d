/** `pgauth oauth-token`: a new JWKS file, or a token signed by a key of one. */
import type { Command } from 'commander';
import { globalOptions, printJson } from '../context.js';
import { usageError } from '../errors.js';
import { parseLifetime } from '../flags.js';
import * as jwt from '../../oauth/jwt.js';
import { writeFileAtomic } from '../../files/atomic-write.js';
import { readFileBounded } from '../../files/read-bounded.js';

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

export async function run(flags: OAuthTokenFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  if (flags.newJwks !== undefined) {
    const doc = await jwt.newJwks(flags.kid ?? 'pgauth-test-key');
    await writeFileAtomic(flags.newJwks, Buffer.from(JSON.stringify(doc, null, 2) + '\n'), { mode: 0o600 });
    process.stderr.write(`pgauth: wrote a private ES256 JWKS to ${flags.newJwks}; give serve --oauth-jwks the same file (it uses only the public part)\n`);
    return;
  }
  if (flags.jwks === undefined) throw usageError('oauth-token: --jwks FILE is required (or --new-jwks FILE to make one)');
  if (flags.issuer === undefined) throw usageError('oauth-token: --issuer is required');
  if (flags.subject === undefined) throw usageError('oauth-token: --subject is required');
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
}
