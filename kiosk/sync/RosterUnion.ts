import { parseDocName } from '../../shared/docName';
import type { Member } from '../../shared/member';

/** One roster document's listings, and the site it belongs to (null for the chain's). */
interface Listing {
  readonly name: string;
  readonly site: string | null;
  readonly members: Map<string, Member>;
}

/**
 * The members a device holds: the union of the roster documents it reads ([D7]), kept up to
 * date one listing at a time, so a status change costs a few map operations whatever the size of
 * the roster (a full rebuild at 50 000 members is tens of milliseconds, on a tablet more).
 *
 * A member listed by two documents should not happen, but the data is never trusted: the listing
 * in the roster of the member's own home site wins, then the one in the lowest document name,
 * so every device holding the same documents picks the same one, whatever order they came in.
 * Likewise a card code held by two members ([M4] says it cannot be) goes to the lowest member id.
 */
export class RosterUnion {
  /** Member id → the listing chosen for it. */
  readonly members = new Map<string, Member>();
  /** Card code → the member holding it. */
  readonly byCode = new Map<string, Member>();
  /** In document-name order: the first listing found at a rank is the lowest name. */
  private readonly listings: Listing[];
  private readonly listingOf = new Map<string, Listing>();
  /** Codes more than one member holds, with all their holders' ids (empty when data is sound). */
  private readonly sharedCodes = new Map<string, Set<string>>();

  constructor(docNames: readonly string[]) {
    this.listings = [...new Set(docNames)].sort().map((name) => {
      const parsed = parseDocName(name);
      return {
        name,
        site: parsed?.kind === 'roster' ? parsed.siteId : null,
        members: new Map<string, Member>(),
      };
    });
    for (const listing of this.listings) this.listingOf.set(listing.name, listing);
  }

  /**
   * Document `docName` now lists `member` under `id`, or nothing (undefined: deleted, or a value
   * that could not be read). Returns whether the union changed.
   */
  list(docName: string, id: string, member: Member | undefined): boolean {
    const listing = this.listingOf.get(docName);
    if (!listing) throw new RangeError(`not a roster document of this union: ${docName}`);
    if (member) listing.members.set(id, member);
    else if (!listing.members.delete(id)) return false;
    const before = this.members.get(id);
    // No other document lists an id the union lacks: a first listing needs no comparison (the
    // common case, and every member on the first load).
    const after = before === undefined ? member : this.choose(id);
    if (after === before) return false;
    if (before) this.dropCodes(before);
    if (after) {
      this.members.set(id, after);
      this.addCodes(after);
    } else this.members.delete(id);
    return true;
  }

  private choose(id: string): Member | undefined {
    let chosen: Member | undefined;
    let atHome = false;
    for (const listing of this.listings) {
      const member = listing.members.get(id);
      if (!member) continue;
      const home = listing.site === member.homeSite;
      if (!chosen || (home && !atHome)) {
        chosen = member;
        atHome = home;
      }
    }
    return chosen;
  }

  private addCodes(member: Member): void {
    for (const code of new Set(member.codes)) {
      const holder = this.byCode.get(code);
      if (!holder || holder.id === member.id) {
        this.byCode.set(code, member);
        continue;
      }
      const holders = this.sharedCodes.get(code) ?? new Set([holder.id]);
      holders.add(member.id);
      this.sharedCodes.set(code, holders);
      if (member.id < holder.id) this.byCode.set(code, member);
    }
  }

  /** Before `member` leaves the union (or changes): every other holder is still in it. */
  private dropCodes(member: Member): void {
    for (const code of new Set(member.codes)) {
      const holders = this.sharedCodes.get(code);
      if (!holders) {
        if (this.byCode.get(code)?.id === member.id) this.byCode.delete(code);
        continue;
      }
      holders.delete(member.id);
      if (holders.size === 1) this.sharedCodes.delete(code);
      const next = this.members.get(lowest(holders));
      if (next) this.byCode.set(code, next);
    }
  }
}

function lowest(ids: Iterable<string>): string {
  let min: string | undefined;
  for (const id of ids) if (min === undefined || id < min) min = id;
  return min as string;
}
