// @ts-check
// The hand-written JavaScript baseline of reference/performance-anchors.md ("js-scan"), written
// for this repository's benchmarks: no split(), no regex — indexOf/charCodeAt over the string —
// extracting the 13 fields of the perf study and converting them (MSH-7 → UTC ISO, PID-13.1 → E.164,
// SCH-11.4 → local time + offset, AIL-3.1 unescaped), then JSON.stringify. It knows the message
// shape (first repetition, default delimiters |^~\&) and does none of what the package does beyond
// that (no validation, warnings, provenance, time zones, PAM rules): the floor a library is compared to.
// The output equals tests/fixtures/perf/expected.json (checked by the benches before timing).

const CR = 13;
const BAR = 124; // |
const HAT = 94; // ^
const TILDE = 126; // ~

/** Start of segment `name` (the first one), or -1. @param {string} t @param {string} name */
function segment(t, name) {
  if (t.startsWith(name)) return 0;
  const at = t.indexOf(`\r${name}|`);
  return at < 0 ? -1 : at + 1;
}

/**
 * [start, end) of field n of the segment at s (MSH: n counts MSH-1, the separator itself).
 * @param {string} t @param {number} s @param {number} n @returns {[number, number]}
 */
function field(t, s, n) {
  let k = t.startsWith('MSH', s) ? n - 1 : n;
  let i = s + 2;
  while (k > 0) {
    const c = t.charCodeAt(++i);
    if (c === BAR) k--;
    else if (c === CR || Number.isNaN(c)) return [i, i];
  }
  let e = i + 1;
  for (let c = t.charCodeAt(e); c !== BAR && c !== CR && !Number.isNaN(c); c = t.charCodeAt(++e));
  return [i + 1, e];
}

/** Component c of the first repetition of [fs, fe). @param {string} t @param {[number, number]} f @param {number} c */
function comp(t, [fs, fe], c) {
  let i = fs;
  for (let k = 1; k < c; k++) {
    while (i < fe && t.charCodeAt(i) !== HAT && t.charCodeAt(i) !== TILDE) i++;
    if (i >= fe || t.charCodeAt(i) === TILDE) return '';
    i++;
  }
  let e = i;
  while (e < fe && t.charCodeAt(e) !== HAT && t.charCodeAt(e) !== TILDE && t.charCodeAt(e) !== 38) e++;
  return t.slice(i, e);
}

/** HL7 escapes \F\ \S\ \T\ \R\ \E\ \.br\. @param {string} v */
function unescape(v) {
  if (v.indexOf('\\') < 0) return v;
  let out = '';
  let i = 0;
  for (;;) {
    const a = v.indexOf('\\', i);
    const b = a < 0 ? -1 : v.indexOf('\\', a + 1);
    if (b < 0) return out + v.slice(i);
    out += v.slice(i, a);
    const code = v.slice(a + 1, b);
    out += code === 'F' ? '|' : code === 'S' ? '^' : code === 'T' ? '&' : code === 'R' ? '~' : code === 'E' ? '\\' : code === '.br' ? '\r' : '';
    i = b + 1;
  }
}

/** `YYYYMMDDHHMMSS±ZZZZ` → [local ISO without offset, "±HH:MM", UTC ms]. @param {string} ts */
function dtm(ts) {
  const n = (/** @type {number} */ a, /** @type {number} */ b) => Number(ts.slice(a, b));
  const local = `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}T${ts.slice(8, 10)}:${ts.slice(10, 12)}:${ts.slice(12, 14)}`;
  const sign = ts.charCodeAt(14) === 45 ? -1 : 1;
  const offMin = sign * (n(15, 17) * 60 + n(17, 19));
  const utc = Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)) - offMin * 60_000;
  return [local, `${ts[14]}${ts.slice(15, 17)}:${ts.slice(17, 19)}`, utc];
}

/** NANP only (the baseline's scope): digits → +1XXXXXXXXXX. @param {string} v */
function e164(v) {
  let d = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) d += v[i];
  }
  if (d.length === 10) return `+1${d}`;
  if (d.length === 11 && d[0] === '1') return `+${d}`;
  return '';
}

/** Parse + extract + JSON text. @param {string} t */
export function jsScan(t) {
  const msh = segment(t, 'MSH');
  const sch = segment(t, 'SCH');
  const pid = segment(t, 'PID');
  const ail = segment(t, 'AIL');
  const pid3 = field(t, pid, 3);
  const pid5 = field(t, pid, 5);
  const sch12 = field(t, sch, 12);
  const [local, offset] = dtm(comp(t, field(t, sch, 11), 4));
  return JSON.stringify({
    messageDateTimeUtc: new Date(dtm(comp(t, field(t, msh, 7), 1))[2]).toISOString(),
    triggerEvent: comp(t, field(t, msh, 9), 2),
    patientId: comp(t, pid3, 1),
    patientFirstName: comp(t, pid5, 2),
    patientLastName: comp(t, pid5, 1),
    patientPhoneE164: e164(comp(t, field(t, pid, 13), 1)),
    appointmentId: comp(t, field(t, sch, 1), 1),
    appointmentStartLocal: local,
    appointmentStartOffset: offset,
    providerId: comp(t, sch12, 1),
    providerLastName: comp(t, sch12, 2),
    providerFirstName: comp(t, sch12, 3),
    location: unescape(comp(t, field(t, ail, 3), 1)),
    fillerStatus: comp(t, field(t, sch, 25), 1),
  });
}
