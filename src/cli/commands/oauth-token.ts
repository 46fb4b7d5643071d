/**
 * `pgauth oauth-token`: mints a test JWT signed by a private key of a JWKS
 * file, for `serve --oauth-jwks` (SPEC §9) or any validator that trusts the
 * key; `--new-jwks FILE` makes such a file. The token goes to stdout only.
 */
import { lazyAction, type CommandDefinition } from '../command.js';

export const oauthToken: CommandDefinition = {
  name: 'oauth-token',
  define: (program) =>
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
      .action(lazyAction(() => import('./oauth-token.action.js'))),
};
