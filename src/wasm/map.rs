//! Mapping exports: EHR input → `MapResult` → Studio Executions request; profiles.

use super::{input_bytes, json_in, json_out, to_js_error};
use crate::event::AppointmentEvent;
use crate::inbound::{map_input, MapOptions};
use crate::profile::{CompiledProfile, Profile};
use crate::studio::{build_studio_execution, Credentials, StudioConfig};
use crate::{Error, ErrorCode};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_PROFILE: &str = include_str!("profile.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_MAP: &str = r#"
/** The 14 Studio `Parameters` (PAM "Table B"): always all present, always strings ("" = no value). */
export interface TableB {
  event_type: "BOOKED" | "RESCHEDULED" | "MODIFIED" | "CONFIRMED" | "CANCELED" | "NOSHOWED" | string;
  /** `YYYY-MM-DDTHH:mm:ssZ` */
  event_datetime_utc: string;
  patient_id: string;
  patient_first_name: string;
  patient_last_name: string;
  /** E.164, the execution's `To`. */
  patient_phone: string;
  provider_id: string;
  provider_first_name: string;
  provider_last_name: string;
  provider_callback_phone: string;
  appointment_location: string;
  appointment_id: string;
  /** Patient-local wall time `YYYY-MM-DDTHH:mm:ss` (no offset). */
  appointment_datetime: string;
  /** `±HHMM`, DST-correct for that date. */
  appointment_timezone: string;
}

/** Where one value came from: an input path (`PID-13[2]`, `/entry/1/resource/telecom/0`), a
 *  profile setting (`profile.defaults.appointmentLocation`), `"default"` or `"none"`. */
export interface Provenance {
  source: string;
  /** The rule that picked it. */
  rule: string;
}

/** Why nothing should be sent (not an error: the input was understood). */
export interface Skip {
  /** e.g. `SKIP_NOT_SCHEDULING_EVENT`, `SKIP_NO_MOBILE_PHONE`, `SKIP_FILTERED`. */
  code: string;
  reason: string;
  /** The rule that matched, e.g. `filters.smsConsent`, `hl7.events.S17`. */
  rule?: string;
}

export interface EntityId { id: string; namespace?: string }

/** Identifiers kept beside the 14 values (not sent to Studio). */
export interface ExtraIds {
  placerAppointmentId?: EntityId;
  fillerAppointmentId?: EntityId;
  patientIdType?: string;
  patientIdAuthority?: string;
  messageControlId?: string;
  trigger?: string;
  /** FHIR: the Appointment reference / version / chosen identifier. */
  appointmentRef?: string;
  appointmentVersion?: string;
  appointmentIdentifier?: EntityId;
  patientRef?: string;
  patientIdentifier?: EntityId;
  providerRef?: string;
  /** Subscription notification event id (dedupe at-least-once deliveries on it). */
  eventId?: string;
  /** The appointment this one replaces (R5 `replaces`, a Redox visit number change). */
  previousAppointmentId?: string;
  /** The IANA zone the start was computed in (reminder windows are read in it); absent when only an offset was known. */
  timeZone?: string;
}

/** What an input is. */
export type InputKind = "hl7" | "fhir" | "redox" | "tableB" | "json" | "unknown";

/** A resource the host must read before the input can be mapped (id-only notifications). */
export interface FetchItem {
  /** `Patient/P1`, an absolute or versioned reference, or a search `Appointment?identifier=…`. */
  reference: string;
  resourceType: string | null;
  id: string | null;
  versionId?: string;
  identifier?: EntityId;
  required: boolean;
  purpose: string;
}

/** Options of `map`/`mapFhir` (all optional; FHIR keys are ignored for other kinds). */
export interface MapOptions {
  /** Skip detection and treat the input as this kind. */
  kind?: Exclude<InputKind, "unknown">;
  /** FHIR: the previous snapshot of the same Appointment (or a Bundle holding it), to tell BOOKED / RESCHEDULED / MODIFIED / CONFIRMED apart. */
  previous?: object;
  /** FHIR: a trigger or topic hint from outside the document (`S13`, `Appointment.reschedule`). */
  trigger?: string;
  /** The host's clock in ms (default `Date.now()`): the event time of last resort. */
  nowMs?: number;
  /** FHIR: resources (or Bundles) read after a `NEEDS_FETCH` result. */
  resources?: object[];
}

/** The result of mapping one input. Exactly one of `event` / `skip` is non-null. */
export interface MapResult {
  event: TableB | null;
  skip: Skip | null;
  /** With `skip.code === "NEEDS_FETCH"`: read these resources and map again with `{ resources }`. */
  needsFetch: { resources: FetchItem[] } | null;
  warnings: Warning[];
  provenance: Partial<Record<keyof TableB, Provenance>>;
  ids: ExtraIds;
  /** Stable per (appointment, event, event time): a resent message must not text twice. */
  idempotencyKey: string | null;
  /** For previews only: the mapped values of a skipped input. Never send it. */
  draft: TableB | null;
}

/** Which flow to start, from which number. */
export interface StudioConfig {
  /** `FW` + 32 hex digits. */
  flowSid: string;
  /** E.164 number (or `MG…` Messaging Service SID) whose inbound webhook is the flow. */
  from: string;
  /** Default `https://studio.twilio.com` (a loopback `http://` origin is allowed for tests). */
  baseUrl?: string;
}

/** HTTP Basic credentials (an API key `SK…` + secret is recommended). Never echoed back. */
export interface Credentials { username: string; password: string }

/** A ready-to-send `POST /v2/Flows/{FW…}/Executions`. */
export interface StudioRequest {
  method: "POST";
  url: string;
  headers: { "Content-Type": "application/x-www-form-urlencoded"; Accept: "application/json"; Authorization?: string };
  /** Form-encoded `To=…&From=…&Parameters=…`. */
  body: string;
  form: { To: string; From: string; Parameters: string };
  /** For dry runs; reads `$TWILIO_API_KEY:$TWILIO_API_SECRET`, never contains a secret. */
  curl: string;
  idempotencyKey: string;
}

/** `Mapper.execution`: only what a host needs to send (no provenance, no curl). */
export interface Execution {
  request: { url: string; headers: StudioRequest["headers"]; body: string; idempotencyKey: string } | null;
  skip: Skip | null;
  /** Warning codes (call `studioRequest` or `map` for the messages and positions). */
  warnings: string[];
}

/** A preset profile shipped for a sender in the corpus. */
export interface PresetInfo { name: string; description: string; profile: Profile }
"#;

/// A profile argument: a `Profile` object, its JSON text, or nothing (the generic profile),
/// validated and compiled. Compiled on every call; the free functions use [`profile_cached`] instead.
pub(crate) fn profile_in(v: &JsValue) -> Result<CompiledProfile, JsValue> {
    match profile_text(v)? {
        None => Ok(CompiledProfile::default()),
        Some(text) => CompiledProfile::from_json(&text).map_err(to_js_error),
    }
}

/// The JSON text of a profile argument (`None`: the generic profile).
fn profile_text(v: &JsValue) -> Result<Option<String>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    json_text(v, "profile must be an object or JSON text").map(Some)
}

