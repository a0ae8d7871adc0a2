import type * as Y from 'yjs';
import type { ApiError } from '../../../shared/apiProtocol';
import { checkinsDocName } from '../../../shared/docName';
import type { CreatedWebhookAnswer, WebhookPayload } from '../../../shared/integrationProtocol';
import type { WebhookEvent } from '../../../shared/integrations';
import { localDayOf } from '../../../shared/localTime';
import {
  type Client,
  connect,
  pairKiosk,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  ZONE,
} from '../../testing/testServer';
import type { WebhookSenderPolicy } from '../WebhookSender';
import type { Received } from './webhookReceiver';

/** A store is recorded within the document debounce (`STORE_CADENCE`): deliveries by then. */
export const DELIVERED = 20_000;

type Limits = NonNullable<NonNullable<Parameters<typeof startTestServer>[2]>['limits']>;

/**
 * A real server whose webhook sender looks every 50 ms and retries within a fraction of a second,
 * with a signed-in admin. Push `open` to the test file's `closeAfterEach` list.
 */
export async function webhookServer(
  open: (TestServer | Client)[],
  webhooks: Partial<WebhookSenderPolicy> = {},
  limits: Limits = {},
): Promise<{ t: TestServer; admin: string }> {
  const t = await startTestServer({}, undefined, {
    limits: {
      ...limits,
      webhooks: {
        tickMs: 50,
        retryBaseMs: 40,
        retryCapMs: 200,
        timeoutMs: 2_000,
        autoClosedScanMs: 200,
        ...webhooks,
      },
    },
  });
  open.push(t);
  const { token } = await staffToken(t, 'admin', null);
  return { t, admin: token };
}

/** Registers an endpoint as an admin or a key would (default: most events, private network). */
export function registerEndpoint(
  t: TestServer,
  token: string,
  url: string,
  options: { events?: WebhookEvent[]; privateNetwork?: boolean } = {},
) {
  const { events = ['check-in', 'check-out', 'denied', 'correction'], privateNetwork = true } =
    options;
  return t.api<CreatedWebhookAnswer & ApiError>(
    'POST',
    '/api/integrations/webhooks',
    { url, events, privateNetwork },
    token,
  );
}

/** A paired kiosk with today's check-ins document open. */
export async function kioskDoor(
  t: TestServer,
  open: (TestServer | Client)[],
): Promise<{ doc: Y.Doc; deviceId: string; token: string }> {
  const kiosk = await pairKiosk(t);
  const door = connect(t, checkinsDocName(SITE, localDayOf(Date.now(), ZONE)), kiosk.token);
  open.push(door);
  await door.outcome;
  return { doc: door.doc, deviceId: kiosk.deviceId, token: kiosk.token };
}

export const payloadOf = (item: Received) => JSON.parse(item.body) as WebhookPayload;
