/**
 * The FFI binding to the system's libpam through koffi (no native build
 * step), and one PAM transaction run synchronously: pam_start[_confdir],
 * pam_set_item(PAM_RHOST, PAM_FAIL_DELAY), pam_authenticate, pam_acct_mgmt,
 * pam_end. The calls block, so this module is only ever loaded inside a
 * worker thread (see worker.ts); the event loop never runs it.
 *
 * Facts this relies on are in shared/reference/pam-from-node.md (koffi 3:
 * pointers are BigInt; a thrown exception in a callback returns 0, which is
 * PAM_SUCCESS; memory PAM free()s must come from libc; the callback must be
 * registered, not transient).
 */
import { performance } from 'node:perf_hooks';
import koffi from 'koffi';
import {
  PAM_BUF_ERR,
  PAM_CONV_ERR,
  PAM_DISALLOW_NULL_AUTHTOK,
  PAM_ITEM,
  PAM_MSG_STYLE,
  PAM_SUCCESS,
} from './codes.js';

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

/** Linux-PAM refuses more than this many messages in one call (PAM_MAX_NUM_MSG). */
const MAX_NUM_MSG = 32;
/** Messages kept per transaction, and characters kept per message: the report is bounded. */
const MAX_RECORDED_MESSAGES = 32;
const MAX_MESSAGE_CHARS = 512;
/** A stack that keeps calling the conversation is cut off. */
const MAX_CONVERSATION_CALLS = 16;
/** Passwords shorter than this are not searched for in module messages (every text would match). */
const MIN_REDACT_LENGTH = 3;

interface Transaction {
  job: PamJob;
  messages: { style: PamMessageStyle; text: string }[];
  calls: number;
  failDelay: { status: number; usec: number } | null;
}

export interface PamBinding {
  run(job: PamJob): PamJobResult;
  /**
   * Calls the registered conversation through its C function pointer with
   * the given messages, exactly as libpam does (Linux-PAM's array of
   * pointers), then reads and free()s the answers. No stock module sends
   * several messages at once or an echo-on prompt once the user is set, so
   * this is how those paths are exercised. `job` null uses an appdata
   * pointer that belongs to no transaction.
   */
  converse(
    job: PamJob | null,
    messages: ReadonlyArray<{ style: number; text: string | null }>,
  ): { rc: number; responses: (string | null)[] | null; messages: { style: PamMessageStyle; text: string }[] };
}

const STYLE_NAMES: Record<number, PamMessageStyle> = {
  [PAM_MSG_STYLE.PROMPT_ECHO_OFF]: 'prompt-echo-off',
  [PAM_MSG_STYLE.PROMPT_ECHO_ON]: 'prompt-echo-on',
  [PAM_MSG_STYLE.ERROR_MSG]: 'error',
  [PAM_MSG_STYLE.TEXT_INFO]: 'info',
};

let typesDeclared = false;

/**
 * Loads libpam and libc and registers the two callbacks (conversation and
 * fail delay) once for this thread. Throws when libpam cannot be loaded.
 */
