import { DEFAULT_CONNECTION_CONFIG, type SocketConfig } from '@whiskeysockets/baileys';

type MakeSignalRepository = SocketConfig['makeSignalRepository'];

/**
 * Per Signal address, the end of the chain of session operations running in this process. Module
 * state on purpose: libsignal's job queue, which this works around, is module state too.
 */
const tails = new Map<string, Promise<void>>();

/**
 * Runs `operation` once no other operation on `address` is running in this process, in the
 * caller's own async context. When it settles, libsignal's queue for the address has already
 * drained (its executor removes the bucket before the job's awaiter resumes), so the next
 * operation starts a fresh executor in its own context.
 */
async function alone<T>(address: string, operation: () => Promise<T>): Promise<T> {
  const previous = tails.get(address);
  let finished!: () => void;
  const mine = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const tail = previous ? previous.then(() => mine) : mine;
  tails.set(address, tail);
  try {
    if (previous) await previous;
    return await operation();
  } finally {
    finished();
    if (tails.get(address) === tail) tails.delete(address);
  }
}

/**
 * Baileys' libsignal repository with each session operation (encrypt, decrypt, inject) running
 * alone per Signal address across every socket of the process. Pass as `makeSignalRepository`.
 *
 * Why: libsignal serialises session jobs in a process-wide queue per address (`queue_job.js`) and
 * runs every queued job inside the async context of whichever call started the queue. Baileys
 * keeps its key-store transaction in an AsyncLocalStorage, so when several sockets talk to the
 * same contact, one socket's encryption can run inside another socket's context (it then bypasses
 * its own transaction) or inside its own *earlier, already committed* transaction, whose cache
 * takes the updated session and is never written again. The stored session then lags behind what
 * was sent, and the next send from a fresh context reuses message counters: the recipient fails
 * with "Key used already or never filled" and the message is lost.
 */
export const makeIsolatedSignalRepository: MakeSignalRepository = (auth, logger, pnToLID) => {
  const repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository(auth, logger, pnToLID);
  const inOrder = <T>(jid: string, operation: () => Promise<T>): Promise<T> => {
    let address: string;
    try {
      address = repository.jidToSignalProtocolAddress(jid);
    } catch {
      // Not an address libsignal could queue on: the operation itself reports the bad jid.
      return operation();
    }
    return alone(address, operation);
  };
  return {
    ...repository,
    encryptMessage: (opts) => inOrder(opts.jid, () => repository.encryptMessage(opts)),
    decryptMessage: (opts) => inOrder(opts.jid, () => repository.decryptMessage(opts)),
    injectE2ESession: (opts) => inOrder(opts.jid, () => repository.injectE2ESession(opts)),
  };
};
