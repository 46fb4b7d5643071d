/**
 * One PAM transaction as the worker thread receives it and reports it back:
 * plain data, so it crosses postMessage and is typed without loading koffi.
 */

/** One PAM transaction to run. Strings are already validated (no NUL, bounded). */
export interface PamJob {
  service: string;
  user: string;
  password: string;
  rhost?: string;
  confdir?: string;
}

export type PamMessageStyle = 'error' | 'info' | 'prompt-echo-on' | 'prompt-echo-off';

export interface PamJobStep {
  step: 'start' | 'authenticate' | 'acct_mgmt';
  code: number;
  text: string;
  ms: number;
}

export interface PamJobResult {
  steps: PamJobStep[];
  messages: { style: PamMessageStyle; text: string }[];
  /** What libpam asked for through the PAM_FAIL_DELAY callback (it never sleeps itself). */
  failDelay: { status: number; usec: number } | null;
  /** Set when pgauth itself could not run a step (e.g. no pam_start_confdir in an old libpam). */
  error?: string;
}
