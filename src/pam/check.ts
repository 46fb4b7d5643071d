/**
 * `pgauth pam-check`: one PAM transaction, as the server would run it, turned
 * into a report (collect here, render in the CLI). The report never holds
 * the password.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pamAuthenticate, type PamOutcome } from './index.js';

export interface PamCheckOptions {
  service: string;
  user: string;
  password: string;
  confdir?: string;
  rhost?: string;
}

export interface PamCheckReport extends PamOutcome {
  service: string;
  user: string;
  /** null: the system's /etc/pam.d */
  confdir: string | null;
  rhost: string | null;
  /** A sentence that says what to fix, for configuration errors. */
  hint: string | null;
}

/** Why a configuration error happened, in words a person can act on. */
export function pamHint(o: Pick<PamOutcome, 'result' | 'text' | 'configError' | 'steps'>, service: string, confdir: string | null): string | null {
  if (!o.configError) return null;
  const dir = confdir ?? '/etc/pam.d';
  if (o.result === 'PAM_MODULE_UNKNOWN' || o.result === 'PAM_OPEN_ERR' || o.result === 'PAM_SYMBOL_ERR') {
    return `a module named in ${join(dir, service)} cannot be loaded; check the module names (ls /usr/lib/*/security/)`;
  }
  if (o.steps.length === 1 && o.steps[0]?.step === 'start') {
    if (confdir !== null) {
      if (!existsSync(confdir) || !statSync(confdir).isDirectory()) return `the PAM configuration folder ${confdir} does not exist`;
      // libpam keeps only the part after the last '/' of a service name.
      const base = service.split('/').at(-1) ?? service;
      if (!existsSync(join(confdir, base)) && !existsSync(join(confdir, 'other'))) {
        return `there is no service file ${join(confdir, base)} (and no ${join(confdir, 'other')} to fall back to)`;
      }
      return `libpam could not read ${join(confdir, base)}`;
    }
    return `PAM could not start service "${service}": is there a file /etc/pam.d/${service} (or /etc/pam.d/other)?`;
  }
  if (o.result === 'PGAUTH_LIBPAM_UNAVAILABLE' && o.text.startsWith('cannot load libpam')) {
    return 'install libpam (Debian: apt-get install libpam0g libpam-modules)';
  }
  return null;
}

export async function runPamCheck(opts: PamCheckOptions): Promise<PamCheckReport> {
  const outcome = await pamAuthenticate({
    service: opts.service,
    user: opts.user,
    password: opts.password,
    ...(opts.confdir !== undefined ? { confdir: opts.confdir } : {}),
    ...(opts.rhost !== undefined ? { rhost: opts.rhost } : {}),
  });
  const confdir = opts.confdir ?? null;
  return {
    service: opts.service,
    user: opts.user,
    confdir,
    rhost: opts.rhost ?? null,
    ...outcome,
    hint: pamHint(outcome, opts.service, confdir),
  };
}
