//! Identifiers kept next to the 14 values: [`ExtraIds`] and [`EntityId`].

use serde::Serialize;

/// Identifiers kept next to the 14 values (for hosts, replies and audit; not sent to Studio).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraIds {
    /// Placer appointment id (SCH-1 / ARQ-1 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placer_appointment_id: Option<EntityId>,
    /// Filler appointment id (SCH-2 / ARQ-2 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filler_appointment_id: Option<EntityId>,
    /// The identifier type code of the chosen patient id (CX-5, e.g. `MR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id_type: Option<String>,
    /// The assigning authority of the chosen patient id (CX-4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id_authority: Option<String>,
    /// The source message's control id (MSH-10), for acknowledgements and audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_control_id: Option<String>,
    /// The source message's trigger (e.g. `S12`; for FHIR and Redox the trigger or topic hint
    /// that was used, e.g. `Appointment.schedule`, `Reschedule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// FHIR: the mapped Appointment as a relative reference (`Appointment/A1001`): the logical id,
    /// which write-backs need even when `appointment_id` is an identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_ref: Option<String>,
    /// FHIR: `Appointment.meta.versionId` (for `If-Match` on write-back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_version: Option<String>,
    /// FHIR: an Appointment identifier that is neither placer nor filler typed (value + system).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_identifier: Option<EntityId>,
    /// FHIR: the patient as a relative reference (`Patient/P1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_ref: Option<String>,
    /// The patient's record number (FHIR identifier of the configured type, default `MR`; Redox
    /// `Patient.Identifiers[]` entry), with its system / IDType as namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_identifier: Option<EntityId>,
    /// FHIR: the provider as a relative reference (`Practitioner/PR77`, `PractitionerRole/…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// The delivery's event id for at-least-once de-duplication: FHIR
    /// `notificationEvent.id` (else the event number), Redox `Meta.Logs[0].ID` / `Meta.Message.ID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The appointment this one replaces (FHIR R5 `replaces`, Redox `Visit.OldVisitNumber`): PAM
    /// keeps the old id's stored state, which the host may want to retire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_appointment_id: Option<String>,
    /// The IANA zone `appointment_datetime` and `appointment_timezone` were computed in (the
    /// Location's time-zone extension, `json.timeZone`, `fhir.timeZone` or `sender.timeZone`);
    /// absent when only an offset was known. Reminder planning reads outreach windows in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// An entity identifier with its namespace (HL7 EI: id ^ namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntityId {
    /// EI-1, decoded and unmodified (before PAM sanitization).
    pub id: String,
    /// EI-2 namespace / assigning system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
