import { ApiRefusal } from '../ApiRefusal';
import { SignedOutError } from '../StaffSession';

/**
 * What a failed member call means for the person at the desk, starting with `what` ("Not
 * saved"): the server's own words when it refused (they name the field or the site), or that
 * the network is missing. Members change only through the server ([M4]), so nothing is kept to
 * send later. Null for an ended session: the app shows the sign-in screen instead.
 */
export function memberCallProblem(what: string, error: unknown): string | null {
  if (error instanceof SignedOutError) return null;
  if (error instanceof ApiRefusal) {
    const reason = error.message.replace(/\.$/, '');
    if (error.code === 'forbidden')
      return `${what}: ${reason}. Only an admin, or staff of the member's home site, changes a member.`;
    return `${what}: ${reason}.`;
  }
  return `${what}: the server cannot be reached. Members change only online; try again when the connection is back.`;
}
