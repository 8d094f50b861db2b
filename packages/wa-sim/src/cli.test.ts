import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSimControlClient } from './control/control-client.js';
import { createMemoryAuthState } from './client/memory-auth-state.js';
import { ensureBuilt, spawnSim, type SimProcess } from './testing/sim-process.js';
import { closedWith, connectClient, openClient } from './testing/test-client.js';
import { until } from './testing/until.js';

describe('wa-sim CLI in a child process, driven over the HTTP control API', () => {
  let dir: string;
  let proc: SimProcess | undefined;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'wa-sim-cli-'));
  }, 60_000);
  afterAll(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pairs by QR, sends, receipts, and survives a restart with its state file', async () => {
    const stateFile = join(dir, 'state.json');
    proc = await spawnSim(['--state-file', stateFile]);
    expect(Buffer.from(proc.info.root_public_key, 'base64')).toHaveLength(32);
    const control = new WaSimControlClient(proc.info.control_url);
    const target = () => ({
      wsUrl: proc!.info.ws_url,
      rootPublicKey: proc!.info.root_public_key,
      ...(proc!.info.media_ca_pem ? { mediaCaPem: proc!.info.media_ca_pem } : {}),
    });

    const phone = await control.createPhone({ name: 'Remote' });
    const bob = await control.createContact({ name: 'Bob' });
    const auth = createMemoryAuthState();
    const reg = connectClient(target(), auth);
    const qr = await until(() => reg.qrs()[0], 10_000, 'qr');
    const device = await control.scan(phone.number, qr);
    expect(await closedWith(reg)).toBe(515);

    let client = await openClient(target(), auth);
    const sent = await client.sock.sendMessage(bob.jid, { text: 'across processes' });
    const [msg] = await until(async () => {
      const m = await control.messages(bob.number);
      return m.length ? m : undefined;
    });
    expect(msg!.text).toBe('across processes');
    expect(msg!.id).toBe(sent!.key.id);
    await until(() =>
      client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === sent!.key.id),
    );
    await control.sendReceipt(sent!.key.id!, 'delivered');
    await until(() =>
      client.messageUpdates.find((u) => u.key.id === sent!.key.id && Number(u.update.status) === 3),
    );

    const inbound = await control.sendFromContact(
      bob.number,
      phone.number,
      'hi from the other process',
    );
    await until(() =>
      client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === inbound.id),
    );
    const fault = await control.disconnect(device.jid, { kind: 'stream-error', code: 503 });
    expect(fault.applied).toBe(true);
    expect(await closedWith(client)).toBe(503);
    expect((await control.counters()).dualConnections).toBe(0);

    // Restart the sim process: the paired device logs in again without re-pairing.
    await proc.stop();
    proc = await spawnSim(['--state-file', stateFile]);
    client = await openClient(target(), auth);
    expect(client.qrs()).toEqual([]);
    const again = await client.sock.sendMessage(bob.jid, { text: 'after restart' });
    await until(async () =>
      (await new WaSimControlClient(proc!.info.control_url).messages(bob.number)).find(
        (m) => m.id === again!.key.id,
      ),
    );
    client.end();
    await closedWith(client);
  });
});
