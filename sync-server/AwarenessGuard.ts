import type { beforeHandleAwarenessPayload, Connection, Extension } from '@hocuspocus/server';
import { KIOSK_PRESENCE, readKioskPresence } from '../shared/kioskPresence';
import type { ConnectionContext } from './AccessControl';

export type AwarenessDrop = 'oversized' | 'other-client' | 'not-a-kiosk-state';

export interface AwarenessGuardConfiguration {
  /**
   * Largest awareness state accepted from one client, bytes of JSON. Default 1 KiB: a kiosk's
   * state is under 120 B; anything larger is dropped whole.
   */
  maxStateBytes: number;
  /** Called for every state dropped (metrics). */
  onDropped: (reason: AwarenessDrop) => void;
}

/**
 * Awareness by role ([W6]). Awareness is relayed to every client of a document and never
 * stored; dashboards show kiosks' announced pending counts from it. So the server rebuilds what
 * it relays:
 *
 * - a connection speaks for one Yjs client id only (the first it announces); states it sends for
 *   other client ids are dropped;
 * - a kiosk's state keeps only its typed status (`readKioskPresence`), with the device id taken
 *   from its token, so no kiosk can speak for another;
 * - staff and viewers publish an empty state: nothing they send is shown as a kiosk;
 * - a state over `maxStateBytes` is dropped whole.
 */
export class AwarenessGuard implements Extension {
  extensionName = 'AwarenessGuard';
  private readonly configuration: AwarenessGuardConfiguration;
  private readonly clientOf = new WeakMap<Connection, number>();

  constructor(configuration: Partial<AwarenessGuardConfiguration> = {}) {
    this.configuration = { maxStateBytes: 1024, onDropped: () => {}, ...configuration };
  }

  async beforeHandleAwareness({
    states,
    context,
    connection,
  }: beforeHandleAwarenessPayload<ConnectionContext>): Promise<void> {
    // Server-internal changes carry no connection.
    if (!connection || !context) return;
    // Hocuspocus (4.7, pinned) decodes each message into a scratch Awareness, whose constructor
    // puts its own random client with an empty state first in `states`. It is not the sender:
    // relayed, it would add a stray client to every dashboard on every message.
    const scratch = states.keys().next();
    if (!scratch.done) states.delete(scratch.value);
    for (const [client, state] of states) {
      const own = this.clientOf.get(connection);
      if (own === undefined) this.clientOf.set(connection, client);
      else if (own !== client) {
        this.drop(states, client, 'other-client');
        continue;
      }
      if (sizeOf(state) > this.configuration.maxStateBytes) {
        this.drop(states, client, 'oversized');
        continue;
      }
      if (context.principal.role !== 'kiosk') {
        states.set(client, {});
        continue;
      }
      const presence = readKioskPresence(state[KIOSK_PRESENCE]);
      if (presence === null) {
        if (state[KIOSK_PRESENCE] !== undefined) this.configuration.onDropped('not-a-kiosk-state');
        states.set(client, {});
        continue;
      }
      states.set(client, {
        [KIOSK_PRESENCE]: { ...presence, deviceId: context.principal.subject },
      });
    }
  }

  private drop(
    states: Map<number, Record<string, unknown>>,
    client: number,
    reason: AwarenessDrop,
  ): void {
    states.delete(client);
    this.configuration.onDropped(reason);
  }
}

function sizeOf(state: unknown): number {
  try {
    return JSON.stringify(state)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
