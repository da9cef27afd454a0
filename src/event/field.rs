//! The 14 Table B keys ([`Field`]) and the `event_type` values ([`EventType`]).

/// One of the 14 Table B keys, in Table B order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Field {
    EventType,
    EventDatetimeUtc,
    PatientId,
    PatientFirstName,
    PatientLastName,
    PatientPhone,
    ProviderId,
    ProviderFirstName,
    ProviderLastName,
    ProviderCallbackPhone,
    AppointmentLocation,
    AppointmentId,
    AppointmentDatetime,
    AppointmentTimezone,
}

impl Field {
    /// All keys in Table B order (the order of the `Parameters` JSON).
    pub const ALL: [Field; 14] = [
        Field::EventType,
        Field::EventDatetimeUtc,
        Field::PatientId,
        Field::PatientFirstName,
        Field::PatientLastName,
        Field::PatientPhone,
        Field::ProviderId,
        Field::ProviderFirstName,
        Field::ProviderLastName,
        Field::ProviderCallbackPhone,
        Field::AppointmentLocation,
        Field::AppointmentId,
        Field::AppointmentDatetime,
        Field::AppointmentTimezone,
    ];

    /// The Table B key, e.g. `"patient_phone"`.
    pub const fn name(self) -> &'static str {
        match self {
            Field::EventType => "event_type",
            Field::EventDatetimeUtc => "event_datetime_utc",
            Field::PatientId => "patient_id",
            Field::PatientFirstName => "patient_first_name",
            Field::PatientLastName => "patient_last_name",
            Field::PatientPhone => "patient_phone",
            Field::ProviderId => "provider_id",
            Field::ProviderFirstName => "provider_first_name",
            Field::ProviderLastName => "provider_last_name",
            Field::ProviderCallbackPhone => "provider_callback_phone",
            Field::AppointmentLocation => "appointment_location",
            Field::AppointmentId => "appointment_id",
            Field::AppointmentDatetime => "appointment_datetime",
            Field::AppointmentTimezone => "appointment_timezone",
        }
    }

    /// The camelCase spelling used in profiles (`"patientPhone"`).
    pub const fn camel(self) -> &'static str {
        match self {
            Field::EventType => "eventType",
            Field::EventDatetimeUtc => "eventDatetimeUtc",
            Field::PatientId => "patientId",
            Field::PatientFirstName => "patientFirstName",
            Field::PatientLastName => "patientLastName",
            Field::PatientPhone => "patientPhone",
            Field::ProviderId => "providerId",
            Field::ProviderFirstName => "providerFirstName",
            Field::ProviderLastName => "providerLastName",
            Field::ProviderCallbackPhone => "providerCallbackPhone",
            Field::AppointmentLocation => "appointmentLocation",
            Field::AppointmentId => "appointmentId",
            Field::AppointmentDatetime => "appointmentDatetime",
            Field::AppointmentTimezone => "appointmentTimezone",
        }
    }

    /// Look a key up by its Table B (`snake_case`) or profile (`camelCase`) spelling.
    pub fn from_name(s: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s || f.camel() == s)
    }

    /// Whether the PAM flow cannot run without this value (the `save-*` assertions plus the two
    /// values the reminder Lambda needs, contract §8.3).
    pub const fn required(self) -> bool {
        matches!(
            self,
            Field::EventType
                | Field::PatientId
                | Field::AppointmentId
                | Field::AppointmentDatetime
                | Field::AppointmentTimezone
                | Field::PatientPhone
        )
    }

    pub(super) const fn index(self) -> usize {
        self as usize
    }
}

/// The `event_type` values this library sends (contract §8.2: exactly these, upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// New appointment (SIU^S12).
    Booked,
    /// New date/time (SIU^S13).
    Rescheduled,
    /// Other change (SIU^S14).
    Modified,
    /// Confirmed (SIU^S14 with a confirmed filler status).
    Confirmed,
    /// Cancelled (SIU^S15; S16/S17 by default).
    Canceled,
    /// No-show (SIU^S26).
    Noshowed,
}

impl EventType {
    /// All event types.
    pub const ALL: [EventType; 6] = [
        EventType::Booked,
        EventType::Rescheduled,
        EventType::Modified,
        EventType::Confirmed,
        EventType::Canceled,
        EventType::Noshowed,
    ];

    /// The exact string the flow's `split_on_event_type` compares with.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::Booked => "BOOKED",
            EventType::Rescheduled => "RESCHEDULED",
            EventType::Modified => "MODIFIED",
            EventType::Confirmed => "CONFIRMED",
            EventType::Canceled => "CANCELED",
            EventType::Noshowed => "NOSHOWED",
        }
    }

    /// Parse the upper-case name (case-insensitive).
    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL
            .iter()
            .copied()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(f));
            assert_eq!(Field::from_name(f.camel()), Some(f));
        }
        assert_eq!(Field::from_name("nope"), None);
    }
}
