//! Reply exports (Twilio → EHR): parse the widget's body, verify the signature, describe the EHR
//! request (HL7 SRM or FHIR), read the EHR's answer, patch the Studio flow.

use super::hl7::default_control_id;
use super::map::profile_cached;
use super::{input_bytes, json_in, json_out, to_js_error};
use crate::hl7::datetime;
use crate::reply::{self, Reply, SignatureAlgorithm, SignatureInput};
use crate::{Error, ErrorCode};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_REPLY: &str = r#"
/** A person for ARQ-15 (placer contact) / ARQ-19 (entered by). */
export interface ReplyPerson { id?: string; familyName?: string; givenName?: string }
/** A coded value (CE/CWE). */
export interface ReplyCoded { code: string; text?: string; system?: string }

/** The profile's `reply` section: patient replies → EHR requests. */
export interface ReplyConfig {
  /** Largest accepted reply body (default 16384, at most 1048576). */
  maxBodyBytes?: number;
  /** Set once the flow has been patched with `patchStudioFlow` (confirm_booked then sends "Cancel"). */
  flowPatched?: boolean;
  /** HL7 v2: CONFIRM → SRM^S03, CANCEL → SRM^S04. */
  hl7?: {
    /** 2.3, 2.3.1, 2.4, 2.5, 2.5.1 (default), 2.6, 2.7, 2.7.1, 2.8 */
    version?: string;
    sendingApplication?: string; sendingFacility?: string;
    receivingApplication?: string; receivingFacility?: string;
    /** MSH-11: P (default), T or D. */
    processingId?: string;
    acceptAckType?: string | null; applicationAckType?: string | null;
    /** Which ARQ field carries the reply's appointment_id (default "filler"). */
    appointmentId?: "placer" | "filler" | "both";
    placerAuthority?: string | null; fillerAuthority?: string | null;
    patientIdAuthority?: string | null;
    /** PID-3 identifier type (default MR). */
    patientIdType?: string;
    /** ARQ-15 (required by the standard). */
    placerContact: ReplyPerson;
    /** ARQ-19 (required by the standard). */
    enteredBy: ReplyPerson;
    /** ARQ-6 for cancellations. */
    cancelReason?: ReplyCoded;
    confirmReason?: ReplyCoded | null;
    confirmNote?: string | null;
    cancelNote?: string | null;
    /** Add an AIP with the reply's provider_id (default true). */
    providerResource?: boolean;
  };
  /** FHIR R4 write-back. */
  fhir?: {
    target?: "generic-r4" | "oracle-millennium";
    style?: "json-patch" | "fhirpath-patch" | "put" | "appointment-response";
    baseUrl: string;
    /** Authorization header value the host substitutes (default "Bearer <access_token>"). */
    authorization?: string;
    ifMatch?: "ifKnown" | "require";
    /** Patient reference template (default "Patient/{patient_id}"). */
    patientReference?: string;
    matchSinglePatient?: boolean;
    cancelReason?: { system: string; code: string; display?: string | null };
    testStatus?: boolean;
  };
}

/** A parsed patient reply (Table C). Ids are percent-decoded back to the EHR's own ids. */
export interface Reply {
  eventType: "CONFIRM" | "CANCEL";
  flowSid: string;
  appointmentId: string;
  patientId: string;
  providerId: string;
  /** Widgets of the PAM template that send exactly this body (unpatched flows: Confirm is ambiguous). */
  possibleWidgets: string[];
  warnings: Warning[];
}

/** What `verifyTwilioSignature` checks. Give `params` for form posts, `body` (the raw bytes) for JSON posts. */
export interface SignatureInput {
  /** The account's auth token. */
  authToken: string;
  /** The full public URL Twilio called, including the query string (and `bodySHA256=` for JSON). */
  url: string;
  /** The `X-Twilio-Signature` header. */
  signature?: string | null;
  /** Form parameters: an object (values may be arrays) or `[key, value]` pairs. */
  params?: Record<string, string | string[]> | [string, string][];
  /** The raw request body (JSON posts): exactly the bytes received. */
  body?: string | Uint8Array;
  algorithm?: "HMAC_SHA1" | "HMAC_SHA256";
}

