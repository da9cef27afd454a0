//! Reminder exports (docs/reminders.md): plan the REMIND executions of an appointment, decide
//! whether a stored reminder still goes out, build the REMIND request.

use super::map::{credentials_in, json_text, profile_in, Mapper};
use super::{json_in, json_out, to_js_error};
use crate::profile::{Profile, SanitizeMode};
use crate::remind::{self, Existing, PlanInput, StoredReminder};
use crate::studio::StudioConfig;
use crate::{Error, ErrorCode};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_REMIND: &str = r#"
/** A reminder code (plan, skip, cancel, remindDue) or warning code; see docs/reminders.md. */
export type ReminderCode =
  | "REMIND_NOT_CONFIGURED" | "REMIND_EVENT_SKIPPED" | "REMIND_APPOINTMENT_CANCELED"
  | "REMIND_APPOINTMENT_NOSHOW" | "REMIND_CONFIRMED" | "REMIND_FILTERED" | "REMIND_NO_MOBILE_PHONE"
  | "REMIND_APPOINTMENT_PAST" | "REMIND_NO_TIME_ZONE" | "REMIND_OUTSIDE_WINDOW" | "REMIND_NO_WINDOW_SLOT"
  | "REMIND_NOT_BEFORE_START" | "REMIND_TIME_PASSED" | "REMIND_TOO_CLOSE_TO_BOOKING"
  | "REMIND_TOO_CLOSE_TO_PREVIOUS" | "REMIND_RESCHEDULED" | "REMIND_REPLANNED" | "REMIND_TOO_LATE"
  | "REMIND_WINDOW_CLOSED" | "REMIND_APPOINTMENT_STARTED";

/** A reminder's state in the host's store. */
export type ReminderStatus = "pending" | "claimed" | "sent" | "skipped" | "canceled" | "failed";

/** What `planReminders` reads of a stored reminder (rows may carry more keys). */
export interface ExistingReminder {
  id: string;
  status: ReminderStatus;
  /** The appointment start it was planned for (tells a reschedule from a schedule change). */
  appointmentStartMs?: number;
}

/** What the host does with a planned reminder. */
export type ReminderAction = "create" | "update" | "keep" | "cancel" | "skip";

/** One entry of a plan. `create`/`update` carry the times, `notAfterMs` and the snapshot. */
export interface PlannedReminder {
  /** `rm1-` + 32 hex: stable per (patient, appointment, start, offset); a hash, no PHI. */
  id: string;
  action: ReminderAction;
  /** Why (skip, cancel). */
  code?: ReminderCode;
  reason?: string;
  /** `ak1-` + 32 hex of (patient id, appointment id). */
  appointmentKey: string;
  /** The profile offset (`72h`, `1d@18:00`); absent for cancels of reminders no longer planned. */
  offset?: string;
  appointmentStartMs?: number;
  /** The offset's instant before a window move, UTC `…Z`. */
  nominalAt?: string;
  /** When to send: UTC `…Z`, Unix ms, the patient's wall time and offset. */
  dueAt?: string;
  dueAtMs?: number;
  dueLocal?: string;
  dueOffset?: string;
  moved?: "earlier" | "later";
  /** After this instant it is not worth sending (`remindDue` skips it). */
  notAfterMs?: number;
  notAfter?: "appointment" | "window" | "lateGrace";
  /** The values to send (the event as mapped; the REMIND builder sets event_type and event_datetime_utc). */
  snapshot?: TableB;
}

/** The reminders of one appointment after an event: the desired state (docs/reminders.md). */
export interface ReminderPlan {
  appointmentKey: string | null;
  eventType: string | null;
  /** The input says nothing about reminders: leave the store alone. */
  unchanged: boolean;
  code: ReminderCode | null;
  reason: string | null;
  /** The IANA zone of the wall times (`null`: the fixed offset of appointment_timezone). */
  timeZone: string | null;
  appointmentStart: string | null;
  appointmentStartMs: number | null;
  reminders: PlannedReminder[];
  warnings: Warning[];
}

/** A stored `create`/`update` entry, as `remindDue` and the REMIND builder read it (a `PlannedReminder` of those actions is one; stores may add keys). */
export interface StoredReminder {
  id: string;
  dueAtMs: number;
  notAfterMs: number;
  notAfter?: "appointment" | "window" | "lateGrace";
  appointmentStartMs: number;
  snapshot?: TableB;
  [key: string]: unknown;
}

/** `remindDue`: send now, wait, or record as skipped. */
export interface ReminderDue {
  action: "send" | "wait" | "skip";
  code?: ReminderCode;
  reason?: string;
  waitMs?: number;
}

/** A REMIND execution request (`idempotencyKey` is the reminder id) and the repairs its snapshot needed. */
export interface RemindExecution {
  request: StudioRequest;
  warnings: Warning[];
}
"#;

/// `nowMs` (`undefined`/`null`: the host clock) as Unix ms.
fn now_or_clock(now_ms: Option<JsValue>) -> Result<i64, JsValue> {
    let v = match now_ms.filter(|v| !v.is_undefined() && !v.is_null()) {
        None => js_sys::Date::now(),
        Some(v) => v.as_f64().unwrap_or(f64::NAN),
    };
    if !v.is_finite() || v.abs() > 8.64e15 {
        return Err(to_js_error(Error::new(
            ErrorCode::BadArgument,
            "nowMs must be a finite time value in ms",
        )));
    }
    Ok(v as i64)
}

