/**
 * A busy day already open: before anyone else connects, one kiosk of site 0 writes `entries`
 * check-ins into today's document, 500 to a transaction (one update each), each acknowledged by
 * the server before the next. Its client stays connected for the round: the relay keeps nothing
 * once a document's last client leaves.
 */
import { recordEvent } from '../../shared/checkinsDoc';
import { newEventId } from '../../shared/eventId';
import { waitFor } from '../versionServers';
import { type Client, connectClient } from './clients';
import type { Credential } from './servers';

/** Entries per transaction: ~30 KB updates, well inside either server's message limit. */
const CHUNK = 500;

export async function seedDay(
  ws: string,
  docName: string,
  seeder: Credential,
  entries: number,
): Promise<Client> {
  const client = connectClient(ws, docName, seeder.token);
  try {
    await client.synced;
    const writer = { role: 'kiosk' as const, id: seeder.deviceId };
    for (let from = 0; from < entries; from += CHUNK) {
      client.doc.transact(() => {
        for (let i = from; i < Math.min(entries, from + CHUNK); i++) {
          const at = Date.now();
          recordEvent(
            client.doc,
            writer,
            { kind: 'checkIn', memberId: `S${i}` },
            { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
          );
        }
      });
      await waitFor(
        () => !client.provider.hasUnsyncedChanges,
        `seeded entries ${from + 1}–${from + CHUNK} to be acknowledged`,
        60_000,
      );
    }
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}
