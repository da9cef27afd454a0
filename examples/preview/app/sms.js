// @ts-check
// What the patient receives: the mapped values run through the Studio flow (flow.js), one phone
// bubble per event type with the substituted values marked, the reminder's schedule, the flow trace,
// and the reply bodies the flow would POST (offered to the reply panel).
'use strict';

(function (root) {
  const P = root.EhrPreview;
  const { state, ui } = /** @type {EhrPreviewPage} */ (P.page);
  const { $, h } = /** @type {EhrPreviewDom} */ (P.dom);

  function flowInput() {
    const r = state.result;
    const data = r?.event ?? r?.draft;
    if (!data) return null;
    return {
      data: /** @type {Record<string, string>} */ (/** @type {unknown} */ ({ ...data })),
      from: state.profile?.studio?.from ?? '(profile.studio.from)',
      to: data.patient_phone,
      flowSid: state.profile?.studio?.flowSid ?? 'FW00000000000000000000000000000000',
      variables: state.variables,
    };
  }

  function renderSms() {
    const box = $('sms');
    box.replaceChildren();
    $('trace').replaceChildren();
    state.replyChoices = [];
    const input = flowInput();
    const r = state.result;
    box.classList.toggle('draft', !!input && !r?.event);
    if (!state.runner) {
      box.append(h('p', { class: 'muted', text: 'No flow loaded.' }));
      renderReplyChoices();
      return;
    }
    if (!input) {
      box.append(h('p', { class: 'muted', text: r?.skip ? `Nothing is sent (${r.skip.code}).` : 'Map an event to see the texts.' }));
      renderReplyChoices();
      return;
    }
    if (!r?.event) box.append(h('p', { class: 'draft-note', text: `Not sent (${r?.skip?.code}). Below: what the draft values would produce — for review only.` }));
    const types = state.smsMode === 'all' ? state.runner.eventTypes().filter((/** @type {string} */ t) => t !== 'REMIND') : [input.data.event_type];
    for (const type of types) {
      const trace = runFlow({ ...input, data: { ...input.data, event_type: type } });
      box.append(smsBlock(type, trace, type === input.data.event_type));
      if (type === input.data.event_type) {
        $('trace').append(...trace.steps.map((/** @type {any} */ s) => h('li', {}, [h('code', { text: s.widget }), ` ${s.type} → ${s.outcome}${s.note ? `: ${s.note}` : ''}`])), h('li', { class: 'end', text: trace.end }));
        addReplyChoices(trace);
      }
    }
    const remind = runFlow({ ...input, data: { ...input.data, event_type: 'REMIND' } });
    box.append(smsBlock('REMIND', remind, false, reminderNote(input.data)));
    addReplyChoices(remind);
    renderReplyChoices();
    if (state.selected) P.select(state.selected);
  }

  /**
   * One run of the flow. A template Liquid cannot parse (in a flow loaded by the user) becomes the
   * run's end, shown instead of the SMS: Studio would not send that message either.
   * @param {any} input
   */
  function runFlow(input) {
    try {
      return state.runner.run(input);
    } catch (e) {
      const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
      return { steps: [], messages: [], requests: [], replies: [], notes: [], end: `a Liquid template of the flow does not render (${what})` };
    }
  }

  /** @param {Record<string, string>} data */
  function reminderNote(data) {
    const s = P.reminderSchedule(data);
    if ('none' in s) return `Reminder Lambda: ${s.none}.`;
    const fmt = (/** @type {number} */ t) => new Date(t).toISOString().replace('T', ' ').replace(':00.000Z', ' UTC');
    return `Sent by the reminder Lambda (hourly), not by the EHR: 1st at the first run after 48 h before the appointment (${fmt(s.first)})${s.second ? `, 2nd at the next hourly run (${fmt(s.second)}: the Lambda checks the 48 h–24 h window, not how many were sent)` : ''}; appointment at ${fmt(s.appointmentUtc)}.`;
  }

  /**
   * One event type's outcome: its SMS (as a phone bubble with the substituted values marked), or
   * why nothing is sent.
   * @param {string} type @param {any} trace @param {boolean} current @param {string} [note]
   */
  function smsBlock(type, trace, current, note) {
    const block = h('div', { class: `sms-block${current ? ' current' : ''}`, 'data-event': type });
    const head = h('div', { class: 'sms-head' }, [h('span', { class: 'etype', text: type })]);
    block.append(head);
    if (trace.messages.length === 0) {
      block.append(h('p', { class: 'no-sms', text: `No SMS: ${trace.end}` }));
    }
    for (const m of trace.messages) {
      head.append(h('code', { class: 'widget', text: m.widget }));
      if (m.waitsForReply) head.append(h('span', { class: 'chip', text: `waits ${m.timeout ?? '?'} s for a reply` }));
      const bubble = h('div', { class: 'bubble', 'data-widget': m.widget });
      for (const part of m.parts) {
        if (part.key) {
          const span = h('span', { class: 'var', 'data-key': part.key, title: part.key.startsWith('flow.variables.') ? part.key : `flow.data.${part.key}`, text: part.text });
          if (!part.key.startsWith('flow.variables.')) span.addEventListener('click', () => P.select(part.key));
          bubble.append(span);
        } else bubble.append(part.text);
      }
      const size = P.smsSize(m.body);
      block.append(
        h('div', { class: 'phone' }, [
          h('div', { class: 'addr', text: `From ${m.from || '(no number)'} to ${m.to || '(no number)'}` }),
          bubble,
          h('div', { class: 'meta', text: `${size.characters} characters · ${size.encoding} · ${size.segments} segment${size.segments === 1 ? '' : 's'}` }),
        ]),
      );
    }
    for (const rp of trace.replies) {
      const call = rp.requests[0];
      let eventType = '';
      try {
        eventType = call ? JSON.parse(call.body).event_type : '';
      } catch {
        eventType = '(not valid JSON)';
      }
      block.append(
        h('div', { class: 'reply-path' }, [
          h('span', { class: 'chip', text: `reply "${rp.reply}"` }),
          call ? ` → ${call.widget} POSTs event_type "${eventType}" to IE_ENDPOINT` : ` → ${rp.end}`,
        ]),
      );
    }
    if (note) block.append(h('p', { class: 'note', text: note }));
    return block;
  }

  /** @param {any} trace */
  function addReplyChoices(trace) {
    const sms = trace.messages.find((/** @type {any} */ m) => m.waitsForReply);
    for (const rp of trace.replies) {
      const call = rp.requests[0];
      if (!call || !sms) continue;
      state.replyChoices.push({ label: `${rp.reply} to ${sms.widget}`, body: call.body, contentType: call.contentType, url: call.url, method: call.method });
    }
  }

  function renderReplyChoices() {
    const box = $('reply-choices');
    box.replaceChildren(
      ...state.replyChoices.map((c, i) => {
        const b = h('button', { type: 'button', 'data-choice': String(i), text: c.label });
        b.addEventListener('click', () => {
          ui.replyEditor.value = c.body;
          state.replyContentType = c.contentType || 'application/json;charset=utf-8';
          $('reply-target').textContent = `${c.method} ${c.url} (Content-Type: ${state.replyContentType}), exactly these bytes:`;
          /** @type {HTMLInputElement} */ ($('sig-url')).value = c.url;
          for (const o of box.querySelectorAll('button')) o.classList.toggle('active', o === b);
          P.renderReply();
        });
        return b;
      }),
    );
    if (!state.replyChoices.length) box.append(h('span', { class: 'muted', text: 'Map an event to get the bodies the flow would POST; or paste one below.' }));
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { renderSms });
})(/** @type {any} */ (globalThis));
