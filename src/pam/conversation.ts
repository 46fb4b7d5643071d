/**
 * The PAM conversation and fail-delay callbacks, and the transactions they
 * answer for. libpam hands the callbacks back the appdata_ptr pgauth gave
 * pam_start: here a transaction id, looked up in `Transactions`.
 *
 * Facts this relies on are in shared/reference/pam-from-node.md (a thrown
 * exception in a callback returns 0, which is PAM_SUCCESS; memory PAM
 * free()s must come from libc).
 */
import koffi from 'koffi';
import { PAM_BUF_ERR, PAM_CONV_ERR, PAM_MSG_STYLE, PAM_SUCCESS } from './codes.js';
import type { PamJob, PamMessageStyle } from './job.js';
import type { Libpam } from './libpam.js';

/** Linux-PAM refuses more than this many messages in one call (PAM_MAX_NUM_MSG). */
const MAX_NUM_MSG = 32;
/** Messages kept per transaction, and characters kept per message: the report is bounded. */
const MAX_RECORDED_MESSAGES = 32;
const MAX_MESSAGE_CHARS = 512;
/** A stack that keeps calling the conversation is cut off. */
const MAX_CONVERSATION_CALLS = 16;
/** Passwords shorter than this are not searched for in module messages (every text would match). */
const MIN_REDACT_LENGTH = 3;

const STYLE_NAMES: Record<number, PamMessageStyle> = {
  [PAM_MSG_STYLE.PROMPT_ECHO_OFF]: 'prompt-echo-off',
  [PAM_MSG_STYLE.PROMPT_ECHO_ON]: 'prompt-echo-on',
  [PAM_MSG_STYLE.ERROR_MSG]: 'error',
  [PAM_MSG_STYLE.TEXT_INFO]: 'info',
};

/** What one transaction's callbacks saw. */
export interface Transaction {
  job: PamJob;
  messages: { style: PamMessageStyle; text: string }[];
  calls: number;
  failDelay: { status: number; usec: number } | null;
}

/** The transactions in flight, by the id passed to libpam as appdata_ptr. */
export class Transactions {
  private readonly pending = new Map<bigint, Transaction>();
  private nextId = 1n;

  /** A new id; with a job, a transaction the callbacks will find under it. */
  open(job: PamJob): { id: bigint; tx: Transaction };
  open(job: PamJob | null): { id: bigint; tx: Transaction | null };
  open(job: PamJob | null): { id: bigint; tx: Transaction | null } {
    const id = this.nextId++;
    const tx: Transaction | null = job ? { job, messages: [], calls: 0, failDelay: null } : null;
    if (tx) this.pending.set(id, tx);
    return { id, tx };
  }

  /** The transaction an appdata_ptr belongs to, if any. */
  find(appdata: unknown): Transaction | undefined {
    return typeof appdata === 'bigint' ? this.pending.get(appdata) : undefined;
  }

  close(id: bigint): void {
    this.pending.delete(id);
  }
}

/** Keeps a module's message for the report: bounded, and never with the password in it. */
function record(tx: Transaction, style: PamMessageStyle, raw: string): void {
  if (tx.messages.length >= MAX_RECORDED_MESSAGES) return;
  let text = raw.length > MAX_MESSAGE_CHARS ? raw.slice(0, MAX_MESSAGE_CHARS) + '…' : raw;
  // A module could echo what it was given; the password is never recorded.
  const pw = tx.job.password;
  if (pw.length >= MIN_REDACT_LENGTH && text.includes(pw)) text = text.split(pw).join('***');
  tx.messages.push({ style, text });
}

/** One answer: a C string for pam_response.resp (or null), or the code that refuses the conversation. */
type Answer = { resp: unknown } | { rc: number };

/** A strdup()ed copy, or PAM_BUF_ERR when libc is out of memory. */
const copy = (lib: Libpam, s: string): Answer => {
  const resp = lib.strdup(s);
  return resp ? { resp } : { rc: PAM_BUF_ERR };
};

/**
 * Answers one pam_message: PAM_PROMPT_ECHO_OFF with the password,
 * PAM_PROMPT_ECHO_ON with the user name, error and info messages with no
 * text (they are recorded for the report).
 */
function answerMessage(lib: Libpam, tx: Transaction, m: { msg_style: number; msg: string | null }): Answer {
  const style = STYLE_NAMES[m.msg_style];
  if (style === undefined) {
    // Radio and binary prompts have no sensible answer here: refuse, as PostgreSQL does.
    record(tx, 'error', `unsupported PAM conversation style ${m.msg_style}`);
    return { rc: PAM_CONV_ERR };
  }
  record(tx, style, m.msg ?? '');
  if (style === 'prompt-echo-off') {
    // PostgreSQL refuses an empty password in the conversation (recv_password_packet).
    return tx.job.password.length === 0 ? { rc: PAM_CONV_ERR } : copy(lib, tx.job.password);
  }
  if (style === 'prompt-echo-on') return copy(lib, tx.job.user);
  return { resp: null };
}

