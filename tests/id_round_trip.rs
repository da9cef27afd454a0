//! An id the PAM flow cannot carry is percent-encoded on the way out (SIU → Studio) and comes back
//! as the EHR's own id on the way in (reply → SRM / FHIR).
#![cfg(not(target_arch = "wasm32"))]

use ehr_studio_bridge::hl7::Message;
use ehr_studio_bridge::reply::{parse_reply, reply_to_hl7, ReplyConfig};
use ehr_studio_bridge::{map_hl7, CompiledProfile};

#[test]
fn appointment_and_patient_ids_survive_the_round_trip() {
    let siu = "MSH|^~\\&|EHR|C|BR|T|20250305143012-0500||SIU^S12^SIU_S12|M1|P|2.5.1\r\
SCH||2025/77,B^EHR|||||||||^^^20250310083000\r\
PID|1||MRN=1/2^^^H^MR||DOE^JANE||||||||^PRN^CP^^1^617^5550142\r\
AIL|1||CLINIC\r";
    let profile = CompiledProfile::from_json(
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    )
    .unwrap();
    let r = map_hl7(siu.as_bytes(), &profile).unwrap();
    let e = r.event.expect("event");
    assert_eq!(e.appointment_id, "2025%2F77%2CB");
    assert_eq!(e.patient_id, "MRN%3D1%2F2");
    // What the PAM widget would POST back (ids inserted verbatim into its body template).
    let body = format!(
        "{{\n\"flow_sid\": \"FW0123456789abcdef0123456789abcdef\",\n\"event_type\": \"Cancel\",\n\"appointment_id\": \"{}\",\n\"provider_id\": \"\",\n\"patient_id\": \"{}\"\n}}",
        e.appointment_id, e.patient_id
    );
    let reply = parse_reply(body.as_bytes(), Some("application/json;charset=utf-8")).unwrap();
    assert_eq!(reply.appointment_id, "2025/77,B");
    assert_eq!(reply.patient_id, "MRN=1/2");
    let cfg = ReplyConfig::from_json(
        r#"{"hl7":{"version":"2.5.1","placerContact":{"id":"SMS"},"enteredBy":{"id":"SMS"}}}"#,
    )
    .unwrap();
    let srm = reply_to_hl7(&reply, &cfg, "C1", "20250305143100+0000").unwrap();
    let m = Message::parse_str(&srm).unwrap();
    assert_eq!(m.get("MSH-9.2").unwrap().raw(), "S04");
    assert_eq!(m.get("PID-3.1").unwrap().decoded(), "MRN=1/2");
    let arq = m.segment("ARQ").unwrap();
    let ids: Vec<String> = [1, 2]
        .iter()
        .filter_map(|&f| arq.field(f))
        .map(|f| {
            f.component(1)
                .map(|c| c.decoded().into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert!(ids.iter().any(|i| i == "2025/77,B"), "{ids:?}");
}
