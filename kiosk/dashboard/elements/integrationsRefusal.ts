import { ApiRefusal } from '../ApiRefusal';
import type { PartName } from './IntegrationsPart';

const OFFLINE = 'The server cannot be reached: this needs a network.';

/**
 * What went wrong in `part` of the Integrations screen, for the admin: the server's refusal in
 * its words (a webhook's address is refused with the reason), or no network. `loading` says the
 * part's list could not be fetched.
 */
export function integrationsRefusal(part: PartName, error: unknown, loading: boolean): string {
  if (!(error instanceof ApiRefusal)) return OFFLINE;
  const message = error.message.replace(/\.$/, '');
  if (loading && error.code !== 'forbidden')
    return `The ${part === 'keys' ? 'API keys' : 'webhooks'} could not be loaded: ${message}.`;
  switch (error.code) {
    case 'forbidden':
      return 'Only an admin manages API keys and webhooks.';
    case 'not-found':
      return part === 'keys'
        ? 'That key does not exist any more.'
        : 'That webhook does not exist any more.';
    case 'bad-webhook-url':
      return `This address cannot be used: ${message}.`;
    case 'invalid':
      return `The server did not take this: ${message}.`;
    default:
      return `The server did not do it: ${message}.`;
  }
}