/// Profiles compiled by the free functions (`map(input, profile)`, `mapHl7`, `replyToHl7`, …),
/// keyed on their JSON text, most recently used first. The text is compared in full (no hash
/// collisions, and a profile object mutated between two calls is a new key), so the cache can
/// never answer with a stale profile; what a hit saves is the JSON parse, preset merge and
/// validation (`Profile::from_json`), not the `JSON.stringify` of an object argument.
struct ProfileCache {
    entries: Vec<(String, Rc<CompiledProfile>)>,
}

/// Profiles kept; hosts use one or a few profiles.
const PROFILE_CACHE_ENTRIES: usize = 8;
/// Larger profile texts are compiled every time rather than kept.
const PROFILE_CACHE_MAX_TEXT: usize = 64 * 1024;

thread_local! {
    static PROFILES: RefCell<ProfileCache> = const {
        RefCell::new(ProfileCache { entries: Vec::new() })
    };
    static GENERIC: Rc<CompiledProfile> = Rc::new(CompiledProfile::default());
}

/// [`profile_in`] through the per-instance cache of compiled profiles.
pub(crate) fn profile_cached(v: &JsValue) -> Result<Rc<CompiledProfile>, JsValue> {
    let Some(text) = profile_text(v)? else {
        return Ok(GENERIC.with(Rc::clone));
    };
    let hit = PROFILES.with(|c| {
        let mut c = c.borrow_mut();
        let at = c.entries.iter().position(|(t, _)| *t == text)?;
        let entry = c.entries.remove(at);
        let p = Rc::clone(&entry.1);
        c.entries.insert(0, entry);
        Some(p)
    });
    if let Some(p) = hit {
        return Ok(p);
    }
    let p = Rc::new(CompiledProfile::from_json(&text).map_err(to_js_error)?);
    if text.len() <= PROFILE_CACHE_MAX_TEXT {
        PROFILES.with(|c| {
            let mut c = c.borrow_mut();
            c.entries.truncate(PROFILE_CACHE_ENTRIES - 1);
            c.entries.insert(0, (text, Rc::clone(&p)));
        });
    }
    Ok(p)
}