export interface Verdict {
  valid: boolean;
  mode: "form" | "body";
  /** Which URL form matched (twilio-node tries several). */
  matchedUrlVariant?: "withoutPort" | "withPort" | "normalizedWithoutPort" | "normalizedWithPort" | "legacyQueryWithoutPort" | "legacyQueryWithPort";
  reason?: "MISSING_SIGNATURE" | "SIGNATURE_MISMATCH" | "BODY_HASH_MISMATCH" | "MISSING_BODY_HASH" | "BODY_HASH_NOT_VERIFIED";
}

/** An HTTP request for the host to send. */
export interface HttpRequest { method: "GET" | "PATCH" | "PUT" | "POST"; url: string; headers: Record<string, string>; body?: unknown }

/** The FHIR write for a reply; `action: "read"` means GET `request` first and call again with the result. */
export interface FhirRequest {
  action: "write" | "read" | "none";
  needsRead: boolean;
  target: "generic-r4" | "oracle-millennium";
  style: "json-patch" | "fhirpath-patch" | "put" | "appointment-response";
  request?: HttpRequest;
  reason?: "ALREADY_CANCELLED" | "ALREADY_ACCEPTED" | "NOT_CANCELLABLE" | "APPOINTMENT_NOT_ACTIVE";
  warnings: Warning[];
}

/** The EHR's answer (ACK/SRR, or an HTTP/FHIR response), without patient data. */
export interface EhrOutcome {
  kind: "hl7" | "fhir";
  accepted: boolean;
  code?: "AA" | "AE" | "AR" | "CA" | "CE" | "CR";
  controlId?: string;
  messageType?: string;
  errors: { hl7Code?: string; fhirCode?: string; location?: string; severity?: string }[];
  text?: string;
  httpStatus?: number;
  retryable: boolean;
  needsReread: boolean;
}

export interface FlowPatchOptions {
  /** New value of the flow's IE_ENDPOINT variable (your reply endpoint). */
  ieEndpoint?: string;
  /** Make confirm_booked send "Cancel" (default true). */
  fixConfirmBooked?: boolean;
  /** JSON-escape the widget bodies' values with Liquid `to_json` (default) or leave them. */
  valueEscaping?: "toJson" | "none";
}

export interface FlowPatchResult {
  /** The patched flow definition (JSON text). */
  flow: string;
  changes: { widget: string; property: string; before: string; after: string }[];
  warnings: Warning[];
}
"#;

fn reply_config(profile: Option<JsValue>) -> Result<crate::reply::ReplyConfig, JsValue> {
    Ok(profile_cached(&profile.unwrap_or(JsValue::UNDEFINED))?
        .profile()
        .reply
        .clone())
}

fn reply_in(v: &JsValue) -> Result<Reply, JsValue> {
    let r: Reply = json_in(v, "reply")?;
    r.check().map_err(to_js_error)?;
    Ok(r)
}

/// Parse the body the PAM flow's HTTP Request widget POSTs (`{flow_sid, event_type, appointment_id,
/// provider_id, patient_id}`), exactly as received (string or bytes). `contentType`, when given,
/// must be JSON. Limits come from `profile.reply`.
#[wasm_bindgen(js_name = parseReply, unchecked_return_type = "Reply")]
pub fn parse_reply(
    #[wasm_bindgen(unchecked_param_type = "Input")] body: JsValue,
    #[wasm_bindgen(
        unchecked_optional_param_type = "{ contentType?: string; profile?: Profile | string }"
    )]
    options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let get = |k: &str| {
        if options.is_object() {
            Reflect::get(&options, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        }
    };
    let content_type = get("contentType").as_string();
    let cfg = reply_config(Some(get("profile")))?;
    let bytes = input_bytes(&body)?;
    json_out(&reply::parse_reply_with(&bytes, content_type.as_deref(), &cfg).map_err(to_js_error)?)
}

