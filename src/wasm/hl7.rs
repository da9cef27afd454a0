//! HL7 v2 exports: parse to a preview tree, query paths, build ACKs, MLLP framing, batch files.

use super::{input_bytes, json_in, json_out, to_js_error};
use crate::hl7::{ack, batch, datetime, mllp, tree, Message, Path};
use crate::{Error, ErrorCode};
use js_sys::{Array, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_HL7: &str = r#"
/** A range `[start, end)` of the input: UTF-16 code units of the input string (or of the decoded text when bytes were given). */
export type Range = [number, number];

/** Options for `parseHl7`. */
export interface ParseHl7Options {
  /** `"utf16"` (default): ranges index the JS string; `"bytes"`: byte offsets into the decoded UTF-8 text. */
  offsets?: "utf16" | "bytes";
  /** Reject inputs larger than this many bytes (default: no limit). */
  maxBytes?: number;
}

/** A field, repetition, component or subcomponent. Leaves carry `value`; split nodes carry children. */
export interface Hl7Node {
  /** 1-based number at its level (field number, repetition number, …). */
  n: number;
  range: Range;
  /** Decoded value (escape sequences resolved); only on leaves. */
  value?: string;
  /** Present but null (`""`). */
  null?: true;
  reps?: Hl7Node[];
  components?: Hl7Node[];
  subcomponents?: Hl7Node[];
}

export interface Hl7Segment {
  name: string;
  /** 1-based position in the message. */
  index: number;
  range: Range;
  /** Non-empty fields only (`n` gives the field number; for MSH, field 1 is the field separator). */
  fields: Hl7Node[];
}

/** A non-fatal finding (never contains input values). */
export interface Warning {
  code: string;
  message: string;
  field?: string;
  position?: ErrorPosition;
}

/** The parsed message as a plain tree, for previews. */
export interface Hl7Tree {
  charset: "UTF-8" | "ISO-8859-1" | "ISO-8859-15";
  declaredCharset: string | null;
  delimiters: {
    field: string; component: string | null; repetition: string | null;
    escape: string | null; subcomponent: string | null; truncation: string | null;
  };
  version: string | null;
  messageType: string | null;
  controlId: string | null;
  segments: Hl7Segment[];
  warnings: Warning[];
}

/** One value found by `queryHl7`. */
export interface Hl7Value {
  /** The path, normalized (e.g. `"PID-5.1"`). */
  path: string;
  /** Decoded value; `""` when empty or null. */
  value: string;
  /** The text as written (escape sequences not resolved). */
  raw: string;
  /** Present but null (`""`). */
  isNull: boolean;
  range: Range;
}

/** Options for `buildAck`. */
export interface AckOptions {
  /** Outcome: accept (AA/CA), error (AE/CE) or reject (AR/CR). */
  code: "accept" | "error" | "reject";
  /** `"auto"` (default): commit ACK (CA/CE/CR) when the inbound MSH-15 is valued, else application ACK. */
  level?: "auto" | "commit" | "application";
  /** MSH-10 of the ACK. Default: generated from the current time. */
  controlId?: string;
  /** MSH-7 of the ACK (HL7 DTM). Default: now, in UTC. */
  timestamp?: string;
  /** MSA-3 (≤ v2.6) / ERR-8 (v2.7+) text. Never put PHI here. */
  text?: string;
  /** ERR segment content (not used for accepts). */
  error?: {
    /** HL7 table 0357 code, e.g. 101 (required field missing), 207 (application internal error). */
    hl7Code: number;
    severity?: "E" | "W" | "I";
    segment?: string; segmentIndex?: number; field?: number;
    repetition?: number; component?: number; subcomponent?: number;
  };
  /** MSH-3 to use when the inbound MSH-5 is empty. */
  application?: string;
  /** MSH-4 to use when the inbound MSH-6 is empty. */
  facility?: string;
}

export interface AckResult {
  /** The ACK (CR-separated), or `null` when the inbound MSH-15/16 ask for no acknowledgement. */
  message: string | null;
  /** The MSA-1 code. */
  ackCode: "AA" | "AE" | "AR" | "CA" | "CE" | "CR";
  /** Why no message was produced. */
  suppressed?: string;
}

export interface MllpSplit {
  /** Each complete frame's payload (framing removed). */
  frames: Uint8Array[];
  /** Unconsumed bytes (an incomplete frame): keep them and prepend them to the next chunk. */
  rest: Uint8Array;
  /** Byte offset in the input of each frame's payload. */
  offsets: number[];
  /** Non-whitespace bytes found outside any frame and skipped. */
  skippedBytes: number;
}

/** A batch envelope segment found between messages by `hl7Split`. */
export interface BatchEnvelope {
  segment: "FHS" | "BHS" | "BTS" | "FTS";
  /** Byte offset of the segment in the input. */
  start: number;
  /** `BTS-1` (messages in the batch) or `FTS-1` (batches in the file), when it is a number. */
  count?: number;
}

export interface Hl7Split {
  /** Each complete message as byte offsets `[start, end)` into the input, from its `MSH` to the terminator of its last non-blank segment. */
  messages: [number, number][];
  envelope: BatchEnvelope[];
  /** Bytes consumed: keep `input.subarray(consumed)` and put the next chunk after it. */
  consumed: number;
  /** Non-whitespace bytes outside any message or envelope segment (skipped). */
  skippedBytes: number;
}
"#;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ParseOpts {
    #[serde(default)]
    offsets: Option<String>,
    #[serde(default)]
    max_bytes: Option<usize>,
}

