/**
 * One PAM transaction run synchronously, one function per PAM call:
 * pam_start[_confdir] with pam_set_item(PAM_RHOST, PAM_FAIL_DELAY),
 * pam_authenticate, pam_acct_mgmt, and always pam_end.
 */
import { performance } from 'node:perf_hooks';
import { PAM_DISALLOW_NULL_AUTHTOK, PAM_ITEM, PAM_SUCCESS } from './codes.js';
import type { Transactions } from './conversation.js';
import type { PamJob, PamJobResult, PamJobStep } from './job.js';
import type { Libpam } from './libpam.js';

/** The registered callbacks' C pointers (koffi.register), passed to libpam. */
export interface Callbacks {
  conversation: unknown;
  failDelay: unknown;
}

const NO_CONFDIR =
  'this libpam has no pam_start_confdir (it needs Linux-PAM 1.4 or newer), so a PAM configuration folder cannot be chosen';

/**
 * pam_start (pam_start_confdir with a confdir), then the items PostgreSQL
 * sets: PAM_RHOST, and PAM_FAIL_DELAY so libpam does not sleep the failure
 * delay on this thread. The code is the first that is not PAM_SUCCESS.
 */
function pamStart(lib: Libpam, callbacks: Callbacks, job: PamJob, id: bigint): { handle: unknown; code: number } {
  const conv = { conv: callbacks.conversation, appdata_ptr: id };
  const out: unknown[] = [null];
  // runTransaction refuses a confdir before this when libpam has no pam_start_confdir.
  let code =
    job.confdir === undefined
      ? lib.pam_start(job.service, job.user, conv, out)
      : lib.pam_start_confdir!(job.service, job.user, conv, job.confdir, out);
  const handle = out[0] ?? null;
  if (code === PAM_SUCCESS && handle !== null && job.rhost !== undefined) {
    code = lib.pam_set_item_str(handle, PAM_ITEM.RHOST, job.rhost);
  }
  if (code === PAM_SUCCESS && handle !== null) {
    code = lib.pam_set_item_ptr(handle, PAM_ITEM.FAIL_DELAY, callbacks.failDelay);
  }
  return { handle, code };
}

/** pam_end: releases the handle; the outcome was decided already, so a failure here changes nothing. */
function pamEnd(lib: Libpam, handle: unknown, status: number): void {
  if (handle === null) return;
  try {
    lib.pam_end(handle, status);
  } catch {
    // pam_end only releases memory
  }
}

/** A step's report: its code, pam_strerror's text, and how long it took since `since`. */
function stepReport(lib: Libpam, step: PamJobStep['step'], code: number, since: number): PamJobStep {
  const text = lib.pam_strerror(null, code) ?? `PAM error ${code}`; // Linux-PAM ignores the handle
  return { step, code, text, ms: performance.now() - since };
}

/** Runs one transaction: every step until the first that fails, then pam_end with the last code. */
export function runTransaction(lib: Libpam, callbacks: Callbacks, transactions: Transactions, job: PamJob): PamJobResult {
  const { id, tx } = transactions.open(job);
  const steps: PamJobStep[] = [];
  const result = (error?: string): PamJobResult => ({
    steps,
    messages: tx.messages,
    failDelay: tx.failDelay,
    ...(error !== undefined ? { error } : {}),
  });
  let handle: unknown = null;
  let last = PAM_SUCCESS;
  const step = (name: PamJobStep['step'], call: () => number): number => {
    const since = performance.now();
    last = call();
    steps.push(stepReport(lib, name, last, since));
    return last;
  };
  try {
    if (job.confdir !== undefined && !lib.pam_start_confdir) return result(NO_CONFDIR);
    const started = step('start', () => {
      const s = pamStart(lib, callbacks, job, id);
      handle = s.handle;
      return s.code;
    });
    if (started !== PAM_SUCCESS || handle === null) return result();
    if (step('authenticate', () => lib.pam_authenticate(handle, PAM_DISALLOW_NULL_AUTHTOK)) !== PAM_SUCCESS) return result();
    step('acct_mgmt', () => lib.pam_acct_mgmt(handle, 0));
    return result();
  } finally {
    pamEnd(lib, handle, last);
    transactions.close(id);
  }
}