#[cfg(test)]
pub(crate) fn profile_cache_len() -> usize {
    PROFILES.with(|c| c.borrow().entries.len())
}

/// An argument given as JSON text or as an object (stringified); `BAD_ARGUMENT` with `message`
/// when it cannot be stringified.
pub(super) fn json_text(v: &JsValue, message: &'static str) -> Result<String, JsValue> {
    match v.as_string() {
        Some(s) => Ok(s),
        None => js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| to_js_error(Error::new(ErrorCode::BadArgument, message))),
    }
}

/// A compiled profile: validate once, map many messages. Prefer it over the free functions in hot
/// paths (an HL7 listener, a Twilio Function kept warm), and call `free()` (or use `using`) when done.
///
/// ```js
/// const mapper = new Mapper({ sender: { timeZone: "America/New_York", defaultCountry: "US" } });
/// const { result, request } = mapper.studioRequest(siuText, { flowSid, from });
/// if (request) await fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
/// ```
#[wasm_bindgen]
pub struct Mapper {
    pub(super) profile: CompiledProfile,
}

#[wasm_bindgen]
impl Mapper {
    /// Validate the profile (coded `PROFILE_*` errors with a JSON pointer). No argument: the
    /// generic profile.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<
            JsValue,
        >,
    ) -> Result<Mapper, JsValue> {
        Ok(Mapper {
            profile: profile_in(&profile.unwrap_or(JsValue::UNDEFINED))?,
        })
    }

    /// The effective profile (presets merged, defaults filled in).
    #[wasm_bindgen(getter, unchecked_return_type = "Profile")]
    pub fn profile(&self) -> Result<JsValue, JsValue> {
        json_out(self.profile.profile())
    }

    /// Map an HL7 v2 SIU message (string or bytes) to the 14 values, or a coded skip.
    #[wasm_bindgen(js_name = mapHl7, unchecked_return_type = "MapResult")]
    pub fn map_hl7(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    ) -> Result<JsValue, JsValue> {
        let bytes = input_bytes(&input)?;
        json_out(&crate::inbound::map_hl7(&bytes, &self.profile).map_err(to_js_error)?)
    }

    /// Map any supported EHR input — detected from its content: HL7 v2 (text or bytes, MLLP
    /// framing allowed), FHIR (Appointment, Bundle, subscription notification), Redox Scheduling,
    /// the profile's JSON mapping, or Table B JSON — to the 14 values or a coded skip.
    #[wasm_bindgen(unchecked_return_type = "MapResult")]
    pub fn map(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "MapOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let opts = map_options(options)?;
        let bytes = json_input_bytes(&input)?;
        json_out(&map_input(&bytes, &self.profile, &opts).map_err(to_js_error)?)
    }

    /// The hot path for hosts that only send: map and build the request, and return just what is
    /// needed to send it — `{ request: {url, headers, body, idempotencyKey} | null, skip, warnings }`
    /// with warning codes only (no provenance, no curl). Use `studioRequest` for previews and logs.
    #[wasm_bindgen(unchecked_return_type = "Execution")]
    pub fn execution(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Credentials")] credentials: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "MapOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let cfg = self.profile.studio.as_ref().ok_or_else(no_studio_config)?;
        let creds = credentials_in(credentials)?;
        let mut opts = map_options(options)?;
        // Only the outcome and the warning codes are returned: nothing else is recorded.
        opts.detail = crate::event::Detail::Codes;
        let bytes = json_input_bytes(&input)?;
        let result = map_input(&bytes, &self.profile, &opts).map_err(to_js_error)?;
        let text = crate::studio::lean::execution_json(
            &result,
            cfg,
            creds.as_ref(),
            crate::jsonw::Ascii::Yes,
        )
        .map_err(to_js_error)?;
        js_sys::JSON::parse(&text)
    }

    /// Map, then build the Studio request when there is an event: `{ result, request }` where
    /// `request` is `null` for a skip. `studio` defaults to the profile's `studio` section.
    #[wasm_bindgen(js_name = studioRequest, unchecked_return_type = "{ result: MapResult; request: StudioRequest | null }")]
    pub fn studio_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StudioConfig")] studio: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "Credentials")] credentials: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "MapOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let cfg = studio_config(studio, &self.profile)?;
        let creds = credentials_in(credentials)?;
        let opts = map_options(options)?;
        let bytes = json_input_bytes(&input)?;
        let result = map_input(&bytes, &self.profile, &opts).map_err(to_js_error)?;
        let request = match &result.event {
            Some(e) => Some(build_studio_execution(e, &cfg, creds.as_ref()).map_err(to_js_error)?),
            None => None,
        };
        json_out(&RequestOut {
            result: &result,
            request,
        })
    }
}