fn parse<'a>(bytes: &'a [u8], max_bytes: usize) -> Result<Message<'a>, JsValue> {
    Message::parse_with(bytes, crate::hl7::ParseOptions { max_bytes }).map_err(to_js_error)
}

/// Parse an HL7 v2 message (a string, or raw bytes as read from a socket — bytes follow the MSH-18
/// / Latin-1 charset rule) into a plain tree for previews. Every node has its `range` in the input.
///
/// ```js
/// const t = parseHl7("MSH|^~\\&|EHR|CLINIC|||20250305||SIU^S12|1|P|2.5.1\rPID|1||123^^^^MR||DOE^JANE\r");
/// t.segments[1].fields[2].components[1].value; // "JANE"
/// ```
///
/// (At the wasm level this returns the address of the packed tree — see [`pack_tree`]; the JS
/// glue's `parseHl7`, inserted by `js/build.mjs` from `js/glue/hl7-tree.js`, decodes it into the
/// plain objects the type describes.)
#[wasm_bindgen(js_name = parseHl7, unchecked_return_type = "Hl7Tree")]
pub fn parse_hl7(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ParseHl7Options")] options: Option<JsValue>,
) -> Result<u32, JsValue> {
    let opts: ParseOpts = match options.filter(|o| !o.is_undefined() && !o.is_null()) {
        None => ParseOpts::default(),
        Some(o) => json_in(&o, "options")?,
    };
    let mode = match opts.offsets.as_deref() {
        None | Some("utf16") => tree::Offsets::Utf16,
        Some("bytes") => tree::Offsets::Bytes,
        Some(_) => {
            return Err(to_js_error(Error::new(
                ErrorCode::BadArgument,
                "options.offsets must be \"utf16\" or \"bytes\"",
            )))
        }
    };
    let bytes = input_bytes(&input)?;
    let msg = parse(&bytes, opts.max_bytes.unwrap_or(0))?;
    Ok(pack_tree(&msg, mode))
}

/// The packed tree of the last `parseHl7` call and the six-word header the JS decoder reads:
/// `[words ptr, words len (u32s), pool ptr, pool len (bytes), head ptr, head len (bytes)]`.
/// Reused between calls (the capacity of the largest message so far stays allocated).
struct PackedOut {
    packed: tree::Packed,
    header: [u32; 6],
}

thread_local! {
    static PACKED: std::cell::RefCell<PackedOut> = std::cell::RefCell::new(PackedOut {
        packed: tree::Packed::default(),
        header: [0; 6],
    });
}

/// Pack the tree into the reused buffers and return the address of the header. The JS side reads
/// the buffers straight from wasm memory before the next call into wasm (nothing can grow the
/// memory in between).
pub(crate) fn pack_tree(msg: &Message<'_>, mode: tree::Offsets) -> u32 {
    PACKED.with(|cell| {
        let mut guard = cell.borrow_mut();
        let out = &mut *guard;
        tree::pack(msg, mode, &mut out.packed);
        let p = &out.packed;
        // wasm32: addresses and lengths fit in u32.
        out.header = [
            p.words.as_ptr() as u32,
            p.words.len() as u32,
            p.pool.as_ptr() as u32,
            p.pool.len() as u32,
            p.head.as_ptr() as u32,
            p.head.len() as u32,
        ];
        out.header.as_ptr() as u32
    })
}

