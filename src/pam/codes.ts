/**
 * Linux-PAM constants (security/_pam_types.h). Return codes are kept as a
 * table from number to name so outcomes carry the documented names
 * (`PAM_AUTH_ERR`), never bare numbers.
 */

/** Return codes of the pam_* functions, by value (Linux-PAM). */
export const PAM_RESULT_NAMES = [
  'PAM_SUCCESS', // 0
  'PAM_OPEN_ERR', // 1: dlopen() of a module failed
  'PAM_SYMBOL_ERR', // 2
  'PAM_SERVICE_ERR', // 3
  'PAM_SYSTEM_ERR', // 4
  'PAM_BUF_ERR', // 5
  'PAM_PERM_DENIED', // 6
  'PAM_AUTH_ERR', // 7
  'PAM_CRED_INSUFFICIENT', // 8
  'PAM_AUTHINFO_UNAVAIL', // 9
  'PAM_USER_UNKNOWN', // 10
  'PAM_MAXTRIES', // 11
  'PAM_NEW_AUTHTOK_REQD', // 12
  'PAM_ACCT_EXPIRED', // 13
  'PAM_SESSION_ERR', // 14
  'PAM_CRED_UNAVAIL', // 15
  'PAM_CRED_EXPIRED', // 16
  'PAM_CRED_ERR', // 17
  'PAM_NO_MODULE_DATA', // 18
  'PAM_CONV_ERR', // 19
  'PAM_AUTHTOK_ERR', // 20
  'PAM_AUTHTOK_RECOVERY_ERR', // 21
  'PAM_AUTHTOK_LOCK_BUSY', // 22
  'PAM_AUTHTOK_DISABLE_AGING', // 23
  'PAM_TRY_AGAIN', // 24
  'PAM_IGNORE', // 25
  'PAM_ABORT', // 26
  'PAM_AUTHTOK_EXPIRED', // 27
  'PAM_MODULE_UNKNOWN', // 28
  'PAM_BAD_ITEM', // 29
  'PAM_CONV_AGAIN', // 30
  'PAM_INCOMPLETE', // 31
] as const;

export type PamResultName = (typeof PAM_RESULT_NAMES)[number];

export const PAM_SUCCESS = 0;
export const PAM_BUF_ERR = 5;
export const PAM_CONV_ERR = 19;

/** The name of a PAM return code; unknown values keep their number visible. */
export function pamResultName(code: number): string {
  return PAM_RESULT_NAMES[code] ?? `PAM_UNKNOWN_${code}`;
}

/** pam_message.msg_style values (Linux-PAM; 5 and 7 are Linux-PAM extensions). */
export const PAM_MSG_STYLE = {
  PROMPT_ECHO_OFF: 1,
  PROMPT_ECHO_ON: 2,
  ERROR_MSG: 3,
  TEXT_INFO: 4,
  RADIO_TYPE: 5,
  BINARY_PROMPT: 7,
} as const;

/** pam_set_item() item types used here. */
export const PAM_ITEM = {
  RHOST: 4,
  FAIL_DELAY: 10,
} as const;

/** Flag for pam_authenticate(): refuse an empty authentication token. */
export const PAM_DISALLOW_NULL_AUTHTOK = 0x0001;

/**
 * Results that mean "the PAM configuration is broken", not "this person was
 * refused": a module that cannot be loaded or found. pam_start failing (no
 * service file, no `other` file, unreadable confdir) is a configuration error
 * too; that is decided by the step, not the code.
 */
export const PAM_CONFIG_ERROR_RESULTS: ReadonlySet<string> = new Set(['PAM_OPEN_ERR', 'PAM_SYMBOL_ERR', 'PAM_MODULE_UNKNOWN']);