/// Verify `X-Twilio-Signature` the way twilio-node does (URL variants, constant-time compare).
/// JSON posts (Studio HTTP Request widgets): pass the raw `body` and the URL with `?bodySHA256=`;
/// the body's SHA-256 must match too. Returns a verdict; throws only for unusable input.
#[wasm_bindgen(js_name = verifyTwilioSignature, unchecked_return_type = "Verdict")]
pub fn verify_twilio_signature(
    #[wasm_bindgen(unchecked_param_type = "SignatureInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    if !input.is_object() {
        return Err(bad("input must be an object"));
    }
    let get = |k: &str| Reflect::get(&input, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let str_of = |k: &str, required: bool| -> Result<Option<String>, JsValue> {
        let v = get(k);
        match v.as_string() {
            Some(s) => Ok(Some(s)),
            None if v.is_undefined() || v.is_null() => {
                if required {
                    Err(bad(&format!("{k} is required")))
                } else {
                    Ok(None)
                }
            }
            None => Err(bad(&format!("{k} must be a string"))),
        }
    };
    let auth_token = str_of("authToken", true)?.unwrap_or_default();
    let url = str_of("url", true)?.unwrap_or_default();
    let signature = str_of("signature", false)?;
    let algorithm = match str_of("algorithm", false)?.as_deref() {
        None | Some("HMAC_SHA1") => SignatureAlgorithm::HmacSha1,
        Some("HMAC_SHA256") => SignatureAlgorithm::HmacSha256,
        Some(_) => return Err(bad("algorithm must be HMAC_SHA1 or HMAC_SHA256")),
    };
    let body_v = get("body");
    let body = if body_v.is_undefined() || body_v.is_null() {
        None
    } else {
        Some(input_bytes(&body_v)?)
    };
    let params = params_in(&get("params"))?;
    let req = SignatureInput {
        auth_token,
        url,
        signature,
        params,
        body,
        algorithm,
    };
    json_out(&reply::verify_twilio_signature(&req).map_err(to_js_error)?)
}

/// Form parameters: an object (string or string[] values) or an array of `[key, value]` pairs.
fn params_in(v: &JsValue) -> Result<Option<Vec<(String, String)>>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let mut out = Vec::new();
    if Array::is_array(v) {
        for pair in Array::from(v).iter() {
            let p = Array::from(&pair);
            match (p.length(), p.get(0).as_string(), p.get(1).as_string()) {
                (2, Some(k), Some(val)) => out.push((k, val)),
                _ => return Err(bad("params pairs must be [string, string]")),
            }
        }
    } else if let Some(obj) = v.dyn_ref::<Object>() {
        for entry in Object::entries(obj).iter() {
            let e = Array::from(&entry);
            let k = e.get(0).as_string().unwrap_or_default();
            let val = e.get(1);
            if let Some(s) = val.as_string() {
                out.push((k, s));
            } else if Array::is_array(&val) {
                for x in Array::from(&val).iter() {
                    out.push((
                        k.clone(),
                        x.as_string()
                            .ok_or_else(|| bad("params values must be strings"))?,
                    ));
                }
            } else {
                return Err(bad("params values must be strings or arrays of strings"));
            }
        }
    } else {
        return Err(bad("params must be an object or an array of pairs"));
    }
    Ok(Some(out))
}

fn bad(msg: &str) -> JsValue {
    to_js_error(Error::new(ErrorCode::SignatureBadInput, msg.to_owned()))
}

/// The HL7 v2 request for a reply: SRM^S03 (CONFIRM) or SRM^S04 (CANCEL) per `profile.reply.hl7`
/// (version, ARQ persons, reasons), correctly escaped. `controlId` / `timestamp` default to a
/// generated id and now (UTC).
#[wasm_bindgen(js_name = replyToHl7)]
pub fn reply_to_hl7(
    #[wasm_bindgen(unchecked_param_type = "Reply")] reply: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Profile | string")] profile: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ controlId?: string; timestamp?: string }")]
    options: Option<JsValue>,
) -> Result<String, JsValue> {
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct O {
        #[serde(default)]
        control_id: Option<String>,
        #[serde(default)]
        timestamp: Option<String>,
    }
    let o: O = json_in(&options.unwrap_or(JsValue::UNDEFINED), "options")?;
    let reply = reply_in(&reply)?;
    let cfg = reply_config(Some(profile))?;
    let now = js_sys::Date::now() as i64;
    let control_id = o.control_id.unwrap_or_else(|| default_control_id(now));
    let timestamp = o
        .timestamp
        .unwrap_or_else(|| datetime::format_utc_millis(now));
    reply::reply_to_hl7(&reply, &cfg, &control_id, &timestamp).map_err(to_js_error)
}

