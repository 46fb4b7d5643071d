/**
 * A small pool of worker threads that run PAM transactions, with a cap on
 * concurrent transactions and a bounded queue. Idle workers are unref()ed so
 * they never keep the process alive; a busy one is ref()ed so a pending
 * login does.
 */
import { Worker } from 'node:worker_threads';
import type { PamJob } from './job.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

interface Task {
  id: number;
  job: PamJob;
  resolve: (reply: WorkerReply) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  idleTimer: NodeJS.Timeout | null;
}

export interface PoolLimits {
  /** Transactions running at once (one worker thread each). */
  maxThreads: number;
  /** Transactions waiting for a thread; beyond this a request is refused at once. */
  maxQueue: number;
  /** An idle thread is stopped after this long (each holds about 10 MB). */
  idleMs: number;
}

/** The error of a job dropped from the queue because its caller gave up. */
export const CANCELLED = 'cancelled: the caller gave up before a PAM thread was free';

export class PamWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly workerUrl: URL,
    private limits: PoolLimits,
  ) {}

  setLimits(limits: PoolLimits): void {
    this.limits = limits;
    this.pump();
  }

  /** Transactions running on a thread now. */
  get busy(): number {
    return this.slots.filter((s) => s.task !== null).length;
  }

  /** Threads started so far (for tests and logs). */
  get threads(): number {
    return this.slots.length;
  }

  /**
   * Runs a job; resolves with the worker's reply, or 'failed' when the queue
   * is full or the worker dies. An aborted `signal` drops a job that is still
   * waiting for a thread (answered 'failed' with CANCELLED); one already on a
   * thread runs to its end, since native code cannot be interrupted.
   */
  run(job: PamJob, signal?: AbortSignal): Promise<WorkerReply> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      if (this.closed) {
        resolve({ id, kind: 'failed', error: 'the PAM worker pool is closed' });
        return;
      }
      if (signal?.aborted) {
        resolve({ id, kind: 'failed', error: CANCELLED });
        return;
      }
      const onAbort = () => {
        const at = this.queue.indexOf(task);
        if (at < 0) return; // already on a thread
        this.queue.splice(at, 1);
        resolve({ id, kind: 'failed', error: CANCELLED });
      };
      const task: Task = {
        id,
        job,
        resolve: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(task);
      this.pump();
      // Bound what waits, not what runs: with a free thread even maxQueue 0 runs the job.
      if (this.queue.length > this.limits.maxQueue && this.queue.at(-1) === task) {
        this.queue.pop();
        task.resolve({ id, kind: 'failed', error: `too many PAM requests waiting (${this.limits.maxQueue})` });
      }
    });
  }

  /** Stops every worker; queued requests are answered 'failed'. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ id: t.id, kind: 'failed', error: 'the PAM worker pool is closed' });
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map(async (s) => {
        const t = s.task;
        s.task = null;
        // Answer first: a thread blocked in a module only stops once the module returns.
        t?.resolve({ id: t.id, kind: 'failed', error: 'the PAM worker pool is closed' });
        await s.worker.terminate();
      }),
    );
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot) {
        if (this.slots.length >= this.limits.maxThreads) return;
        try {
          slot = this.spawn();
        } catch (err) {
          // pump() also runs from worker events: a failure here must not become an uncaught exception.
          const why = err instanceof Error ? err.message : String(err);
          for (const t of this.queue.splice(0)) t.resolve({ id: t.id, kind: 'failed', error: `cannot start a PAM worker thread: ${why}` });
          return;
        }
      }
      const task = this.queue.shift()!;
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
      slot.task = task;
      slot.worker.ref();
      const req: WorkerRequest = { id: task.id, job: task.job };
      slot.worker.postMessage(req);
    }
  }

  private spawn(): Slot {
    // No inherited execArgv: `node -e CODE` would hand its -e CODE to the thread, and the pool
    // needs no loader or flag of the parent.
    const worker = new Worker(this.workerUrl, { execArgv: [] });
    const slot: Slot = { worker, task: null, idleTimer: null };
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.task;
      if (!task || task.id !== reply.id) return;
      slot.task = null;
      // Workers beyond a lowered cap are retired when they become idle.
      if (this.slots.length > this.limits.maxThreads) {
        this.remove(slot);
        void worker.terminate();
      } else {
        worker.unref();
        slot.idleTimer = setTimeout(() => {
          slot.idleTimer = null;
          if (slot.task !== null) return;
          this.remove(slot);
          void worker.terminate();
        }, this.limits.idleMs);
        slot.idleTimer.unref();
      }
      task.resolve(reply);
      this.pump();
    });
    const died = (why: string): void => {
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      this.remove(slot);
      const task = slot.task;
      slot.task = null;
      task?.resolve({ id: task.id, kind: 'failed', error: `PAM worker thread ${why}` });
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => died(`failed: ${err.message}`));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }
}
