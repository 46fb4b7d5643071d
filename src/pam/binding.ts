/**
 * The FFI binding to the system's libpam through koffi (no native build
 * step): loads the library (libpam.ts), registers the conversation and
 * fail-delay callbacks once (conversation.ts), and runs one PAM transaction
 * synchronously (transaction.ts). The calls block, so this module is only
 * ever loaded inside a worker thread (see worker.ts); the event loop never
 * runs it.
 *
 * Facts this relies on are in shared/reference/pam-from-node.md (koffi 3:
 * pointers are BigInt; a thrown exception in a callback returns 0, which is
 * PAM_SUCCESS; memory PAM free()s must come from libc; the callback must be
 * registered, not transient).
 */
import koffi from 'koffi';
import { Transactions, callConversation, conversationFn, failDelayFn } from './conversation.js';
import type { PamJob, PamJobResult, PamMessageStyle } from './job.js';
import { loadLibpam } from './libpam.js';
import { runTransaction } from './transaction.js';

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

/**
 * Loads libpam and libc and registers the two callbacks (conversation and
 * fail delay) once for this thread. Throws when libpam cannot be loaded.
 */
export function openLibpam(): PamBinding {
  const lib = loadLibpam();
  const transactions = new Transactions();
  // One registration each for the life of the thread (koffi has a fixed number of slots).
  const callbacks = {
    conversation: koffi.register(conversationFn(lib, transactions), koffi.pointer('PamConvFn')),
    failDelay: koffi.register(failDelayFn(transactions), koffi.pointer('PamDelayFn')),
  };
  return {
    run: (job) => runTransaction(lib, callbacks, transactions, job),
    converse: (job, messages) => callConversation(lib, transactions, callbacks.conversation, job, messages),
  };
}
