import type { Writer } from '../../shared/events';
import type { DashboardPort } from './DashboardPort';

/** What names writers: the signed-in account, the kiosk list and the staff accounts' names. */
export type WriterNames = Pick<DashboardPort, 'staff' | 'devices' | 'staffName'>;

/**
 * Who wrote an event, in the words of the feed: the kiosk's name, `you`, `staff: ana`, or just
 * `kiosk` / `staff` while the lists are not fetched yet (offline on a new phone).
 */
export function writerLabel(names: WriterNames, writer: Writer): string {
  if (writer.role === 'staff') {
    if (writer.id === names.staff?.id) return 'you';
    const name = names.staffName(writer.id);
    return name ? `staff: ${name}` : 'staff';
  }
  return names.devices.find((d) => d.id === writer.id)?.name ?? 'kiosk';
}
