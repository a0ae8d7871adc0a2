import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMember, MAX_ACCESS_SITES, MEMBER_STATUSES, type Member, sameMember } from './member';
import { MAX_IMPORT_ROWS, membersToCsv, parseMemberCsv } from './memberCsv';

/** The site the dashboard shows in these tests: the home of a line that names none ([M4]). */
const SHOWN = 'riverside';

const member = (id: string, name: string, extra: Partial<Member> = {}): Member => ({
  id,
  name,
  codes: [],
  status: 'active',
  validUntil: null,
  homeSite: SHOWN,
  access: 'home',
  ...extra,
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const parse = (text: string) => parseMemberCsv(text, { homeSite: SHOWN });

const csv = (...lines: string[]) => lines.join('\n');

/** The one error of a file whose header is fine and whose line 2 is `row`. */
function reasonFor(row: string): string {
  const { rows, errors } = parse(csv('id,name,status,valid_until,codes', row));
  expect(rows).toEqual([]);
  expect(errors).toHaveLength(1);
  expect(errors[0]?.line).toBe(2);
  return errors[0]?.reason ?? '';
}

describe('parseMemberCsv', () => {
  it('reads a file with every column, in any order and any case, defaulting what is empty', () => {
    const parsed = parse(
      csv(
        ' Codes ,VALID_UNTIL,Name,id,status',
        '0451001;QR-1 | 77 ,2025-12-31,Ana Lima,1042,frozen',
        ',,Ben Okafor,2001,',
        ' ; ,,"Lopes, Ana" ,3077,Expired',
      ),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.header).toEqual(['Codes', 'VALID_UNTIL', 'Name', 'id', 'status']);
    expect(parsed.rows).toEqual([
      {
        line: 2,
        member: member('1042', 'Ana Lima', {
          codes: ['0451001', 'QR-1', '77'],
          status: 'frozen',
          validUntil: '2025-12-31',
        }),
      },
      { line: 3, member: member('2001', 'Ben Okafor') },
      { line: 4, member: member('3077', 'Lopes, Ana', { status: 'expired' }) },
    ]);
  });

  it('reads a ;-separated file as Excel writes it in much of Europe, commas in names and all', () => {
    const parsed = parse(
      csv('id;name;status;codes', '1042;Lima, Ana;active;0451001|0451002', '2001;Ben;frozen;'),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows.map((r) => r.member)).toEqual([
      member('1042', 'Lima, Ana', { codes: ['0451001', '0451002'] }),
      member('2001', 'Ben', { status: 'frozen' }),
    ]);
  });

  it('ignores a UTF-8 byte order mark before the header', () => {
    const parsed = parse('\uFEFFid,name\r\n1042,José Álvarez\r\n');
    expect(parsed.errors).toEqual([]);
    expect(parsed.header).toEqual(['id', 'name']);
    expect(parsed.rows).toEqual([{ line: 2, member: member('1042', 'José Álvarez') }]);
  });

  it('[M4] gives a file without home_site and access the site shown as home, and home access', () => {
    const parsed = parseMemberCsv(csv('id,name', '1042,Ana'), { homeSite: 'harbour' });
    expect(parsed.rows).toEqual([
      { line: 2, member: member('1042', 'Ana', { homeSite: 'harbour', access: 'home' }) },
    ]);
  });

  it("[M4] [M5] reads each line's home site and access, the site shown filling an empty home", () => {
    const parsed = parse(
      csv(
        'id,name,home_site,access',
        '1,Ana,Harbour,all',
        '2,Ben,,hill; harbour',
        '3,Cy,hill,',
        '4,Dee,hill,HOME',
      ),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows.map((r) => r.member)).toEqual([
      member('1', 'Ana', { homeSite: 'harbour', access: 'all' }),
      member('2', 'Ben', { access: ['hill', 'harbour'] }),
      member('3', 'Cy', { homeSite: 'hill' }),
      member('4', 'Dee', { homeSite: 'hill' }),
    ]);
  });

  it.each([
    [
      '1,Ana,river side,home',
      'home_site "river side" is not a site id (lower-case letters, digits and "-")',
    ],
    [
      '1,Ana,riverside,everywhere!',
      `access "everywhere!" is not "home", "all" or up to ${MAX_ACCESS_SITES} site ids separated by spaces`,
    ],
    [
      `1,Ana,riverside,${Array.from({ length: MAX_ACCESS_SITES + 1 }, (_, i) => `s${i}`).join(' ')}`,
      `access "s0 s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 s1…" is not "home", "all" or up to ${MAX_ACCESS_SITES} site ids separated by spaces`,
    ],
  ])('[M4] explains a bad home site or access: %s', (row, reason) => {
    const { rows, errors } = parse(csv('id,name,home_site,access', row));
    expect(rows).toEqual([]);
    expect(errors).toEqual([{ line: 2, reason }]);
  });

  it('[M1] numbers lines as the file does, across blank lines and a name quoted over two lines', () => {
    const parsed = parse(
      csv('id,name,status', '', '1042,"Ana', 'Lima",active', '', '2001,Ben,paused', '3077,Cy,'),
    );
    expect(parsed.rows.map((r) => [r.line, r.member.name])).toEqual([[7, 'Cy']]);
    expect(parsed.errors).toEqual([
      { line: 3, reason: 'name contains a line break or another control character' },
      { line: 6, reason: 'status "paused" is not one of active, frozen, expired' },
    ]);
  });

  it('counts Windows and old Mac line endings the same way', () => {
    for (const newline of ['\r\n', '\r']) {
      const parsed = parse(['id,name', '1,"A', 'B"', '2,'].join(newline));
      expect(parsed.errors).toEqual([
        { line: 2, reason: 'name contains a line break or another control character' },
        { line: 4, reason: 'name is empty' },
      ]);
    }
  });

  it.each([
    ['1042,Ana,paused', 'status "paused" is not one of active, frozen, expired'],
    ['a b,Ana', 'id "a b" may only contain letters, digits, ".", "_" and "-"'],
    [',Ana', 'id is empty'],
    [`${'x'.repeat(65)},Ana`, 'id is longer than 64 characters'],
    ['1042,', 'name is empty'],
    [`1042,${'n'.repeat(121)}`, 'name is 121 characters long; at most 120 are allowed'],
    [
      '1042,Ana,,31/12/2025',
      'valid_until "31/12/2025" is not a date written as YYYY-MM-DD, such as 2025-12-31',
    ],
    ['1042,Ana,,2025-02-30', 'valid_until "2025-02-30" is not a day of the calendar'],
    ['1042,Ana,,,1;2;3;4;5;6;7;8;9;10;11', 'has 11 codes; at most 10 are allowed'],
    [`1042,Ana,,,ok;${'c'.repeat(65)}`, `code "${'c'.repeat(40)}…" is longer than 64 characters`],
    ['1042,"Ana\nLima"', 'name contains a line break or another control character'],
    ['1042,Ana,,,"ok;a\tb"', 'code "a\tb" contains a line break or another control character'],
    [
      '1042,Lima, Ana,active,2025-12-31,x',
      'has more values than the first line has columns; a value containing "," must be in quotes',
    ],
    [
      '1042,"Ana" Lima,"active"',
      'a value in quotes has more text after its closing "; a " inside a value must be written as ""',
    ],
    [
      '1042,"Ana Lima,active',
      'a value starts with " but never ends with one, so the lines after it were read as part of that value',
    ],
  ])('explains a bad line: %s', (row, reason) => {
    expect(reasonFor(row)).toBe(reason);
  });

  it('accepts a status written in capitals and extra blank cells after the last column', () => {
    const parsed = parse(csv('id,name,status', '1042,Ana,FROZEN,,'));
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows[0]?.member.status).toBe('frozen');
  });

  it('[M2] rejects a later line with an id already used, naming the earlier line', () => {
    const parsed = parse(csv('id,name', '1042,Ana', '2001,Ben', '1042,Ana Lima'));
    expect(parsed.rows.map((r) => r.member.id)).toEqual(['1042', '2001']);
    expect(parsed.errors).toEqual([{ line: 4, reason: 'the same id as line 2' }]);
  });

  it('[M2] rejects a card code already given to a member on an earlier line', () => {
    const parsed = parse(csv('id,name,codes', '1042,Ana,0451001', '2001,Ben,7;0451001'));
    expect(parsed.rows.map((r) => r.member.id)).toEqual(['1042']);
    expect(parsed.errors).toEqual([{ line: 3, reason: 'code "0451001" is already on line 2' }]);
  });

  it('reads nothing when a required column is missing, with one error on the header line', () => {
    const parsed = parse(csv('id,full name,status', '1042,Ana,active', '2001,Ben,active'));
    expect(parsed.rows).toEqual([]);
    expect(parsed.errors).toEqual([
      {
        line: 1,
        reason:
          'the first line has no "name" column; it must name the columns: id, name and optionally status, valid_until, codes, home_site, access',
      },
    ]);
    expect(parse(csv('member,who', '1,Ana')).errors[0]?.reason).toMatch(
      /^the first line has no "id" and "name" columns;/,
    );
  });

  it('reads nothing when a column appears twice', () => {
    const parsed = parse(csv('id,name,Name', '1042,Ana,Ben'));
    expect(parsed.rows).toEqual([]);
    expect(parsed.errors).toEqual([
      { line: 1, reason: 'the column "name" appears twice in the first line' },
    ]);
  });

  it('warns once about each unknown column and reads the rest', () => {
    const parsed = parse(
      csv('id,email,name,', '1042,ana@example.com,Ana,x', '2001,ben@example.com,Ben,y'),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows).toHaveLength(2);
    expect(parsed.warnings).toEqual([
      'column "email" is not used and was ignored',
      'column 4 has no name and was ignored',
    ]);
  });

  it('says a file with nothing in it is empty', () => {
    for (const text of ['', '\uFEFF', '\n\n  \n', ',,\n']) {
      expect(parse(text)).toEqual({
        rows: [],
        errors: [{ line: 1, reason: 'the file is empty' }],
        warnings: [],
        header: [],
      });
    }
  });

  it('never throws on junk, and reports it as errors', () => {
    const bytes = Array.from({ length: 4096 }, (_, i) => String.fromCharCode((i * 7919) % 256));
    const junk = parse(bytes.join(''));
    expect(junk.rows).toEqual([]);
    expect(junk.errors.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const parsed = parse(text);
        for (const { member: m } of parsed.rows) expect(checkMember(m)).toBeNull();
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('id', 'name', ',', ';', '"', '\n', '\r', ' ', 'a', '-', '|'), {
          maxLength: 60,
        }),
        (pieces) => {
          const parsed = parse(pieces.join(''));
          for (const { member: m } of parsed.rows) expect(checkMember(m)).toBeNull();
          for (const { line } of [...parsed.rows, ...parsed.errors])
            expect(line).toBeGreaterThan(0);
        },
      ),
    );
  });

  it(`reads at most ${MAX_IMPORT_ROWS} members and says where it stopped`, () => {
    const lines = ['id,name'];
    for (let i = 0; i < MAX_IMPORT_ROWS + 5; i++) lines.push(`m${i},Member ${i}`);
    const parsed = parse(lines.join('\n'));
    expect(parsed.rows).toHaveLength(MAX_IMPORT_ROWS);
    expect(parsed.errors).toEqual([
      {
        line: MAX_IMPORT_ROWS + 2,
        reason: `the file has more than ${MAX_IMPORT_ROWS} members; this line and the ones after it were not read`,
      },
    ]);
  });
});

