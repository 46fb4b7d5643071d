/** PostgreSQL's auth_failed() texts, one per method (auth.c), for every exchange to share. */
import { fatal } from '../errors.js';

/** PostgreSQL's auth_failed() message for a method. */
export function methodFailure(method: string, user: string, logDetail?: string) {
  const opts = logDetail !== undefined ? { logDetail } : {};
  switch (method) {
    case 'password':
    case 'md5':
    case 'scram-sha-256':
      return fatal('28P01', `password authentication failed for user "${user}"`, opts);
    case 'trust':
      return fatal('28000', `"trust" authentication failed for user "${user}"`, opts);
    case 'pam':
      return fatal('28000', `PAM authentication failed for user "${user}"`, opts);
    case 'cert':
      return fatal('28000', `certificate authentication failed for user "${user}"`, opts);
    case 'oauth':
      return fatal('28000', `OAuth bearer authentication failed for user "${user}"`, opts);
    default:
      return fatal('28000', `authentication failed for user "${user}"`, opts);
  }
}
