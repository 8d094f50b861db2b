import type { Keys, RedisClient } from '@wafleet/redis';
import type { WaSimControlClient } from '@wafleet/wa-sim';
import { apiErrors } from '../errors.js';

/**
 * The no-phone demo: a simulated phone per session (created on first use, remembered in Redis)
 * scans the session's QR through the wa-sim control API. Only built when WA_SIM_CONTROL_URL is
 * set, which the config refuses with NODE_ENV=production; the sim package is loaded lazily, so a
 * production api never even imports it.
 */
export class SimDemo {
  private client: WaSimControlClient | undefined;

  constructor(
    private readonly controlUrl: string,
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** The simulated phone of the session scans `qr`; resolves with the phone's number. */
  async scan(sessionId: string, qr: string): Promise<{ phone: string }> {
    const control = await this.control();
    try {
      let phone = await this.redis.get(this.keys.demoPhone(sessionId));
      if (!phone) {
        phone = (await control.createPhone({ name: `Demo phone of ${sessionId}` })).number;
        await this.redis.set(this.keys.demoPhone(sessionId), phone);
      }
      await control.scan(phone, qr);
      return { phone };
    } catch (err) {
      throw apiErrors.create('DEMO_FAILED', { reason: (err as Error).message }, { cause: err });
    }
  }

  private async control(): Promise<WaSimControlClient> {
    if (!this.client) {
      const { WaSimControlClient } = await import('@wafleet/wa-sim');
      this.client = new WaSimControlClient(this.controlUrl);
    }
    return this.client;
  }
}