/**
 * Reads message `i` of a conversation call. Linux-PAM passes an array of
 * pointers to pam_message (not an array of structs). Each pointer is read on
 * its own: koffi 3.3's decode(ptr, type, length) leaks about 18 bytes of C
 * memory per call, which would grow the server by that much per login.
 */
function readMessage(lib: Libpam, msgPtr: unknown, i: number): { msg_style: number; msg: string | null } {
  const messagePtr = koffi.decode(msgPtr, i * lib.pointerSize, 'void *') as unknown;
  return koffi.decode(messagePtr, 'pam_message') as { msg_style: number; msg: string | null };
}

/**
 * The conversation function (PamConvFn). The response array and every
 * answer are calloc()/strdup()ed because PAM free()s them; on a refusal they
 * are freed here. Any exception is caught and becomes PAM_CONV_ERR: koffi
 * would otherwise return 0, which is PAM_SUCCESS.
 */
export function conversationFn(lib: Libpam, transactions: Transactions) {
  return function conversation(numMsg: number, msgPtr: unknown, respPtrPtr: unknown, appdata: unknown): number {
    let resp: unknown = null;
    const answers: unknown[] = [];
    const release = (): void => {
      for (const a of answers) if (a) lib.free(a);
      if (resp) lib.free(resp);
    };
    try {
      const tx = transactions.find(appdata);
      if (!tx || !msgPtr || !respPtrPtr) return PAM_CONV_ERR;
      if (numMsg <= 0 || numMsg > MAX_NUM_MSG) return PAM_CONV_ERR;
      if (++tx.calls > MAX_CONVERSATION_CALLS) return PAM_CONV_ERR;
      resp = lib.calloc(numMsg, lib.responseSize);
      if (!resp) return PAM_BUF_ERR;
      for (let i = 0; i < numMsg; i++) {
        const answer = answerMessage(lib, tx, readMessage(lib, msgPtr, i));
        if ('rc' in answer) {
          release();
          return answer.rc;
        }
        answers.push(answer.resp);
        koffi.encode(resp, i * lib.responseSize, 'pam_response', { resp: answer.resp, resp_retcode: 0 });
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
  };
}

/** The fail-delay function (PamDelayFn): libpam calls it instead of sleeping; the caller applies the delay in JS. */
export function failDelayFn(transactions: Transactions) {
  return function failDelay(status: number, usec: number, appdata: unknown): void {
    try {
      const tx = transactions.find(appdata);
      if (tx) tx.failDelay = { status, usec };
    } catch {
      // a void callback: nothing to report
    }
  };
}

/**
 * Calls a registered conversation through its C function pointer with the
 * given messages, exactly as libpam does (Linux-PAM's array of pointers),
 * then reads and free()s the answers. `job` null uses an appdata pointer
 * that belongs to no transaction.
 */
export function callConversation(
  lib: Libpam,
  transactions: Transactions,
  convPtr: unknown,
  job: PamJob | null,
  msgs: ReadonlyArray<{ style: number; text: string | null }>,
): { rc: number; responses: (string | null)[] | null; messages: { style: PamMessageStyle; text: string }[] } {
  const { id, tx } = transactions.open(job);
  const n = msgs.length;
  const owned: unknown[] = [];
  const alloc = (p: unknown): unknown => {
    if (!p) throw new Error('out of memory');
    owned.push(p);
    return p;
  };
  try {
    const structs = alloc(lib.calloc(Math.max(n, 1), lib.messageSize));
    const pointers = alloc(lib.calloc(Math.max(n, 1), lib.pointerSize));
    msgs.forEach((m, i) => {
      const text = m.text === null ? null : alloc(lib.strdup(m.text));
      koffi.encode(structs, i * lib.messageSize, 'pam_message_raw', { msg_style: m.style, msg: text });
      koffi.encode(pointers, i * lib.pointerSize, 'void *', (structs as bigint) + BigInt(i * lib.messageSize));
    });
    const out = alloc(lib.calloc(1, lib.pointerSize));
    const rc = koffi.call(convPtr, 'PamConvFn', n, pointers, out, id) as number;
    return { rc, responses: takeResponses(lib, out, n), messages: tx?.messages ?? [] };
  } finally {
    for (const p of owned.reverse()) lib.free(p);
    transactions.close(id);
  }
}

/** Reads the answers a conversation left in *out, and free()s them as PAM would. */
function takeResponses(lib: Libpam, out: unknown, n: number): (string | null)[] | null {
  const array = koffi.decode(out, 'void *') as unknown;
  if (!array) return null;
  const responses: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const r = koffi.decode(array, i * lib.responseSize, 'pam_response') as { resp: unknown };
    responses.push(r.resp ? koffi.decode.string(r.resp) : null);
    if (r.resp) lib.free(r.resp);
  }
  lib.free(array);
  return responses;
}