/// The packed tree of the last `parseHl7` call as the JSON value of the tree (tests).
#[cfg(test)]
pub(crate) fn last_tree_json() -> serde_json::Value {
    PACKED.with(|cell| tree::unpack_to_json(&cell.borrow().packed))
}

/// Read values by path (`SEG[occ]-FIELD[rep].COMPONENT.SUBCOMPONENT`, e.g. `"PID-13[2].1"`,
/// `"SCH-11.4"`; `PID.5.1` is accepted too). With one path, returns the value or `null` when it is
/// absent; with an array of paths, returns an array (the message is parsed once).
///
/// ```js
/// queryHl7(msg, "PID-5.2").value;             // "JANE"
/// queryHl7(msg, ["PID-5.1", "ZZZ-1"]);         // [{…value: "DOE"}, null]
/// ```
#[wasm_bindgen(js_name = queryHl7, skip_typescript)]
pub fn query_hl7(input: JsValue, paths: JsValue) -> Result<JsValue, JsValue> {
    let list: Vec<String> = if let Some(s) = paths.as_string() {
        vec![s]
    } else if Array::is_array(&paths) {
        Array::from(&paths)
            .iter()
            .map(|p| p.as_string())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad_paths)?
    } else {
        return Err(bad_paths());
    };
    let parsed: Vec<Path> = list
        .iter()
        .map(|p| Path::parse(p))
        .collect::<crate::Result<_>>()
        .map_err(to_js_error)?;
    let bytes = input_bytes(&input)?;
    let msg = parse(&bytes, 0)?;
    let map = tree::OffsetMap::new(&msg, tree::Offsets::Utf16);
    let values: Vec<Option<Hl7Value>> = parsed
        .iter()
        .map(|p| {
            msg.query(p).map(|e| Hl7Value {
                path: p.to_string(),
                value: e.decoded().into_owned(),
                raw: e.raw().to_owned(),
                is_null: e.is_null(),
                range: [map.map(e.range().start), map.map(e.range().end)],
            })
        })
        .collect();
    if paths.is_string() {
        json_out(&values.into_iter().next().flatten())
    } else {
        json_out(&values)
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_QUERY: &str = r#"
/**
 * Read values by path (`SEG[occ]-FIELD[rep].COMPONENT.SUBCOMPONENT`, e.g. `"PID-13[2].1"`,
 * `"SCH-11.4"`; `PID.5.1` is accepted too). With one path, returns the value or `null` when absent;
 * with an array of paths, an array (the message is parsed once). Throws `HL7_BAD_PATH` for a
 * malformed path.
 */
export function queryHl7(input: Input, path: string): Hl7Value | null;
export function queryHl7(input: Input, paths: string[]): (Hl7Value | null)[];
"#;

fn bad_paths() -> JsValue {
    to_js_error(Error::new(
        ErrorCode::BadArgument,
        "paths must be a string or an array of strings",
    ))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Hl7Value {
    path: String,
    value: String,
    raw: String,
    is_null: bool,
    range: [usize; 2],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsAckOptions {
    code: ack::AckCode,
    #[serde(default)]
    level: ack::AckLevel,
    #[serde(default)]
    control_id: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    error: Option<ack::AckError>,
    #[serde(default)]
    application: Option<String>,
    #[serde(default)]
    facility: Option<String>,
}

/// Build the acknowledgement for an inbound message: MSH with sender/receiver swapped, MSH-9 shaped
/// for the message's version (`ACK`, `ACK^S12`, `ACK^S12^ACK`), `MSA|AA|<inbound MSH-10>` (or
/// CA/CE/CR in enhanced mode), and an ERR segment per version for errors. Contains no PHI.
///
/// ```js
/// const { message } = buildAck(inbound, { code: "accept" });
/// socket.write(mllpFrame(message));
/// ```
#[wasm_bindgen(js_name = buildAck, unchecked_return_type = "AckResult")]
pub fn build_ack(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AckOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let o: JsAckOptions = json_in(&options, "options")?;
    let bytes = input_bytes(&input)?;
    let msg = parse(&bytes, 0)?;
    let now = js_sys::Date::now() as i64;
    let opts = ack::AckOptions {
        code: o.code,
        level: o.level,
        control_id: o.control_id.unwrap_or_else(|| default_control_id(now)),
        timestamp: o
            .timestamp
            .unwrap_or_else(|| datetime::format_utc_millis(now)),
        text: o.text,
        error: o.error,
        application: o.application,
        facility: o.facility,
    };
    json_out(&ack::build(&msg, &opts).map_err(to_js_error)?)
}

/// A control id from the clock plus a little randomness: `A` + base-36 milliseconds + 4 random
/// base-36 digits (≤ 20 characters, the v2.5 limit for MSH-10).
pub(crate) fn default_control_id(now_ms: i64) -> String {
    let mut out = String::from("A");
    push_base36(&mut out, now_ms.max(0) as u64);
    let r = (js_sys::Math::random() * 1_679_616.0) as u64; // 36^4
    let mut tail = String::new();
    push_base36(&mut tail, r);
    for _ in tail.len()..4 {
        out.push('0');
    }
    out.push_str(&tail);
    out
}

fn push_base36(out: &mut String, mut v: u64) {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let (Some(slot), Some(&d)) = (buf.get_mut(i), DIGITS.get((v % 36) as usize)) {
            *slot = d;
        }
        v /= 36;
        if v == 0 || i == 0 {
            break;
        }
    }
    out.extend(buf.get(i..).unwrap_or(&[]).iter().map(|&b| char::from(b)));
}

/// Wrap a message in an MLLP frame (`0x0B` … `0x1C 0x0D`). Strings are encoded as UTF-8.
#[wasm_bindgen(js_name = mllpFrame)]
pub fn mllp_frame(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
) -> Result<Uint8Array, JsValue> {
    let bytes = input_bytes(&input)?;
    Ok(Uint8Array::from(mllp::frame(&bytes).as_slice()))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SplitOpts {
    #[serde(default, rename = "final")]
    final_chunk: bool,
}

/// Cut a received byte stream into MLLP frames. Incomplete trailing bytes are returned in `rest`
/// (prepend them to the next chunk); with `{ final: true }` an unterminated frame throws
/// `HL7_MLLP_UNTERMINATED`.
#[wasm_bindgen(js_name = mllpSplit, unchecked_return_type = "MllpSplit")]
pub fn mllp_split(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ final?: boolean }")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let o: SplitOpts = json_in(&options.unwrap_or(JsValue::UNDEFINED), "options")?;
    let bytes = input_bytes(&input)?;
    let s = mllp::split(&bytes, o.final_chunk).map_err(to_js_error)?;
    let frames = Array::new();
    for r in &s.frames {
        frames.push(&Uint8Array::from(bytes.get(r.clone()).unwrap_or(&[])));
    }
    let out = js_sys::Object::new();
    let rest = Uint8Array::from(bytes.get(s.rest..).unwrap_or(&[]));
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &JsValue::from_str(k), v);
    let offsets = Array::new();
    for r in &s.frames {
        offsets.push(&JsValue::from_f64(r.start as f64));
    }
    set("frames", &frames)?;
    set("rest", &rest)?;
    set("offsets", &offsets)?;
    set("skippedBytes", &JsValue::from_f64(s.skipped_bytes as f64))?;
    Ok(out.into())
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Hl7SplitOut<'a> {
    messages: Vec<(usize, usize)>,
    envelope: &'a [batch::Envelope],
    consumed: usize,
    skipped_bytes: usize,
}

/// Cut a file of many HL7 v2 messages (a batch file with `FHS`/`BHS`/`BTS`/`FTS` envelopes, or
/// messages one after the other, blank lines between them or not; CR, LF or CRLF) into messages,
/// without decoding: pass each message's bytes on as they are. Works on chunks: the last message,
/// which may continue, is not consumed unless `{ final: true }`. Offsets are byte offsets (a string
/// input is encoded as UTF-8 first).
///
/// ```js
/// let rest = new Uint8Array(0);
/// for await (const chunk of stream) {
///   const buf = concat(rest, chunk);
///   const s = hl7Split(buf);
///   for (const [start, end] of s.messages) handle(buf.subarray(start, end));
///   rest = buf.subarray(s.consumed);
/// }
/// for (const [start, end] of hl7Split(rest, { final: true }).messages) handle(rest.subarray(start, end));
/// ```
#[wasm_bindgen(js_name = hl7Split, unchecked_return_type = "Hl7Split")]
pub fn hl7_split(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ final?: boolean }")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let o: SplitOpts = json_in(&options.unwrap_or(JsValue::UNDEFINED), "options")?;
    let bytes = input_bytes(&input)?;
    let s = batch::split(&bytes, o.final_chunk);
    json_out(&Hl7SplitOut {
        messages: s.messages.iter().map(|r| (r.start, r.end)).collect(),
        envelope: &s.envelope,
        consumed: s.consumed,
        skipped_bytes: s.skipped_bytes,
    })
}
