import type { MemberImportAnswer } from '../../../shared/apiProtocol';
import type { Member } from '../../../shared/member';

/**
 * Fired by the member form when it closes: `saved` is the member as the server stored it, or
 * null when the form was cancelled. The members screen says what happened and hides the form.
 */
export class MemberFormClosedEvent extends Event {
  static readonly type = 'hc-member-form-closed';
  readonly saved: Member | null;

  constructor(saved: Member | null) {
    super(MemberFormClosedEvent.type, { bubbles: true, composed: true });
    this.saved = saved;
  }
}

/**
 * Fired by the import panel when it closes: `result` is what the server imported, or null when
 * the import was cancelled before anything was written ([M1]).
 */
export class MemberImportClosedEvent extends Event {
  static readonly type = 'hc-member-import-closed';
  readonly result: MemberImportAnswer | null;

  constructor(result: MemberImportAnswer | null) {
    super(MemberImportClosedEvent.type, { bubbles: true, composed: true });
    this.result = result;
  }
}

declare global {
  interface HTMLElementEventMap {
    [MemberFormClosedEvent.type]: MemberFormClosedEvent;
    [MemberImportClosedEvent.type]: MemberImportClosedEvent;
  }
}