/// Map options from JS (`undefined` = defaults); `nowMs` defaults to the host clock.
fn map_options(v: Option<JsValue>) -> Result<MapOptions, JsValue> {
    let v = v.filter(|v| !v.is_undefined() && !v.is_null());
    let mut opts = match v {
        None => MapOptions::default(),
        Some(v) => {
            let text = js_sys::JSON::stringify(&v)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| {
                    to_js_error(Error::new(
                        ErrorCode::BadArgument,
                        "options must be a plain object",
                    ))
                })?;
            MapOptions::from_json(&text).map_err(to_js_error)?
        }
    };
    if opts.now_ms.is_none() {
        opts.now_ms = Some(js_sys::Date::now() as i64);
    }
    Ok(opts)
}

#[derive(serde::Serialize)]
struct RequestOut<'a> {
    result: &'a crate::event::MapResult,
    request: Option<crate::studio::StudioRequest>,
}

fn studio_config(v: Option<JsValue>, profile: &Profile) -> Result<StudioConfig, JsValue> {
    match v.filter(|v| !v.is_undefined() && !v.is_null()) {
        Some(v) => {
            let cfg: StudioConfig = json_in(&v, "studio")?;
            cfg.validate().map_err(to_js_error)?;
            Ok(cfg)
        }
        None => profile.studio.clone().ok_or_else(no_studio_config),
    }
}

fn no_studio_config() -> JsValue {
    to_js_error(Error::new(
        ErrorCode::StudioBadConfig,
        "no Studio configuration: pass { flowSid, from } or set the profile's studio section",
    ))
}

pub(super) fn credentials_in(v: Option<JsValue>) -> Result<Option<Credentials>, JsValue> {
    // JSON.stringify + serde (measured: no slower than reading the two properties one by one
    // through Reflect, see docs/performance.md), with serde's checks and redacted messages.
    match v.filter(|v| !v.is_undefined() && !v.is_null()) {
        Some(v) => Ok(Some(json_in(&v, "credentials")?)),
        None => Ok(None),
    }
}

/// Map an HL7 v2 SIU message to the 14 Studio parameters, or a coded skip — with provenance and
/// warnings. `profile` may be an object, JSON text, or omitted (generic profile). For many
/// messages, build a `Mapper` once instead.
///
/// ```js
/// const r = mapHl7(siu, { preset: "athenahealth", sender: { timeZone: "America/New_York" } });
/// if (r.skip) console.log(r.skip.code, r.skip.reason); else console.log(r.event.appointment_datetime);
/// ```
#[wasm_bindgen(js_name = mapHl7, unchecked_return_type = "MapResult")]
pub fn map_hl7(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let profile = profile_cached(&profile.unwrap_or(JsValue::UNDEFINED))?;
    let bytes = input_bytes(&input)?;
    json_out(&crate::inbound::map_hl7(&bytes, &profile).map_err(to_js_error)?)
}

/// Map any supported EHR input (detected: HL7 v2, FHIR, Redox, the profile's JSON mapping, Table B
/// JSON) — the free-function form of `Mapper.map`.
///
/// ```js
/// const r = map(fhirNotification, profile, { previous: cachedAppointment });
/// if (r.skip?.code === "NEEDS_FETCH") {
///   const resources = await readAll(r.needsFetch.resources); // GET each reference
///   map(fhirNotification, profile, { resources });
/// }
/// ```
#[wasm_bindgen(unchecked_return_type = "MapResult")]
pub fn map(
    #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "MapOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let profile = profile_cached(&profile.unwrap_or(JsValue::UNDEFINED))?;
    let opts = map_options(options)?;
    let bytes = json_input_bytes(&input)?;
    json_out(&map_input(&bytes, &profile, &opts).map_err(to_js_error)?)
}

/// Map a FHIR R4/R4B/R5 input: an Appointment (with `contained`), a searchset Bundle with
/// `_include`d resources, or a subscription notification (R4 backport, R4B, R5). Id-only
/// notifications give `NEEDS_FETCH` with the exact resources to read.
#[wasm_bindgen(js_name = mapFhir, unchecked_return_type = "MapResult")]
pub fn map_fhir(
    #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Omit<MapOptions, \"kind\">")] options: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    map_kind(input, profile, options, crate::inbound::InputKind::Fhir)
}

