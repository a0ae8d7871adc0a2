import { parseDocName } from '../../shared/docName';
import { checkMember, type Member } from '../../shared/member';
import { rosterShard } from '../../shared/rosterDoc';
import type { Sql, SqlParam } from '../storage/Sql';
import type { MemberChange } from './planMembers';

interface MemberRow {
  id: string;
  name: string;
  codes: string;
  status: string;
  valid_until: string | null;
  home_site: string;
  access: string;
}

/**
 * Keys per lookup (`in (…)`) and rows per multi-row write. PostgreSQL takes each statement as one
 * round trip, so a sync of 10 000 members is a few dozen statements, not hundreds; both engines
 * take far more parameters than these make (SQLite 32 766, PostgreSQL 65 535; a written row has 9).
 */
const LOOKUP_CHUNK = 1_000;
const WRITE_CHUNK = 256;

/**
 * The chain's members in SQL ([M4]): the source of truth that roster documents are projected
 * from ([D7]), and of imports and exports. Rows are read back as written; a row that no longer
 * reads as a member (edited by hand) is left out, never thrown on.
 */
export class MemberDirectory {
  private readonly db: Sql;

  constructor(db: Sql) {
    this.db = db;
  }

  /** Every member, or one home site's, by id. */
  async list(filter: { homeSite?: string } = {}): Promise<Member[]> {
    const rows =
      filter.homeSite === undefined
        ? await this.db.all<MemberRow>('select * from members order by id')
        : await this.db.all<MemberRow>('select * from members where home_site = ? order by id', [
            filter.homeSite,
          ]);
    return rows.flatMap(fromRow);
  }

  async get(id: string): Promise<Member | null> {
    const row = await this.db.get<MemberRow>('select * from members where id = ?', [id]);
    return row ? (fromRow(row)[0] ?? null) : null;
  }

  /** The members with these ids that exist. */
  async byIds(ids: readonly string[]): Promise<Map<string, Member>> {
    const found = new Map<string, Member>();
    for (const chunk of chunks([...new Set(ids)], LOOKUP_CHUNK)) {
      const rows = await this.db.all<MemberRow>(
        `select * from members where id in (${marks(chunk.length)})`,
        chunk,
      );
      for (const member of rows.flatMap(fromRow)) found.set(member.id, member);
    }
    return found;
  }

  /** Who holds each of these card codes now. */
  async codeOwners(codes: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    for (const chunk of chunks([...new Set(codes)], LOOKUP_CHUNK)) {
      const rows = await this.db.all<{ code: string; member_id: string }>(
        `select code, member_id from member_codes where code in (${marks(chunk.length)})`,
        chunk,
      );
      for (const row of rows) owners.set(row.code, row.member_id);
    }
    return owners;
  }

  /** The members a roster document lists ([D7]); empty for a name that is not a roster's. */
  async forRoster(documentName: string): Promise<Map<string, Member>> {
    const doc = parseDocName(documentName);
    let rows: MemberRow[] = [];
    if (doc?.kind === 'chain-roster')
      rows = await this.db.all<MemberRow>('select * from members where shard = ? and access = ?', [
        doc.shard,
        JSON.stringify('all'),
      ]);
    else if (doc?.kind === 'roster')
      rows = await this.db.all<MemberRow>(
        // A listed site is a quoted id inside a JSON list: `"home"` and `"all"` are not lists.
        `select * from members where shard = ? and access <> ?
           and (home_site = ? or (access like '[%' and access like ?))`,
        [doc.shard, JSON.stringify('all'), doc.siteId, `%${JSON.stringify(doc.siteId)}%`],
      );
    return new Map(rows.flatMap(fromRow).map((member) => [member.id, member]));
  }

  /**
   * Per shard, something that changes whenever a member of it is written: how many there are,
   * the latest write and the sum of write times. The sweep compares them to find rosters another instance changed.
   */
  async fingerprints(): Promise<Map<number, string>> {
    const rows = await this.db.all<{ shard: number; n: number; latest: number; total: number }>(
      `select shard, count(*) as n, max(updated_at) as latest, sum(updated_at) as total
         from members group by shard`,
    );
    return new Map(rows.map((row) => [Number(row.shard), `${row.n}/${row.latest}/${row.total}`]));
  }

  /**
   * Writes the changes in one transaction: each member's row and its card codes, after deleting
   * the members named in `remove`. A code another member took meanwhile fails the whole
   * transaction (the primary key): nothing is written.
   */
  async write(
    changes: readonly MemberChange[],
    now = Date.now(),
    remove: readonly string[] = [],
  ): Promise<void> {
    if (changes.length === 0 && remove.length === 0) return;
    await this.db.transaction(async (tx) => {
      // Their card codes go with them (`on delete cascade`); their visits stay in the record.
      for (const chunk of chunks(remove, LOOKUP_CHUNK))
        await tx.run(`delete from members where id in (${marks(chunk.length)})`, chunk);
      for (const chunk of chunks(
        changes.map(({ after }) => after),
        WRITE_CHUNK,
      )) {
        await tx.run(
          `insert into members
             (id, name, codes, status, valid_until, home_site, access, shard, updated_at)
           values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
           on conflict (id) do update set name = excluded.name, codes = excluded.codes,
             status = excluded.status, valid_until = excluded.valid_until,
             home_site = excluded.home_site, access = excluded.access,
             updated_at = excluded.updated_at`,
          chunk.flatMap((member) => toRow(member, now)),
        );
        const ids = chunk.map((member) => member.id);
        await tx.run(`delete from member_codes where member_id in (${marks(ids.length)})`, ids);
        const codes = chunk.flatMap((member) => member.codes.map((code) => [code, member.id]));
        for (const part of chunks(codes, WRITE_CHUNK))
          await tx.run(
            `insert into member_codes (code, member_id) values ${part.map(() => '(?, ?)').join(', ')}`,
            part.flat(),
          );
      }
    });
  }
}

function toRow(member: Member, now: number): SqlParam[] {
  return [
    member.id,
    member.name,
    JSON.stringify(member.codes),
    member.status,
    member.validUntil,
    member.homeSite,
    JSON.stringify(member.access),
    rosterShard(member.id),
    now,
  ];
}

function fromRow(row: MemberRow): Member[] {
  let member: unknown;
  try {
    member = {
      id: row.id,
      name: row.name,
      codes: JSON.parse(row.codes),
      status: row.status,
      validUntil: row.valid_until,
      homeSite: row.home_site,
      access: JSON.parse(row.access),
    };
  } catch {
    return [];
  }
  return checkMember(member) === null ? [member as Member] : [];
}

function marks(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
