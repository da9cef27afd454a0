//! The Studio flow patcher on the real PAM template (tests/fixtures/twilio/studio-flow-template.json).

use ehr_studio_bridge::reply::{
    parse_reply, parse_reply_with, patch_studio_flow, FlowPatchOptions, ReplyConfig, ReplyEvent,
    ValueEscaping,
};
use serde_json::Value;

fn template() -> String {
    std::fs::read_to_string("tests/fixtures/twilio/studio-flow-template.json").expect("template")
}

fn opts() -> FlowPatchOptions {
    FlowPatchOptions {
        ie_endpoint: Some("https://ehr.example.org/pam/replies?site=north".into()),
        ..Default::default()
    }
}

/// (name, type, [(event, next)]) per state.
type Node = (String, String, Vec<(String, Option<String>)>);

fn graph(flow: &Value) -> Vec<Node> {
    flow["states"]
        .as_array()
        .expect("states")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().expect("name").to_owned(),
                s["type"].as_str().expect("type").to_owned(),
                s["transitions"]
                    .as_array()
                    .expect("transitions")
                    .iter()
                    .map(|t| {
                        (
                            t["event"].as_str().expect("event").to_owned(),
                            t["next"].as_str().map(str::to_owned),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn state<'a>(flow: &'a Value, name: &str) -> &'a Value {
    flow["states"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .expect(name)
}

#[test]
fn patches_exactly_the_expected_widgets() {
    let original: Value = serde_json::from_str(&template()).expect("json");
    let out = patch_studio_flow(&template(), &opts()).expect("patch");
    let patched: Value = serde_json::from_str(&out.flow).expect("patched flow is JSON");

    let changed: Vec<(&str, &str)> = out
        .changes
        .iter()
        .map(|c| (c.widget.as_str(), c.property.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            ("confirm_booked", "body.event_type"),
            ("set_global_variables", "variables.IE_ENDPOINT"),
            ("confirm_remind", "body.flow_sid"),
            ("confirm_remind", "body.appointment_id"),
            ("confirm_remind", "body.provider_id"),
            ("confirm_remind", "body.patient_id"),
            ("cancel_remind", "body.flow_sid"),
            ("cancel_remind", "body.appointment_id"),
            ("cancel_remind", "body.provider_id"),
            ("cancel_remind", "body.patient_id"),
            ("confirm_booked", "body.flow_sid"),
            ("confirm_booked", "body.appointment_id"),
            ("confirm_booked", "body.provider_id"),
            ("confirm_booked", "body.patient_id"),
        ]
    );
    let fix = &out.changes[0];
    assert_eq!(
        (fix.before.as_str(), fix.after.as_str()),
        ("Confirm", "Cancel")
    );
    assert_eq!(
        out.changes[1].before,
        "https://you_ehr_endpoint_url.com/inbound"
    );
    assert_eq!(out.changes[2].before, "\"{{flow.flow_sid}}\"");
    assert_eq!(out.changes[2].after, "{{flow.flow_sid | to_json}}");
    assert_eq!(
        out.warnings.iter().map(|w| w.code).collect::<Vec<_>>(),
        ["FLOW_PATCH_TO_JSON_UNVERIFIED"]
    );

    // same widget graph, same everything else
    assert_eq!(graph(&original), graph(&patched));
    for s in original["states"].as_array().expect("states") {
        let name = s["name"].as_str().expect("name");
        if ![
            "confirm_booked",
            "confirm_remind",
            "cancel_remind",
            "set_global_variables",
        ]
        .contains(&name)
        {
            assert_eq!(s, state(&patched, name), "{name} must be untouched");
        }
    }
    for key in ["initial_state", "flags", "description"] {
        assert_eq!(original[key], patched[key]);
    }
    assert_eq!(
        state(&patched, "confirm_booked")["properties"]["body"],
        "{\n\"flow_sid\": {{flow.flow_sid | to_json}},\n\"event_type\": \"Cancel\",\n\"appointment_id\": {{flow.data.appointment_id | to_json}},\n\"provider_id\": {{flow.data.provider_id | to_json}},\n\"patient_id\": {{flow.data.patient_id | to_json}}\n}"
    );
    let vars = &state(&patched, "set_global_variables")["properties"]["variables"];
    assert_eq!(
        vars[1]["value"],
        "https://ehr.example.org/pam/replies?site=north"
    );
    assert_eq!(vars[0], original["states"][1]["properties"]["variables"][0]);
}

#[test]
fn idempotent() {
    let once = patch_studio_flow(&template(), &opts()).expect("patch");
    let twice = patch_studio_flow(&once.flow, &opts()).expect("patch again");
    assert!(twice.changes.is_empty(), "{:?}", twice.changes);
    assert_eq!(once.flow, twice.flow);
}

#[test]
fn only_the_bug_fix_without_escaping() {
    let o = FlowPatchOptions {
        ie_endpoint: None,
        fix_confirm_booked: true,
        value_escaping: ValueEscaping::None,
    };
    let out = patch_studio_flow(&template(), &o).expect("patch");
    assert_eq!(out.changes.len(), 1);
    assert_eq!(out.changes[0].widget, "confirm_booked");
    assert!(out.warnings.is_empty());

    // the rendered bodies of the patched widgets are now distinguishable
    let patched: Value = serde_json::from_str(&out.flow).expect("json");
    let render = |w: &str| {
        state(&patched, w)["properties"]["body"]
            .as_str()
            .expect("body")
            .replace("{{flow.flow_sid}}", "FW0123456789abcdef0123456789abcdef")
            .replace("{{flow.data.appointment_id}}", "2000")
            .replace("{{flow.data.provider_id}}", "afauci")
            .replace("{{flow.data.patient_id}}", "1000")
    };
    let patched_cfg = ReplyConfig {
        flow_patched: true,
        ..Default::default()
    };
    let booked =
        parse_reply_with(render("confirm_booked").as_bytes(), None, &patched_cfg).expect("booked");
    assert_eq!(booked.event_type, ReplyEvent::Cancel);
    let remind =
        parse_reply_with(render("confirm_remind").as_bytes(), None, &patched_cfg).expect("remind");
    assert_eq!(remind.event_type, ReplyEvent::Confirm);
    assert!(remind.warnings.is_empty());
}

#[test]
fn unpatched_template_bodies_are_indistinguishable() {
    let flow: Value = serde_json::from_str(&template()).expect("json");
    let body = |w: &str| {
        state(&flow, w)["properties"]["body"]
            .as_str()
            .expect("body")
            .to_owned()
    };
    assert_eq!(body("confirm_booked"), body("confirm_remind"));
    let rendered = body("confirm_booked")
        .replace("{{flow.flow_sid}}", "FW0123456789abcdef0123456789abcdef")
        .replace("{{flow.data.appointment_id}}", "2000")
        .replace("{{flow.data.provider_id}}", "afauci")
        .replace("{{flow.data.patient_id}}", "1000");
    let r =
        parse_reply(rendered.as_bytes(), Some("application/json;charset=utf-8")).expect("reply");
    assert_eq!(r.possible_widgets, ["confirm_remind", "confirm_booked"]);
    assert_eq!(r.warnings[0].code, "REPLY_CONFIRM_AMBIGUOUS");
}

#[test]
fn twilio_auth_is_switched_off() {
    let mut flow: Value = serde_json::from_str(&template()).expect("json");
    for s in flow["states"].as_array_mut().expect("states") {
        if s["name"] == "cancel_remind" {
            s["properties"]["add_twilio_auth"] = Value::Bool(true);
        }
    }
    let out = patch_studio_flow(&flow.to_string(), &FlowPatchOptions::default()).expect("patch");
    assert!(out.changes.iter().any(|c| c.widget == "cancel_remind"
        && c.property == "add_twilio_auth"
        && c.after == "false"));
}
