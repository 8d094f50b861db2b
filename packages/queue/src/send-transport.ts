import type { SendJob } from './send-job.schema.js';

/** What a successful send returns; also the BullMQ job's return value. */
export interface SendResult {
  /** The WhatsApp message id (the job's derived id). */
  readonly messageId: string;
  /** When the server acknowledged the message, epoch ms. */
  readonly sentAt: number;
  /** Cloud API sessions: the Graph message id (`wamid.…`) the message got. */
  readonly providerMessageId?: string;
}

/** Per-call context a transport gets with each send. */
export interface SendContext {
  /** Aborted when the ack timeout fires: stop waiting, the job is retried with the same id. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
}

/**
 * The one thing the send consumer needs from a session: a way to send, and whether it can send
 * right now. Baileys sessions and Cloud API sessions both implement it.
 */
export interface SendTransport {
  /**
   * Sends `job.content` to `job.to` using `job.messageId` as the WhatsApp message id, and
   * resolves once the server acknowledged it. Throws `SendError` with a reason on failure.
   */
  send(job: SendJob, context: SendContext): Promise<SendResult>;
  /** True while the session is connected and may send. */
  isOpen(): boolean;
  /** Calls `listener` whenever `isOpen()` changes; returns an unsubscribe function. */
  onOpenChange(listener: (open: boolean) => void): () => void;
}
