/**
 * libpam and libc through koffi: the C types of PAM's calls, declared once
 * per thread, and the functions pgauth calls, with TypeScript signatures
 * (koffi 3: pointers are BigInt, `_Out_` parameters are one-element arrays).
 */
import koffi from 'koffi';

/** struct pam_conv as koffi encodes it: the registered callback and the transaction id. */
export interface PamConv {
  conv: unknown;
  appdata_ptr: bigint;
}

/** The C functions pgauth calls, and the sizes it needs to lay out PAM's arrays. */
export interface Libpam {
  pam_start(service: string, user: string, conv: PamConv, pamh: unknown[]): number;
  /** libpam >= 1.4 only; null in an older libpam (then --confdir cannot be used). */
  pam_start_confdir: ((service: string, user: string, conv: PamConv, confdir: string, pamh: unknown[]) => number) | null;
  pam_authenticate(pamh: unknown, flags: number): number;
  pam_acct_mgmt(pamh: unknown, flags: number): number;
  pam_end(pamh: unknown, status: number): number;
  pam_strerror(pamh: null, errnum: number): string | null;
  pam_set_item_str(pamh: unknown, itemType: number, item: string): number;
  pam_set_item_ptr(pamh: unknown, itemType: number, item: unknown): number;
  calloc(nmemb: number, size: number): unknown;
  strdup(s: string): unknown;
  free(ptr: unknown): void;
  /** sizeof(struct pam_response), sizeof(struct pam_message), sizeof(void *). */
  responseSize: number;
  messageSize: number;
  pointerSize: number;
}

let typesDeclared = false;

/** The C types, declared once for this thread (koffi refuses a second declaration). */
function declareTypes(): void {
  if (typesDeclared) return;
  koffi.opaque('pam_handle_t');
  koffi.struct('pam_message', { msg_style: 'int', msg: 'const char *' });
  // resp is void * on purpose: it holds a strdup()ed pointer that PAM free()s.
  koffi.struct('pam_response', { resp: 'void *', resp_retcode: 'int' });
  koffi.proto('int PamConvFn(int num_msg, void *msg, void *resp, void *appdata_ptr)');
  koffi.struct('pam_conv', { conv: 'PamConvFn *', appdata_ptr: 'void *' });
  koffi.proto('void PamDelayFn(int retval, unsigned int usec_delay, void *appdata_ptr)');
  // The same layout with a raw pointer, to build messages in C memory (callConversation()).
  koffi.struct('pam_message_raw', { msg_style: 'int', msg: 'void *' });
  typesDeclared = true;
}

/** Loads libpam and libc and looks up every function. Throws when libpam cannot be loaded. */
export function loadLibpam(): Libpam {
  const libpam = koffi.load('libpam.so.0');
  const libc = koffi.load('libc.so.6');
  declareTypes();
  let pam_start_confdir: Libpam['pam_start_confdir'] = null;
  try {
    // Looked up on its own so an older libpam still works without --confdir.
    pam_start_confdir = libpam.func(
      'int pam_start_confdir(const char *service_name, const char *user, const pam_conv *pam_conversation, const char *confdir, _Out_ pam_handle_t **pamh)',
    );
  } catch {
    pam_start_confdir = null;
  }
  return {
    pam_start: libpam.func(
      'int pam_start(const char *service_name, const char *user, const pam_conv *pam_conversation, _Out_ pam_handle_t **pamh)',
    ),
    pam_start_confdir,
    pam_authenticate: libpam.func('int pam_authenticate(pam_handle_t *pamh, int flags)'),
    pam_acct_mgmt: libpam.func('int pam_acct_mgmt(pam_handle_t *pamh, int flags)'),
    pam_end: libpam.func('int pam_end(pam_handle_t *pamh, int pam_status)'),
    pam_strerror: libpam.func('const char *pam_strerror(pam_handle_t *pamh, int errnum)'),
    pam_set_item_str: libpam.func('int pam_set_item(pam_handle_t *pamh, int item_type, const char *item)'),
    pam_set_item_ptr: libpam.func('int pam_set_item(pam_handle_t *pamh, int item_type, void *item)'),
    calloc: libc.func('void *calloc(size_t nmemb, size_t size)'),
    strdup: libc.func('void *strdup(const char *s)'),
    free: libc.func('void free(void *ptr)'),
    responseSize: koffi.sizeof('pam_response'),
    messageSize: koffi.sizeof('pam_message'),
    pointerSize: koffi.sizeof('void *'),
  };
}
