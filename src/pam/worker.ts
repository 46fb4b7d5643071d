/**
 * Worker-thread entry: loads libpam once, then runs one PAM transaction per
 * message, synchronously, on this thread. The main thread's event loop and
 * the libuv threadpool (fs, crypto, dns) are never held by PAM.
 */
import { parentPort } from 'node:worker_threads';
import type { PamBinding } from './binding.js';
import type { PamJob, PamJobResult } from './job.js';

export type WorkerRequest = { id: number; job: PamJob };
export type WorkerReply =
  | { id: number; kind: 'done'; result: PamJobResult }
  /** libpam (or koffi) could not be loaded in this process. */
  | { id: number; kind: 'unavailable'; error: string }
  /** The transaction threw (an FFI error); never a success. */
  | { id: number; kind: 'failed'; error: string };

const port = parentPort;
if (port) {
  let binding: PamBinding | undefined;
  let loadError = '';
  try {
    const { openLibpam } = await import('./binding.js');
    binding = openLibpam();
  } catch (err) {
    loadError = err instanceof Error ? err.message : String(err);
  }
  port.on('message', (req: WorkerRequest) => {
    let reply: WorkerReply;
    if (!binding) {
      reply = { id: req.id, kind: 'unavailable', error: `cannot load libpam: ${loadError}` };
    } else {
      try {
        reply = { id: req.id, kind: 'done', result: binding.run(req.job) };
      } catch (err) {
        reply = { id: req.id, kind: 'failed', error: err instanceof Error ? err.message : String(err) };
      }
    }
    port.postMessage(reply);
  });
}