export function openLibpam(): PamBinding {
  const libpam = koffi.load('libpam.so.0');
  const libc = koffi.load('libc.so.6');

  if (!typesDeclared) {
    koffi.opaque('pam_handle_t');
    koffi.struct('pam_message', { msg_style: 'int', msg: 'const char *' });
    // resp is void * on purpose: it holds a strdup()ed pointer that PAM free()s.
    koffi.struct('pam_response', { resp: 'void *', resp_retcode: 'int' });
    koffi.proto('int PamConvFn(int num_msg, void *msg, void *resp, void *appdata_ptr)');
    koffi.struct('pam_conv', { conv: 'PamConvFn *', appdata_ptr: 'void *' });
    koffi.proto('void PamDelayFn(int retval, unsigned int usec_delay, void *appdata_ptr)');
    // The same layout with a raw pointer, to build messages in C memory (converse()).
    koffi.struct('pam_message_raw', { msg_style: 'int', msg: 'void *' });
    typesDeclared = true;
  }
  const responseSize = koffi.sizeof('pam_response');
  const messageSize = koffi.sizeof('pam_message');
  const pointerSize = koffi.sizeof('void *');

  const pam_start = libpam.func(
    'int pam_start(const char *service_name, const char *user, const pam_conv *pam_conversation, _Out_ pam_handle_t **pamh)',
  );
  // libpam >= 1.4 only: looked up lazily so an older libpam still works without --confdir.
  let pam_start_confdir: ReturnType<typeof libpam.func> | null = null;
  try {
    pam_start_confdir = libpam.func(
      'int pam_start_confdir(const char *service_name, const char *user, const pam_conv *pam_conversation, const char *confdir, _Out_ pam_handle_t **pamh)',
    );
  } catch {
    pam_start_confdir = null;
  }
  const pam_authenticate = libpam.func('int pam_authenticate(pam_handle_t *pamh, int flags)');
  const pam_acct_mgmt = libpam.func('int pam_acct_mgmt(pam_handle_t *pamh, int flags)');
  const pam_end = libpam.func('int pam_end(pam_handle_t *pamh, int pam_status)');
  const pam_strerror = libpam.func('const char *pam_strerror(pam_handle_t *pamh, int errnum)');
  const pam_set_item_str = libpam.func('int pam_set_item(pam_handle_t *pamh, int item_type, const char *item)');
  const pam_set_item_ptr = libpam.func('int pam_set_item(pam_handle_t *pamh, int item_type, void *item)');
  const calloc = libc.func('void *calloc(size_t nmemb, size_t size)');
  const strdup = libc.func('void *strdup(const char *s)');
  const free = libc.func('void free(void *ptr)');

  const pending = new Map<bigint, Transaction>();
  let nextId = 1n;

  const strerror = (code: number): string => {
    const s = pam_strerror(null, code) as string | null; // Linux-PAM ignores the handle
    return s ?? `PAM error ${code}`;
  };

  const record = (tx: Transaction, style: PamMessageStyle, raw: string): void => {
    if (tx.messages.length >= MAX_RECORDED_MESSAGES) return;
    let text = raw.length > MAX_MESSAGE_CHARS ? raw.slice(0, MAX_MESSAGE_CHARS) + '…' : raw;
    // A module could echo what it was given; the password is never recorded.
    const pw = tx.job.password;
    if (pw.length >= MIN_REDACT_LENGTH && text.includes(pw)) text = text.split(pw).join('***');
    tx.messages.push({ style, text });
  };

  /**
   * The conversation. Answers PAM_PROMPT_ECHO_OFF with the password,
   * PAM_PROMPT_ECHO_ON with the user name, and error/info messages with no
   * text (they are recorded for the report). The response array and every
   * answer are calloc()/strdup()ed because PAM free()s them. Any exception is
   * caught and becomes PAM_CONV_ERR: koffi would otherwise return 0, which is
   * PAM_SUCCESS.
   */
  function conversation(numMsg: number, msgPtr: unknown, respPtrPtr: unknown, appdata: unknown): number {
    let resp: unknown = null;
    const answers: unknown[] = [];
    const release = (): void => {
      for (const a of answers) if (a) free(a);
      if (resp) free(resp);
    };
    try {
      const tx = typeof appdata === 'bigint' ? pending.get(appdata) : undefined;
      if (!tx || !msgPtr || !respPtrPtr) return PAM_CONV_ERR;
      if (numMsg <= 0 || numMsg > MAX_NUM_MSG) return PAM_CONV_ERR;
      if (++tx.calls > MAX_CONVERSATION_CALLS) return PAM_CONV_ERR;
      resp = calloc(numMsg, responseSize);
      if (!resp) return PAM_BUF_ERR;
      for (let i = 0; i < numMsg; i++) {
        // Linux-PAM passes an array of pointers to pam_message (not an array of structs). Each
        // pointer is read on its own: koffi 3.3's decode(ptr, type, length) leaks about 18 bytes
        // of C memory per call, which would grow the server by that much per login.
        const messagePtr = koffi.decode(msgPtr, i * pointerSize, 'void *') as unknown;
        const m = koffi.decode(messagePtr, 'pam_message') as { msg_style: number; msg: string | null };
        const style = STYLE_NAMES[m.msg_style];
        if (style === undefined) {
          // Radio and binary prompts have no sensible answer here: refuse, as PostgreSQL does.
          record(tx, 'error', `unsupported PAM conversation style ${m.msg_style}`);
          release();
          return PAM_CONV_ERR;
        }
        record(tx, style, m.msg ?? '');
        let answer: unknown = null;
        if (style === 'prompt-echo-off') {
          // PostgreSQL refuses an empty password in the conversation (recv_password_packet).
          if (tx.job.password.length === 0) {
            release();
            return PAM_CONV_ERR;
          }
          answer = strdup(tx.job.password);
          if (!answer) {
            release();
            return PAM_BUF_ERR;
          }
        } else if (style === 'prompt-echo-on') {
          answer = strdup(tx.job.user);
          if (!answer) {
            release();
            return PAM_BUF_ERR;
          }
        }
        answers.push(answer);
        koffi.encode(resp, i * responseSize, 'pam_response', { resp: answer, resp_retcode: 0 });
      }
      koffi.encode(respPtrPtr, 'void *', resp); // *resp = array; PAM owns it from here
      return PAM_SUCCESS;
    } catch {
      try {
        release();
      } catch {
        // nothing more can be done; the answer is still a refusal
      }
      return PAM_CONV_ERR;
    }
  }

  /** libpam calls this instead of sleeping on a failure; the caller applies the delay in JS. */
  function failDelay(status: number, usec: number, appdata: unknown): void {
    try {
      const tx = typeof appdata === 'bigint' ? pending.get(appdata) : undefined;
      if (tx) tx.failDelay = { status, usec };
    } catch {
      // a void callback: nothing to report
    }
  }

  // One registration each for the life of the thread (koffi has a fixed number of slots).
  const convPtr = koffi.register(conversation, koffi.pointer('PamConvFn'));
  const delayPtr = koffi.register(failDelay, koffi.pointer('PamDelayFn'));

  function run(job: PamJob): PamJobResult {
    const id = nextId++;
    const tx: Transaction = { job, messages: [], calls: 0, failDelay: null };
    const steps: PamJobStep[] = [];
    const result = (error?: string): PamJobResult => ({
      steps,
      messages: tx.messages,
      failDelay: tx.failDelay,
      ...(error !== undefined ? { error } : {}),
    });
    pending.set(id, tx);
    let handle: unknown = null;
    let last = PAM_SUCCESS;
    try {
      const conv = { conv: convPtr, appdata_ptr: id };
      const out: unknown[] = [null];
      let t = performance.now();
      let rc: number;
      if (job.confdir !== undefined) {
        if (!pam_start_confdir) {
          return result('this libpam has no pam_start_confdir (it needs Linux-PAM 1.4 or newer), so a PAM configuration folder cannot be chosen');
        }
        rc = pam_start_confdir(job.service, job.user, conv, job.confdir, out) as number;
      } else {
        rc = pam_start(job.service, job.user, conv, out) as number;
      }
      handle = out[0] ?? null;
      if (rc === PAM_SUCCESS && handle !== null) {
        if (job.rhost !== undefined) {
          const r = pam_set_item_str(handle, PAM_ITEM.RHOST, job.rhost) as number;
          if (r !== PAM_SUCCESS) rc = r;
        }
      }
      if (rc === PAM_SUCCESS && handle !== null) {
        // Without this libpam would sleep the failure delay on this thread.
        const r = pam_set_item_ptr(handle, PAM_ITEM.FAIL_DELAY, delayPtr) as number;
        if (r !== PAM_SUCCESS) rc = r;
      }
      steps.push({ step: 'start', code: rc, text: strerror(rc), ms: performance.now() - t });
      last = rc;
      if (rc !== PAM_SUCCESS || handle === null) return result();

      t = performance.now();
      rc = pam_authenticate(handle, PAM_DISALLOW_NULL_AUTHTOK) as number;
      steps.push({ step: 'authenticate', code: rc, text: strerror(rc), ms: performance.now() - t });
      last = rc;
      if (rc !== PAM_SUCCESS) return result();

      t = performance.now();
      rc = pam_acct_mgmt(handle, 0) as number;
      steps.push({ step: 'acct_mgmt', code: rc, text: strerror(rc), ms: performance.now() - t });
      last = rc;
      return result();
    } finally {
      if (handle !== null) {
        try {
          pam_end(handle, last);
        } catch {
          // the outcome was decided already; pam_end only releases memory
        }
      }
      pending.delete(id);
    }
  }

  function converse(
    job: PamJob | null,
    msgs: ReadonlyArray<{ style: number; text: string | null }>,
  ): ReturnType<PamBinding['converse']> {
    const id = nextId++;
    const tx: Transaction | null = job ? { job, messages: [], calls: 0, failDelay: null } : null;
    if (tx) pending.set(id, tx);
    const n = msgs.length;
    const owned: unknown[] = [];
    const alloc = (p: unknown): unknown => {
      if (!p) throw new Error('out of memory');
      owned.push(p);
      return p;
    };
    try {
      const structs = alloc(calloc(Math.max(n, 1), messageSize));
      const pointers = alloc(calloc(Math.max(n, 1), pointerSize));
      msgs.forEach((m, i) => {
        const text = m.text === null ? null : alloc(strdup(m.text));
        koffi.encode(structs, i * messageSize, 'pam_message_raw', { msg_style: m.style, msg: text });
        koffi.encode(pointers, i * pointerSize, 'void *', (structs as bigint) + BigInt(i * messageSize));
      });
      const out = alloc(calloc(1, pointerSize));
      const rc = koffi.call(convPtr, 'PamConvFn', n, pointers, out, id) as number;
      let responses: (string | null)[] | null = null;
      const array = koffi.decode(out, 'void *') as unknown;
      if (array) {
        responses = [];
        for (let i = 0; i < n; i++) {
          const r = koffi.decode(array, i * responseSize, 'pam_response') as { resp: unknown };
          responses.push(r.resp ? koffi.decode.string(r.resp) : null);
          if (r.resp) free(r.resp);
        }
        free(array);
      }
      return { rc, responses, messages: tx?.messages ?? [] };
    } finally {
      for (const p of owned.reverse()) free(p);
      pending.delete(id);
    }
  }

  return { run, converse };
}