describe('membersToCsv', () => {
  const roster = [
    member('2001', 'Ben "Benny" Okafor', {
      status: 'frozen',
      codes: ['0451001', 'QR-9'],
      homeSite: 'harbour',
      access: ['riverside', 'hill'],
    }),
    member('1042', 'Lima, Ana', { validUntil: '2025-12-31' }),
  ];

  it('writes a header and one line per member, sorted by id', () => {
    expect(membersToCsv(roster)).toBe(
      [
        'id,name,status,valid_until,codes,home_site,access',
        '1042,"Lima, Ana",active,2025-12-31,,riverside,home',
        '2001,"Ben ""Benny"" Okafor",frozen,,0451001;QR-9,harbour,riverside hill',
      ].join('\r\n'),
    );
  });

  it('reads back as the same members', () => {
    const parsed = parse(membersToCsv(roster));
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows.map((r) => r.member)).toEqual([roster[1], roster[0]]);
  });

  it('[M3] keeps a spreadsheet from running a cell as a formula, and reads the cell back as it was', () => {
    const risky = [
      member('-1', '=HYPERLINK("http://evil.example","x")'),
      member('2', '@SUM(A1)', { codes: ['+4412', 'ok'] }),
      member('3', "'-already quoted"),
      member('4', 'Anne-Marie -x'),
    ];
    const text = membersToCsv(risky);
    const cells = text.split('\r\n').slice(1);
    expect(cells).toEqual([
      `"'-1","'=HYPERLINK(""http://evil.example"",""x"")",active,,,riverside,home`,
      `2,"'@SUM(A1)",active,,"'+4412;ok",riverside,home`,
      `3,"''-already quoted",active,,,riverside,home`,
      '4,Anne-Marie -x,active,,,riverside,home',
    ]);
    expect(parse(text).rows.map((r) => r.member)).toEqual(risky);
  });

  it('[M3] round-trips any valid roster whose names and codes have no spaces at the ends', () => {
    // Often starting like a formula or like an escaped one, which random text rarely does.
    const text = (min: number, max: number) =>
      fc
        .tuple(
          fc.constantFrom('', '', '=', '-', '+', '@', "'", "'=", "''-"),
          fc.string({ unit: 'grapheme', minLength: min, maxLength: max }),
        )
        .map(([start, rest]) => start + rest)
        // Members hold no control characters (`checkMember`).
        .filter((s) => s.length >= min && s.length <= max && s === s.trim() && !CONTROL.test(s));
    const siteId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
    const anyMember = fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
      name: text(1, 120),
      codes: fc.uniqueArray(
        text(1, 64).filter((c) => !/[;|]/.test(c)),
        { maxLength: 10 },
      ),
      status: fc.constantFrom(...MEMBER_STATUSES),
      validUntil: fc.option(
        fc
          .date({ min: new Date('1990-01-01'), max: new Date('2199-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
      ),
      homeSite: siteId,
      access: fc.oneof(
        fc.constantFrom('home' as const, 'all' as const),
        fc.uniqueArray(siteId, { minLength: 1, maxLength: MAX_ACCESS_SITES }),
      ),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(anyMember, { selector: (m) => m.id, maxLength: 15 }),
        (members) => {
          // Two members sharing a code is an error on import; the roster property excludes it.
          fc.pre(
            new Set(members.flatMap((m) => m.codes)).size ===
              members.flatMap((m) => m.codes).length,
          );
          for (const m of members) expect(checkMember(m)).toBeNull();
          // Shown elsewhere: every line names its home, and the file's wins ([M4]).
          const parsed = parseMemberCsv(membersToCsv(members), { homeSite: 'elsewhere' });
          expect(parsed.errors).toEqual([]);
          const byId = new Map(members.map((m) => [m.id, m]));
          for (const { member: read } of parsed.rows)
            expect(sameMember(read, byId.get(read.id) as Member)).toBe(true);
          expect(parsed.rows.map((r) => r.member)).toEqual(
            [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
          );
        },
      ),
    );
  });
});
