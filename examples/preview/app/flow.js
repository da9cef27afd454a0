// @ts-check
// What the patient would receive: a walk through a Twilio Studio flow definition (the PAM template
// or the user's own export), rendering every Liquid template with liquidjs. Presentation only: the
// 14 values come from the wasm mapper; this reproduces what Studio and the PAM Functions do with them.
//
// Emulated (see docs/preview.md, "How close the SMS is"):
// * the REST API trigger (`incomingRequest`), Set Variables, Split Based On (equal_to & co.), Send
//   Message, Send & Wait For Reply (the patient's answer is simulated), Make HTTP Request (assumed 2xx);
// * Run Function `get-datetime-parts`: the PAM function's algorithm, in a runtime whose zone is UTC;
// * Run Function `save-*`: the `{k=v, …}` parsing of `{{flow.data}}` and its required keys (the
//   mapper's sanitization already guarantees what validateAppointment checks);
// * `{{flow.data}}` renders as `{key=value, …}` (the form the save-* functions document).
'use strict';

(function (root) {
  /**
   * @typedef {Record<string, string>} FlowData
   * @typedef {{ text: string, key?: string }} Part
   * @typedef {{ widget: string, type: string, outcome: string, note?: string }} Step
   * @typedef {{ widget: string, from: string, to: string, body: string, parts: Part[], waitsForReply: boolean, timeout?: string }} Sms
   * @typedef {{ widget: string, method: string, url: string, contentType: string, body: string }} HttpCall
   * @typedef {{ reply: string, steps: Step[], requests: HttpCall[], end: string }} ReplyPath
   * @typedef {{ steps: Step[], messages: Sms[], requests: HttpCall[], replies: ReplyPath[], end: string, notes: string[] }} Trace
   * @typedef {{ data: FlowData, from: string, to: string, flowSid: string, variables?: Record<string, string>, reply?: string }} RunInput
   * @typedef {{ name: string, type: string, properties?: any, transitions?: { event: string, next?: string, conditions?: any[] }[] }} Widget
   */

  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const MAX_STEPS = 200;
  /** Keys save-* asserts before it stores anything. */
  const SAVE_REQUIRED = ['event_type', 'patient_id', 'appointment_id', 'appointment_datetime'];
  // Private-use characters wrap each substituted value in a second rendering, to find where the
  // values are in the text (never part of the text shown or compared).
  const OPEN = '\uE000';
  const MID = '\uE001';
  const CLOSE = '\uE002';

  /**
   * `Date.parse` as the Functions runtime sees it. ECMAScript reads a date-time without an offset
   * as LOCAL time; the Functions runtime runs in UTC (the PAM app relies on it), so such a string is
   * read as UTC here whatever the zone of this browser. Strings with `Z` or an offset are exact;
   * non-ISO strings fall back to the browser's parser, shifted from its zone to UTC (approximate).
   * @param {string} s
   */
  function parseInUtcRuntime(s) {
    if (/^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/.test(s)) return Date.parse(`${s}Z`);
    if (/^[+-]?\d{4,6}(?:-\d\d(?:-\d\d)?)?(?:T.*(?:Z|[+-]\d\d:\d\d))?$/.test(s)) return Date.parse(s);
    const local = Date.parse(s);
    return Number.isNaN(local) ? local : local - new Date(local).getTimezoneOffset() * 60_000;
  }

  /**
   * What PAM's `get-datetime-parts` Function returns for `datetime_iso` (its `readable_datetime`
   * is the `<dt>` of every SMS): UTC getters only, 12-hour clock with 12 for noon and midnight,
   * unpadded hour, padded minutes. An offset in the input is converted to UTC (a known trap: the
   * SMS then shows the UTC time); a non-date renders "NaN:aN PM on undefined, …" as the original does.
   * @param {string} iso
   */
  function datetimeParts(iso) {
    const d = new Date(parseInUtcRuntime(iso));
    const h = d.getUTCHours();
    const hour = h % 12 === 0 ? 12 : h % 12;
    const minutes = `0${d.getUTCMinutes()}`.slice(-2);
    const tod = `${hour}:${minutes} ${h < 12 ? 'AM' : 'PM'}`;
    const parts = {
      year: d.getUTCFullYear(),
      month_number: d.getUTCMonth() + 1,
      month_name: MONTHS[d.getUTCMonth()],
      day: d.getUTCDate(),
      day_of_week_long: DAYS[d.getUTCDay()],
      time_of_day: tod,
      date: iso.slice(0, 10),
      readable_datetime: '',
    };
    parts.readable_datetime = `${parts.time_of_day} on ${parts.day_of_week_long}, ${parts.month_name} ${parts.day}, ${parts.year}`;
    return parts;
  }

  // GSM 03.38 default alphabet (and the extension table, which costs two septets per character).
  const GSM_BASIC = new Set(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  );
  const GSM_EXTENDED = new Set('\f^{}\\[~]|€');

  /**
   * Characters, encoding and segment count of an SMS body (GSM-7: 160 / 153 per segment; UCS-2:
   * 70 / 67 per segment, counted in UTF-16 units). Twilio's optional Smart Encoding is not applied.
   * @param {string} body
   */
  function smsSize(body) {
    let septets = 0;
    let gsm = true;
    for (const ch of body) {
      if (GSM_BASIC.has(ch)) septets += 1;
      else if (GSM_EXTENDED.has(ch)) septets += 2;
      else {
        gsm = false;
        break;
      }
    }
    if (gsm) return { characters: [...body].length, encoding: 'GSM-7', segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
    const units = body.length;
    return { characters: [...body].length, encoding: 'UCS-2', segments: units <= 70 ? 1 : Math.ceil(units / 67) };
  }

  /** `{{flow.data}}` as Studio renders an object into text: `{k1=v1, k2=v2}`. @param {FlowData} data */
  function flowDataObject(data) {
    const copy = { ...data };
    Object.defineProperty(copy, 'toString', {
      value: () => `{${Object.entries(data).map(([k, v]) => `${k}=${v}`).join(', ')}}`,
      enumerable: false,
    });
    return copy;
  }

  /**
   * What save-* does with `event.appointment` (the rendered `{{flow.data}}`): drop the first `{` and
   * `}`, split on `,` then on `=`; a piece without `=` throws (a TypeError on `undefined.trim()`), a
   * missing required key fails its assert. Either way the Run Function fails and nothing is sent.
   * @param {string} text
   * @returns {{ ok: true, appointment: Record<string, string> } | { ok: false, why: string }}
   */
  function saveParse(text) {
    /** @type {Record<string, string>} */
    const appointment = {};
    for (const piece of text.replace('{', '').replace('}', '').split(',')) {
      const kv = piece.split('=');
      if (kv[1] === undefined) return { ok: false, why: 'a value contains "," (TypeError while parsing {{flow.data}})' };
      appointment[kv[0].trim()] = kv[1].trim();
    }
    const missing = SAVE_REQUIRED.filter((k) => !Object.prototype.hasOwnProperty.call(appointment, k));
    if (missing.length) return { ok: false, why: `ERR_ASSERTION: missing ${missing.join(', ')}` };
    return { ok: true, appointment };
  }

  /**
   * Does a Split Based On condition hold for `input`? (equal_to and the other text tests; Studio's
   * case handling is not documented, so comparisons are exact.)
   * @param {{ type: string, value?: string }} c @param {string} input
   * @returns {boolean | null} null: a test this page does not emulate
   */
  function conditionHolds(c, input) {
    const v = String(c.value ?? '');
    const anyOf = () => v.split(',').map((s) => s.trim());
    switch (c.type) {
      case 'equal_to':
        return input === v;
      case 'not_equal_to':
        return input !== v;
      case 'contains':
        return input.includes(v);
      case 'does_not_contain':
        return !input.includes(v);
      case 'starts_with':
        return input.startsWith(v);
      case 'does_not_start_with':
        return !input.startsWith(v);
      case 'matches_any_of':
        return anyOf().includes(input);
      case 'does_not_match_any_of':
        return !anyOf().includes(input);
      case 'is_blank':
        return input.trim() === '';
      case 'is_not_blank':
        return input.trim() !== '';
      case 'regex':
        try {
          return new RegExp(v).test(input);
        } catch {
          return null;
        }
      default:
        return null;
    }
  }

  class FlowRunner {
    /** @param {any} flow a Studio flow definition (`states`, `initial_state`) */
    constructor(flow) {
      if (!flow || !Array.isArray(flow.states)) throw new Error('not a Studio flow definition: no "states" array');
      /** @type {Map<string, Widget>} */
      this.states = new Map(flow.states.map((/** @type {Widget} */ s) => [s.name, s]));
      this.initial = String(flow.initial_state ?? 'Trigger');
      if (!this.states.has(this.initial)) throw new Error(`the flow's initial_state "${this.initial}" is not a widget`);
      this.liquid = new root.liquidjs.Liquid();
      /** @type {Map<string, any>} */
      this.templates = new Map();
    }

    /** The values the flow routes on `{{flow.data.event_type}}`, in the flow's order. */
    eventTypes() {
      /** @type {string[]} */
      const out = [];
      for (const w of this.states.values()) {
        if (w.type !== 'split-based-on' || !/flow\.data\.event_type/.test(String(w.properties?.input ?? ''))) continue;
        for (const t of w.transitions ?? []) {
          for (const c of t.conditions ?? []) if (c.type === 'equal_to' && c.value && !out.includes(c.value)) out.push(String(c.value));
        }
      }
      return out;
    }

    /** The initial values of the flow's Set Variables widgets (e.g. CUSTOMER_NAME, IE_ENDPOINT). */
    variables() {
      /** @type {Record<string, string>} */
      const out = {};
      for (const w of this.states.values()) {
        if (w.type === 'set-variables') for (const v of w.properties?.variables ?? []) out[v.key] = String(v.value ?? '');
      }
      return out;
    }

    /** @param {string} template @param {any} scope */
    render(template, scope) {
      let t = this.templates.get(template);
      if (!t) {
        t = this.liquid.parse(template);
        this.templates.set(template, t);
      }
      return String(this.liquid.renderSync(t, scope));
    }

    /**
     * Render `template` and say which parts came from which value: the text is rendered a second
     * time with every flow.data value (and the get-datetime-parts result, and flow variables)
     * wrapped in private-use markers. If the marked text does not reduce to the plain one (a
     * filter changed a marker), the body is returned as one unmarked part.
     * @param {string} template @param {any} scope @param {string} plain
     * @returns {Part[]}
     */
    renderParts(template, scope, plain) {
      /** @param {string} key @param {unknown} v */
      const wrap = (key, v) => `${OPEN}${key}${MID}${v}${CLOSE}`;
      const data = Object.fromEntries(Object.entries(scope.flow.data).map(([k, v]) => [k, wrap(k, v)]));
      const widgets = Object.fromEntries(
        Object.entries(scope.widgets).map(([name, w]) => [
          name,
          w && w.parsed && name === 'get-datetime-parts'
            ? { ...w, parsed: Object.fromEntries(Object.entries(w.parsed).map(([k, v]) => [k, wrap('appointment_datetime', v)])) }
            : w,
        ]),
      );
      const variables = Object.fromEntries(Object.entries(scope.flow.variables).map(([k, v]) => [k, wrap(`flow.variables.${k}`, v)]));
      const marked = this.render(template, { ...scope, flow: { ...scope.flow, data: flowDataObject(data), variables }, widgets });
      /** @type {Part[]} */
      const parts = [];
      const re = new RegExp(`${OPEN}([^${MID}]*)${MID}([^${CLOSE}${OPEN}]*)${CLOSE}`, 'g');
      let at = 0;
      for (const m of marked.matchAll(re)) {
        if (m.index > at) parts.push({ text: marked.slice(at, m.index) });
        parts.push({ text: m[2], key: m[1] });
        at = m.index + m[0].length;
      }
      if (at < marked.length) parts.push({ text: marked.slice(at) });
      const joined = parts.map((p) => p.text).join('');
      return joined === plain && !/[\uE000-\uE002]/.test(joined) ? parts : [{ text: plain }];
    }

    /**
     * Run the flow for one REST API execution.
     * @param {RunInput} input
     * @returns {Trace}
     */
    run(input) {
      const scope = {
        flow: {
          data: flowDataObject(input.data),
          variables: /** @type {Record<string, string>} */ ({}),
          flow_sid: input.flowSid,
          channel: { address: input.from },
        },
        contact: { channel: { address: input.to } },
        trigger: { request: { from: input.from, to: input.to, parameters: input.data } },
        widgets: /** @type {Record<string, any>} */ ({}),
      };
      /** @type {Trace} */
      const trace = { steps: [], messages: [], requests: [], replies: [], end: '', notes: [] };
      const trigger = this.states.get(this.initial);
      const first = trigger?.transitions?.find((t) => t.event === 'incomingRequest')?.next;
      trace.steps.push({ widget: this.initial, type: trigger?.type ?? 'trigger', outcome: 'incomingRequest', note: 'REST API execution' });
      if (!first) {
        trace.end = 'the trigger has no REST API (incomingRequest) transition: nothing happens';
        return trace;
      }
      this.walk(first, scope, trace, input);
      return trace;
    }

    /**
     * Follow transitions from `name` until a widget has no next one, or a Send & Wait waits.
     * @param {string} name @param {any} scope @param {Trace | ReplyPath} trace @param {RunInput} input
     */
    walk(name, scope, trace, input) {
      /** @type {string | undefined} */
      let current = name;
      for (let guard = 0; current; guard++) {
        if (guard >= MAX_STEPS) {
          trace.end = `stopped after ${MAX_STEPS} widgets (a loop?)`;
          return;
        }
        const w = this.states.get(current);
        if (!w) {
          trace.end = `a transition points to a missing widget "${current}"`;
          return;
        }
        const r = this.step(w, scope, trace, input);
        const { outcome, note, stop } = r;
        trace.steps.push({ widget: w.name, type: w.type, outcome, ...(note ? { note } : {}) });
        if (stop) {
          trace.end = stop;
          return;
        }
        // A Split names the transition it matched; other widgets take the one of their outcome.
        const next = r.next !== undefined ? r.next : (w.transitions ?? []).find((t) => t.event === outcome)?.next;
        if (!next) {
          trace.end = `ends after ${w.name} (${outcome}: no next widget)`;
          return;
        }
        current = next;
      }
    }

    /**
     * One widget. Returns the transition it takes.
     * @param {Widget} w @param {any} scope @param {Trace | ReplyPath} trace @param {RunInput} input
     * @returns {{ outcome: string, note?: string, stop?: string, next?: string | null }}
     */
    step(w, scope, trace, input) {
      const p = w.properties ?? {};
      switch (w.type) {
        case 'set-variables': {
          for (const v of p.variables ?? []) {
            const override = input.variables?.[v.key];
            scope.flow.variables[v.key] = override !== undefined && override !== '' ? override : this.render(String(v.value ?? ''), scope);
          }
          return { outcome: 'next' };
        }
        case 'run-function':
          return this.runFunction(w, scope);
        case 'split-based-on': {
          const value = this.render(String(p.input ?? ''), scope);
          for (const t of w.transitions ?? []) {
            if (t.event !== 'match') continue;
            const verdicts = (t.conditions ?? []).map((c) => conditionHolds(c, value));
            if (verdicts.includes(null)) return { outcome: 'noMatch', stop: `${w.name}: a condition type this page does not emulate` };
            if (verdicts.length && verdicts.every(Boolean)) {
              const label = (t.conditions ?? []).map((c) => c.friendly_name ?? c.value).join(', ');
              return { outcome: 'match', note: `${JSON.stringify(value)} → ${label}`, next: t.next ?? null };
            }
          }
          return { outcome: 'noMatch', note: `${JSON.stringify(value)} matches no branch` };
        }
        case 'send-message':
        case 'send-and-wait-for-reply': {
          const template = String(p.body ?? '');
          const body = this.render(template, scope);
          const sms = {
            widget: w.name,
            from: this.render(String(p.from ?? '{{flow.channel.address}}'), scope),
            to: this.render(String(p.to ?? '{{contact.channel.address}}'), scope),
            body,
            parts: this.renderParts(template, scope, body),
            waitsForReply: w.type === 'send-and-wait-for-reply',
            ...(p.timeout ? { timeout: String(p.timeout) } : {}),
          };
          if ('messages' in trace) trace.messages.push(sms);
          if (w.type === 'send-message') return { outcome: 'sent' };
          if (input.reply !== undefined) {
            scope.widgets[w.name] = { inbound: { Body: input.reply } };
            return { outcome: 'incomingMessage', note: `the patient replies ${JSON.stringify(input.reply)}` };
          }
          if ('replies' in trace) this.explainReplies(w, scope, trace, input);
          return { outcome: 'waiting', stop: `${w.name} waits ${p.timeout ?? '?'} s for the patient's reply (the execution stays active: a new execution for this patient gets 409 meanwhile)` };
        }
        case 'make-http-request': {
          const call = {
            widget: w.name,
            method: String(p.method ?? 'GET'),
            url: this.render(String(p.url ?? ''), scope),
            contentType: String(p.content_type ?? ''),
            body: this.render(String(p.body ?? ''), scope),
          };
          trace.requests.push(call);
          return { outcome: 'success', note: `${call.method} ${call.url} (assumed answered 2xx within 10 s)` };
        }
        default:
          return { outcome: '?', stop: `${w.name}: widget type "${w.type}" is not emulated here` };
      }
    }

    /**
     * The replies a Send & Wait's next Split accepts, each followed to its HTTP request.
     * @param {Widget} w @param {any} scope @param {Trace} trace @param {RunInput} input
     */
    explainReplies(w, scope, trace, input) {
      const splitName = (w.transitions ?? []).find((t) => t.event === 'incomingMessage')?.next;
      const split = splitName ? this.states.get(splitName) : undefined;
      if (!split || split.type !== 'split-based-on') return;
      for (const t of split.transitions ?? []) {
        for (const c of t.conditions ?? []) {
          if (c.type !== 'equal_to' || !c.value) continue;
          const reply = String(c.value);
          /** @type {ReplyPath} */
          const path = { reply, steps: [], requests: [], end: '' };
          const branchScope = { ...scope, widgets: { ...scope.widgets, [w.name]: { inbound: { Body: reply } } } };
          this.walk(split.name, branchScope, path, { ...input, reply });
          trace.replies.push(path);
        }
      }
    }

    /** @param {Widget} w @param {any} scope @returns {{ outcome: string, note?: string, stop?: string }} */
    runFunction(w, scope) {
      const p = w.properties ?? {};
      const id = /** @type {string} */ (
        String(p.function_sid ?? '').match(/\[([^\]]+)\]/)?.[1] ?? String(p.url ?? '').split('/').pop() ?? w.name
      );
      /** @type {Record<string, string>} */
      const params = {};
      for (const kv of p.parameters ?? []) params[kv.key] = this.render(String(kv.value ?? ''), scope);
      if (id === 'get-datetime-parts') {
        if (!params.datetime_iso) {
          return { outcome: 'fail', note: 'datetime_iso is empty: the function asserts it, so no SMS is sent for any event type' };
        }
        const parsed = datetimeParts(params.datetime_iso);
        scope.widgets[w.name] = { parsed, body: JSON.stringify(parsed), status_code: 200 };
        return { outcome: 'success', note: `readable_datetime = ${JSON.stringify(parsed.readable_datetime)}` };
      }
      if (id.startsWith('save-')) {
        const saved = saveParse(params.appointment ?? '');
        if (!saved.ok) return { outcome: 'fail', note: `${id}: ${saved.why}: no SMS` };
        const note =
          id === 'save-remind'
            ? 'stored (assumes the appointment is QUEUED or REMINDED-1; otherwise NO_APPOINTMENT_FOUND / MAX_REMINDERS_REACHED and no SMS)'
            : 'stored the snapshot in S3';
        scope.widgets[w.name] = { parsed: { code: 200, event_type: saved.appointment.event_type } };
        return { outcome: 'success', note };
      }
      scope.widgets[w.name] = { parsed: {} };
      return { outcome: 'success', note: `Function "${id}" is not emulated: assumed to succeed with an empty result` };
    }
  }

  /**
   * When the PAM reminder Lambda (hourly, `cron(0 * ? * * *)`) would text REMIND for this snapshot:
   * appointment UTC = wall time − offset; the first hourly run at or after max(48 h before, the
   * event) sends one; the next hourly run sends the second (the Lambda checks the 48 h–24 h window,
   * not the disposition). None for CANCELED / NOSHOWED, none once the appointment has started.
   * @param {FlowData} data
   * @returns {{ none: string } | { appointmentUtc: number, first: number, second: number | null }}
   */
  function reminderSchedule(data) {
    const stop = ['CANCELED', 'NOSHOWED', 'OPTED-OUT'];
    if (stop.includes(data.event_type)) return { none: `the stored event_type is ${data.event_type}: the Lambda sends no reminder` };
    const wall = parseInUtcRuntime(data.appointment_datetime ?? '');
    const m = /^([+-])(\d\d)(\d\d)$/.exec(data.appointment_timezone ?? '');
    if (Number.isNaN(wall) || !m) return { none: 'appointment_datetime or appointment_timezone is missing or malformed: the Lambda cannot compute reminders' };
    const offsetMs = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    const appointmentUtc = wall - offsetMs;
    const hour = 3_600_000;
    const event = Date.parse(data.event_datetime_utc ?? '');
    const from = Math.max(appointmentUtc - 48 * hour, Number.isNaN(event) ? -Infinity : event);
    const first = Math.ceil(from / hour) * hour;
    if (first >= appointmentUtc) return { none: 'the appointment starts before the next hourly run: no reminder' };
    const second = first + hour < appointmentUtc ? first + hour : null;
    return { appointmentUtc, first, second };
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, {
    FlowRunner,
    datetimeParts,
    smsSize,
    reminderSchedule,
  });
})(/** @type {any} */ (globalThis));
