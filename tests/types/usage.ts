// Type-checked (never run) against the INSTALLED package with moduleResolution node16 and nodenext,
// as an ES module (the consumer project is "type": "module"). See tests/js/types.test.mjs.
import { errorCodes, version } from 'ehr-studio-bridge';
import * as bridge from 'ehr-studio-bridge';
import type { EhrStudioBridgeError, ErrorCode, ErrorPosition, Input } from 'ehr-studio-bridge';

export const v: string = version();
export const codes: ErrorCode[] = errorCodes();
export const known: ErrorCode = 'HL7_NO_MSH';
// @ts-expect-error ErrorCode is a closed union generated from the Rust enum
export const unknownCode: ErrorCode = 'NOT_A_CODE';

export const text: Input = 'MSH|^~\\&|';
export const bytes: Input = new Uint8Array([0x4d]);
// @ts-expect-error input is a string or bytes
export const notInput: Input = 42;

// @ts-expect-error version() takes no arguments
version('x');

export function describe(e: unknown): string | undefined {
  if (e instanceof Error && e.name === 'EhrStudioBridgeError') {
    const err = e as EhrStudioBridgeError;
    const pos: ErrorPosition | undefined = err.position;
    const name: 'EhrStudioBridgeError' = err.name;
    return `${name} ${err.code} ${pos?.segment ?? ''}-${pos?.field ?? ''}`;
  }
  return undefined;
}

export const fns: Array<() => unknown> = [bridge.version, bridge.errorCodes];

// ---- HL7, mapping, replies ---------------------------------------------------------------------
import { Mapper, buildAck, mapHl7, parseHl7, parseReply, queryHl7, replyToFhir, replyToHl7, verifyTwilioSignature } from 'ehr-studio-bridge';
import type { Execution, FhirRequest, Hl7Tree, Hl7Value, MapResult, Profile, Reply, StudioRequest, TableB, Verdict } from 'ehr-studio-bridge';

export const tree: Hl7Tree = parseHl7(text, { offsets: 'utf16' });
export const one: Hl7Value | null = queryHl7(text, 'PID-5.1');
export const many: (Hl7Value | null)[] = queryHl7(text, ['PID-5.1', 'SCH-11.4']);
// @ts-expect-error offsets is "utf16" | "bytes"
parseHl7(text, { offsets: 'chars' });
export const ackText: string | null = buildAck(text, { code: 'accept' }).message;
// @ts-expect-error code is accept | error | reject
buildAck(text, { code: 'AA' });

export const profile: Profile = { sender: { timeZone: 'America/New_York', ambiguousTime: 'earlier' }, sanitize: 'strict' };
// @ts-expect-error sanitize is repair | strict
export const badProfile: Profile = { sanitize: 'lenient' };
export const mapped: MapResult = mapHl7(bytes, profile);
export const values: TableB | null = mapped.event;
export const skipCode: string | undefined = mapped.skip?.code;
{
  using mapper = new Mapper(profile);
  const r: { result: MapResult; request: StudioRequest | null } = mapper.studioRequest(text, { flowSid: 'FW…', from: '+1' });
  const lean: Execution = mapper.execution(text);
  void r;
  void lean;
}

export const reply: Reply = parseReply('{}', { contentType: 'application/json' });
export const srm: string = replyToHl7(reply, profile, { controlId: 'C1' });
export const fhir: FhirRequest = replyToFhir(reply, profile);
export const verdict: Verdict = verifyTwilioSignature({ authToken: 't', url: 'https://x', body: new Uint8Array() });

import { detectInput, map, mapFhir, mapJson, mapRedox } from 'ehr-studio-bridge';
import type { InputKind, MapOptions } from 'ehr-studio-bridge';
export const kind: InputKind = detectInput({ resourceType: 'Appointment' });
export const opts: MapOptions = { previous: {}, trigger: 'S13', nowMs: 0, resources: [] };
// @ts-expect-error kind is one of the input kinds
export const badOpts: MapOptions = { kind: 'xml' };
export const viaMap: MapResult = map('{}', profile, opts);
export const viaFhir: MapResult = mapFhir({ resourceType: 'Appointment' }, profile, { trigger: 'S12' });
export const viaRedox: MapResult = mapRedox('{}');
export const viaJson: MapResult = mapJson({ event_type: 'BOOKED' }, profile);
export const fetchList: string[] | undefined = viaMap.needsFetch?.resources.map((r) => r.reference);

import { buildRemindExecution, planReminders, remindDue } from 'ehr-studio-bridge';
import type { ExistingReminder, PlannedReminder, RemindExecution, ReminderDue, ReminderPlan, StoredReminder } from 'ehr-studio-bridge';
export const row: StoredReminder = { id: 'rm1-…', dueAtMs: 0, notAfterMs: 0, appointmentStartMs: 0, status: 'pending' };
export const remindProfile: Profile = {
  reminders: { offsets: ['72h', '1d@18:00'], window: { start: '09:00', end: '19:00', days: ['mon', 'sat'] }, outsideWindow: 'later', onConfirmed: 'cancel', stockFlow: true },
};
// @ts-expect-error days are mon … sun
export const badDays: Profile = { reminders: { window: { days: ['monday'] } } };
export const stored: ExistingReminder[] = [{ id: 'rm1-…', status: 'sent', appointmentStartMs: 0 }];
export const plan: ReminderPlan = planReminders(mapped, remindProfile, Date.now(), stored);
export const first: PlannedReminder | undefined = plan.reminders.find((r) => r.action === 'create');
export const due: ReminderDue | null = first ? remindDue(first, Date.now()) : null;
export const remind: RemindExecution | null = first ? buildRemindExecution(first, { flowSid: 'FW…', from: '+1' }) : null;
export const zone: string | undefined = mapped.ids.timeZone;
{
  using mapper = new Mapper(remindProfile);
  const p: ReminderPlan = mapper.planReminders(values ?? mapped);
  void p;
}
