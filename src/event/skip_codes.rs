//! Skip codes. Stable strings, part of the public API.

/// The message is not a scheduling event this library turns into an SMS (not SIU, or an SIU
/// trigger such as S18–S24 that concerns resources, not the patient's appointment).
pub const NOT_SCHEDULING_EVENT: &str = "SKIP_NOT_SCHEDULING_EVENT";
/// The profile's event rules say to skip this trigger (e.g. `hl7.events.S17 = "skip"`).
pub const EVENT_POLICY: &str = "SKIP_EVENT_POLICY";
/// The message has no patient (SIU allows 0 PATIENT groups): nobody to text.
pub const NO_PATIENT: &str = "SKIP_NO_PATIENT";
/// A value the flow needs (`patient_id`, `appointment_id`, `appointment_datetime`) is missing.
pub const MISSING_REQUIRED: &str = "SKIP_MISSING_REQUIRED";
/// A profile filter matched (rule names the filter).
pub const FILTERED: &str = "SKIP_FILTERED";
/// No usable mobile number for the patient: the flow cannot text nobody.
pub const NO_MOBILE_PHONE: &str = "SKIP_NO_MOBILE_PHONE";
/// The patient's numbers are all invalid by their numbering plans (too short, too long, an
/// unused length or an unassigned range): none can be texted.
pub const INVALID_PHONE: &str = "SKIP_INVALID_PHONE";
/// Not final: the input names resources it does not carry (an id-only subscription
/// notification, or an Appointment whose Patient is not included). `MapResult.needsFetch` lists
/// exactly what the host must read; map again with them (FHIR: `FhirOptions.resources`).
/// Not prefixed `SKIP_` because the event is not dropped, only postponed.
pub const NEEDS_FETCH: &str = "NEEDS_FETCH";
/// Compared with the previous snapshot, nothing the SMS or the reminders use has changed
/// (duplicate delivery, or an edit of a field the flow does not read).
pub const NO_RELEVANT_CHANGE: &str = "SKIP_NO_RELEVANT_CHANGE";
/// The appointment's status calls for no message (FHIR `proposed`, `pending`, `waitlist`,
/// `arrived`, `checked-in`, `fulfilled`, or an unrecognized status).
pub const STATUS_NOT_NOTIFIABLE: &str = "SKIP_STATUS_NOT_NOTIFIABLE";
/// The appointment was replaced by another one in the same input (FHIR R5 `replaces`): the
/// replacement is sent as RESCHEDULED and the replaced one's cancellation is not sent.
pub const REPLACED: &str = "SKIP_REPLACED";

/// All skip codes.
pub const ALL: &[&str] = &[
    NOT_SCHEDULING_EVENT,
    EVENT_POLICY,
    NO_PATIENT,
    MISSING_REQUIRED,
    FILTERED,
    NO_MOBILE_PHONE,
    INVALID_PHONE,
    NEEDS_FETCH,
    NO_RELEVANT_CHANGE,
    STATUS_NOT_NOTIFIABLE,
    REPLACED,
];