/// The FHIR R4 request for a reply per `profile.reply.fhir` (JSON Patch, FHIRPath Patch, PUT,
/// AppointmentResponse, or Oracle Millennium). Pass `current` (the Appointment as read, or
/// `{ resource, etag }`) when the style needs it; without it you may get `action: "read"`.
#[wasm_bindgen(js_name = replyToFhir, unchecked_return_type = "FhirRequest")]
pub fn reply_to_fhir(
    #[wasm_bindgen(unchecked_param_type = "Reply")] reply: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Profile | string")] profile: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "unknown")] current: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let reply = reply_in(&reply)?;
    let cfg = reply_config(Some(profile))?;
    let current: Option<serde_json::Value> =
        match current.filter(|v| !v.is_undefined() && !v.is_null()) {
            Some(v) => Some(json_in(&v, "current")?),
            None => None,
        };
    json_out(&reply::reply_to_fhir(&reply, &cfg, current.as_ref()).map_err(to_js_error)?)
}

/// Read the EHR's answer: an HL7 ACK/SRR (string or bytes), or `{ status, body }` of a FHIR/HTTP
/// response. No patient data is copied into the outcome.
#[wasm_bindgen(js_name = parseEhrResponse, unchecked_return_type = "EhrOutcome")]
pub fn parse_ehr_response(
    #[wasm_bindgen(unchecked_param_type = "Input | { status: number; body?: Input }")]
    response: JsValue,
) -> Result<JsValue, JsValue> {
    if response.is_string() || response.is_instance_of::<Uint8Array>() {
        let bytes = input_bytes(&response)?;
        return json_out(&reply::parse_ehr_response(&bytes).map_err(to_js_error)?);
    }
    if !response.is_object() {
        return Err(to_js_error(Error::new(
            ErrorCode::BadArgument,
            "response must be HL7 text/bytes or { status, body }",
        )));
    }
    let status = Reflect::get(&response, &JsValue::from_str("status"))
        .ok()
        .and_then(|v| v.as_f64())
        .filter(|s| (100.0..600.0).contains(s))
        .ok_or_else(|| {
            to_js_error(Error::new(
                ErrorCode::BadArgument,
                "status must be an HTTP status code",
            ))
        })?;
    let body_v = Reflect::get(&response, &JsValue::from_str("body")).unwrap_or(JsValue::UNDEFINED);
    let body = if body_v.is_undefined() || body_v.is_null() {
        Vec::new()
    } else {
        input_bytes(&body_v)?
    };
    json_out(&reply::parse_fhir_response(status as u16, &body).map_err(to_js_error)?)
}

/// Every body the PAM flow's HTTP Request widgets can have sent for these values — the shipped
/// template and the `patchStudioFlow` (`to_json`) variants — for hosts without the raw body (Twilio
/// Functions merge the JSON into `event`): accept a reply only when one candidate's SHA-256 is the
/// signed `bodySHA256` (`verifyTwilioSignature({…, body: candidate})`). `[]` when one of the five
/// keys is missing or not a string.
#[wasm_bindgen(js_name = replyBodyCandidates, unchecked_return_type = "string[]")]
pub fn reply_body_candidates(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] fields: JsValue,
) -> Array {
    let out = Array::new();
    if !fields.is_object() {
        return out;
    }
    let get = |k: &str| {
        Reflect::get(&fields, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
    };
    let values: Vec<String> = reply::WIDGET_KEYS.iter().filter_map(|k| get(k)).collect();
    let Ok(five) = <[String; 5]>::try_from(values) else {
        return out;
    };
    for body in reply::widget_body_candidates(five.each_ref().map(String::as_str)) {
        out.push(&JsValue::from_str(&body));
    }
    out
}

/// Fix the PAM Studio flow definition: `confirm_booked` sends "Cancel", `IE_ENDPOINT` set, widget
/// body values JSON-escaped. Accepts the flow as JSON text or an object; reports every change.
#[wasm_bindgen(js_name = patchStudioFlow, unchecked_return_type = "FlowPatchResult")]
pub fn patch_studio_flow(
    #[wasm_bindgen(unchecked_param_type = "string | object")] flow: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "FlowPatchOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let opts: reply::FlowPatchOptions = json_in(&options.unwrap_or(JsValue::UNDEFINED), "options")?;
    let text = match flow.as_string() {
        Some(s) => s,
        None => js_sys::JSON::stringify(&flow)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| {
                to_js_error(Error::new(
                    ErrorCode::BadArgument,
                    "flow must be JSON text or an object",
                ))
            })?,
    };
    json_out(&reply::patch_studio_flow(&text, &opts).map_err(to_js_error)?)
}