/// Map a Redox Scheduling document (New, Reschedule, Modification, Cancel, NoShow).
#[wasm_bindgen(js_name = mapRedox, unchecked_return_type = "MapResult")]
pub fn map_redox(
    #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    map_kind(input, profile, None, crate::inbound::InputKind::Redox)
}

/// Map a JSON feed with the profile's `json` section (JSON pointers per Table B key), or pass
/// Table B JSON through validation and sanitization.
#[wasm_bindgen(js_name = mapJson, unchecked_return_type = "MapResult")]
pub fn map_json(
    #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    map_kind(input, profile, None, crate::inbound::InputKind::Json)
}

/// What an input is: `"hl7" | "fhir" | "redox" | "tableB" | "json" | "unknown"`.
#[wasm_bindgen(js_name = detectInput, unchecked_return_type = "InputKind")]
pub fn detect_input(
    #[wasm_bindgen(unchecked_param_type = "Input | object")] input: JsValue,
) -> Result<JsValue, JsValue> {
    let bytes = json_input_bytes(&input)?;
    Ok(JsValue::from_str(crate::inbound::detect(&bytes).as_str()))
}

/// JSON inputs may also be given as objects (stringified here).
fn json_input_bytes(input: &JsValue) -> Result<Vec<u8>, JsValue> {
    if input.is_object() && !input.is_instance_of::<js_sys::Uint8Array>() {
        let text = js_sys::JSON::stringify(input)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| {
                to_js_error(Error::new(
                    ErrorCode::BadArgument,
                    "input must be JSON text, bytes or a plain object",
                ))
            })?;
        return Ok(text.into_bytes());
    }
    input_bytes(input)
}

fn map_kind(
    input: JsValue,
    profile: Option<JsValue>,
    options: Option<JsValue>,
    kind: crate::inbound::InputKind,
) -> Result<JsValue, JsValue> {
    let profile = profile_cached(&profile.unwrap_or(JsValue::UNDEFINED))?;
    let bytes = json_input_bytes(&input)?;
    let result = match kind {
        // The profile's json mapping, or Table B passed through.
        crate::inbound::InputKind::Json => crate::inbound::map_json(&bytes, &profile),
        _ => {
            let mut opts = map_options(options)?;
            opts.kind = Some(kind);
            map_input(&bytes, &profile, &opts)
        }
    };
    json_out(&result.map_err(to_js_error)?)
}

/// Build the Studio v2 Executions request for an event (the `event` of a `MapResult`, or Table B
/// values you built yourself — those must already pass the PAM rules: `MAP_BAD_EVENT` otherwise).
/// The `Authorization` header is built only when `credentials` are given.
#[wasm_bindgen(js_name = buildStudioExecution, unchecked_return_type = "StudioRequest")]
pub fn build_studio_execution_js(
    #[wasm_bindgen(unchecked_param_type = "TableB")] event: JsValue,
    #[wasm_bindgen(unchecked_param_type = "StudioConfig")] studio: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Credentials")] credentials: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let event: AppointmentEvent = json_in(&event, "event")?;
    let cfg: StudioConfig = json_in(&studio, "studio")?;
    let creds = credentials_in(credentials)?;
    json_out(&build_studio_execution(&event, &cfg, creds.as_ref()).map_err(to_js_error)?)
}

/// Validate a profile and return it normalized (preset merged, defaults filled in). Throws a coded
/// `PROFILE_*` error with a JSON `pointer` to the offending key.
#[wasm_bindgen(js_name = validateProfile, unchecked_return_type = "Profile")]
pub fn validate_profile(
    #[wasm_bindgen(unchecked_param_type = "Profile | string")] profile: JsValue,
) -> Result<JsValue, JsValue> {
    json_out(profile_cached(&profile)?.profile())
}

/// The preset profiles shipped for senders whose messages differ from the defaults.
#[wasm_bindgen(unchecked_return_type = "PresetInfo[]")]
pub fn presets() -> Result<JsValue, JsValue> {
    #[derive(serde::Serialize)]
    struct P {
        name: &'static str,
        description: &'static str,
        profile: Profile,
    }
    let list = crate::profile::PRESETS
        .iter()
        .map(|&(name, description, _)| {
            Ok(P {
                name,
                description,
                profile: Profile::preset(name).map_err(to_js_error)?,
            })
        })
        .collect::<Result<Vec<_>, JsValue>>()?;
    json_out(&list)
}