/// The planner input from JS (an object, or JSON text).
fn plan_input(v: &JsValue) -> Result<PlanInput, JsValue> {
    let text = json_text(
        v,
        "the event must be a MapResult or Table B values (an object)",
    )?;
    PlanInput::from_json(&text).map_err(to_js_error)
}

fn existing_in(v: Option<JsValue>) -> Result<Vec<Existing>, JsValue> {
    match v.filter(|v| !v.is_undefined() && !v.is_null()) {
        None => Ok(Vec::new()),
        Some(v) => json_in(&v, "existing"),
    }
}

fn plan(
    event: &JsValue,
    profile: &Profile,
    now_ms: Option<JsValue>,
    existing: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let input = plan_input(event)?;
    let now = now_or_clock(now_ms)?;
    let existing = existing_in(existing)?;
    json_out(
        &remind::plan_reminders(&input.subject(), profile, now, &existing).map_err(to_js_error)?,
    )
}

fn remind_execution(
    reminder: &JsValue,
    cfg: &StudioConfig,
    credentials: Option<JsValue>,
    now_ms: Option<JsValue>,
    mode: SanitizeMode,
) -> Result<JsValue, JsValue> {
    let r: StoredReminder = json_in(reminder, "reminder")?;
    let creds = credentials_in(credentials)?;
    let now = now_or_clock(now_ms)?;
    json_out(
        &remind::build_remind_execution(&r, cfg, creds.as_ref(), now, mode).map_err(to_js_error)?,
    )
}

/// Plan the REMIND executions of the appointment in `event` (a `MapResult`, or Table B values
/// such as a stored snapshot) with the profile's `reminders` section: one entry per reminder to
/// create, update, keep, cancel or skip (with a code). `nowMs` defaults to the host clock;
/// `existing` are the reminders the host stored for this appointment (`plan.appointmentKey`).
///
/// ```js
/// const result = mapper.map(siu);
/// const plan = planReminders(result, profile, Date.now(), await store.list(key));
/// for (const r of plan.reminders) if (r.action === "create") await store.insert(r);
/// ```
#[wasm_bindgen(js_name = planReminders, unchecked_return_type = "ReminderPlan")]
pub fn plan_reminders(
    #[wasm_bindgen(unchecked_param_type = "MapResult | TableB")] event: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Profile | string")] profile: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] now_ms: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "ExistingReminder[]")] existing: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let profile = profile_in(&profile.unwrap_or(JsValue::UNDEFINED))?;
    plan(&event, &profile, now_ms, existing)
}

/// Whether a stored reminder goes out at `nowMs` (default: the host clock): `send`, `wait`
/// (`waitMs`) or `skip` with a code (`REMIND_TOO_LATE`, `REMIND_WINDOW_CLOSED`,
/// `REMIND_APPOINTMENT_STARTED`) — the "still useful if late" rule the plan stored with it.
#[wasm_bindgen(js_name = remindDue, unchecked_return_type = "ReminderDue")]
pub fn remind_due(
    #[wasm_bindgen(unchecked_param_type = "StoredReminder | PlannedReminder")] reminder: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] now_ms: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let r: StoredReminder = json_in(&reminder, "reminder")?;
    json_out(&remind::remind_due(&r, now_or_clock(now_ms)?))
}

/// The REMIND execution of a stored reminder: its snapshot with `event_type=REMIND` and
/// `event_datetime_utc` = `nowMs` (default: the host clock), sanitized and built like every
/// Studio request; `request.idempotencyKey` is the reminder id.
#[wasm_bindgen(js_name = buildRemindExecution, unchecked_return_type = "RemindExecution")]
pub fn build_remind_execution(
    #[wasm_bindgen(unchecked_param_type = "StoredReminder | PlannedReminder")] reminder: JsValue,
    #[wasm_bindgen(unchecked_param_type = "StudioConfig")] studio: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Credentials")] credentials: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] now_ms: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let cfg: StudioConfig = json_in(&studio, "studio")?;
    cfg.validate().map_err(to_js_error)?;
    remind_execution(&reminder, &cfg, credentials, now_ms, SanitizeMode::Repair)
}

#[wasm_bindgen]
impl Mapper {
    /// `planReminders` with this mapper's profile.
    #[wasm_bindgen(js_name = planReminders, unchecked_return_type = "ReminderPlan")]
    pub fn plan_reminders(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MapResult | TableB")] event: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] now_ms: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "ExistingReminder[]")] existing: Option<
            JsValue,
        >,
    ) -> Result<JsValue, JsValue> {
        plan(&event, &self.profile, now_ms, existing)
    }

    /// `buildRemindExecution` with the profile's `studio` section and sanitization mode.
    #[wasm_bindgen(js_name = remindExecution, unchecked_return_type = "RemindExecution")]
    pub fn remind_execution(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StoredReminder | PlannedReminder")]
        reminder: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Credentials")] credentials: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] now_ms: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let cfg = self.profile.studio.as_ref().ok_or_else(|| {
            to_js_error(Error::new(
                ErrorCode::StudioBadConfig,
                "no Studio configuration: set the profile's studio section",
            ))
        })?;
        remind_execution(&reminder, cfg, credentials, now_ms, self.profile.sanitize)
    }
}
