/** The time zones this browser knows, with `current` first if it is missing from them. */
export function timeZones(current: string): string[] {
  const known = Intl.supportedValuesOf?.('timeZone') ?? [];
  return known.includes(current) ? known : [current, ...known];
}
