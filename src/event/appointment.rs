//! [`AppointmentEvent`]: the 14 Table B values, and what the SMS prints of them.

use super::{EventType, Field};
use serde::{Deserialize, Serialize};

/// The 14 Table B values, all strings, serialized with exactly the Table B key names in Table B
/// order (this struct *is* the Studio `Parameters` object).
///
/// See the module docs for what an empty string means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentEvent {
    /// `BOOKED|RESCHEDULED|MODIFIED|CONFIRMED|CANCELED|NOSHOWED`.
    pub event_type: String,
    /// When the event happened, UTC, `YYYY-MM-DDTHH:mm:ssZ`.
    pub event_datetime_utc: String,
    /// The EHR's patient id.
    pub patient_id: String,
    /// Given name.
    pub patient_first_name: String,
    /// Family name.
    pub patient_last_name: String,
    /// The patient's mobile number, E.164 (`+12223334444`). The execution's `To`.
    pub patient_phone: String,
    /// The EHR's provider id.
    pub provider_id: String,
    /// Provider given name.
    pub provider_first_name: String,
    /// Provider family name (the SMS prints "Dr. {provider_last_name}").
    pub provider_last_name: String,
    /// The number the SMS asks the patient to call (printed verbatim; `[0-9+\-() ]` only).
    pub provider_callback_phone: String,
    /// Where the appointment is (printed verbatim in the SMS).
    pub appointment_location: String,
    /// The EHR's appointment id (sent back in replies; part of PAM's S3 key).
    pub appointment_id: String,
    /// Patient-local wall-clock start, `YYYY-MM-DDTHH:mm:ss`, no offset, no `Z`.
    pub appointment_datetime: String,
    /// The patient's UTC offset at the appointment time, `±HHMM` (DST-correct).
    pub appointment_timezone: String,
}

impl AppointmentEvent {
    /// The values the PAM SMS for `ev` prints that are empty (the first name always; provider,
    /// location and callback number except in the CONFIRMED text, which prints none of them), each
    /// with the `MAP_SMS_VALUE_EMPTY` warning message the mappers record.
    pub fn empty_sms_values(&self, ev: EventType) -> Vec<(Field, String)> {
        self.empty_sms_fields(ev)
            .map(|f| (f, Self::empty_sms_message(f, ev)))
            .collect()
    }

    /// The fields of [`AppointmentEvent::empty_sms_values`], without their messages.
    pub fn empty_sms_fields(&self, ev: EventType) -> impl Iterator<Item = Field> + '_ {
        let printed: &[Field] = if ev == EventType::Confirmed {
            &[Field::PatientFirstName]
        } else {
            &[
                Field::PatientFirstName,
                Field::ProviderLastName,
                Field::AppointmentLocation,
                Field::ProviderCallbackPhone,
            ]
        };
        printed.iter().copied().filter(|f| self.get(*f).is_empty())
    }

    /// The `MAP_SMS_VALUE_EMPTY` message for `f` in the `ev` SMS.
    pub fn empty_sms_message(f: Field, ev: EventType) -> String {
        format!(
            "{} is empty but the {} SMS prints it",
            f.name(),
            ev.as_str()
        )
    }

    /// The value of one key.
    pub fn get(&self, f: Field) -> &str {
        match f {
            Field::EventType => &self.event_type,
            Field::EventDatetimeUtc => &self.event_datetime_utc,
            Field::PatientId => &self.patient_id,
            Field::PatientFirstName => &self.patient_first_name,
            Field::PatientLastName => &self.patient_last_name,
            Field::PatientPhone => &self.patient_phone,
            Field::ProviderId => &self.provider_id,
            Field::ProviderFirstName => &self.provider_first_name,
            Field::ProviderLastName => &self.provider_last_name,
            Field::ProviderCallbackPhone => &self.provider_callback_phone,
            Field::AppointmentLocation => &self.appointment_location,
            Field::AppointmentId => &self.appointment_id,
            Field::AppointmentDatetime => &self.appointment_datetime,
            Field::AppointmentTimezone => &self.appointment_timezone,
        }
    }

    /// Mutable access to one key.
    pub fn get_mut(&mut self, f: Field) -> &mut String {
        match f {
            Field::EventType => &mut self.event_type,
            Field::EventDatetimeUtc => &mut self.event_datetime_utc,
            Field::PatientId => &mut self.patient_id,
            Field::PatientFirstName => &mut self.patient_first_name,
            Field::PatientLastName => &mut self.patient_last_name,
            Field::PatientPhone => &mut self.patient_phone,
            Field::ProviderId => &mut self.provider_id,
            Field::ProviderFirstName => &mut self.provider_first_name,
            Field::ProviderLastName => &mut self.provider_last_name,
            Field::ProviderCallbackPhone => &mut self.provider_callback_phone,
            Field::AppointmentLocation => &mut self.appointment_location,
            Field::AppointmentId => &mut self.appointment_id,
            Field::AppointmentDatetime => &mut self.appointment_datetime,
            Field::AppointmentTimezone => &mut self.appointment_timezone,
        }
    }

    /// The required keys (see [`Field::required`]) that are empty.
    pub fn missing_required(&self) -> Vec<Field> {
        Field::ALL
            .iter()
            .copied()
            .filter(|f| f.required() && self.get(*f).trim().is_empty())
            .collect()
    }
}

#[cfg(test)]
impl AppointmentEvent {
    /// A minimal valid event for unit tests: BOOKED, a US mobile, only the keys PAM requires.
    pub(crate) fn minimal_for_tests() -> AppointmentEvent {
        AppointmentEvent {
            event_type: "BOOKED".into(),
            event_datetime_utc: "2024-01-01T10:00:00Z".into(),
            patient_id: "1".into(),
            patient_phone: "+16175550142".into(),
            appointment_id: "A1".into(),
            appointment_datetime: "2024-01-02T10:00:00".into(),
            appointment_timezone: "-0500".into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_table_b_order() {
        let e = AppointmentEvent::default();
        let s = serde_json::to_string(&e).unwrap();
        let keys: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        let mut last = 0;
        for k in keys {
            let p = s.find(&format!("\"{k}\"")).unwrap();
            assert!(p >= last, "{k} out of order");
            last = p;
        }
    }
}
