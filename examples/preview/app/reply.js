// @ts-check
// The patient's reply back to the EHR: the body the flow POSTs parsed by the package, the SRM
// (HL7) or FHIR request the EHR would receive, and the X-Twilio-Signature check over that body.
'use strict';

(function (root) {
  /** @type {typeof import('ehr-studio-bridge')} */
  const api = root.ehrStudioBridge;
  const P = root.EhrPreview;
  const { state, ui } = /** @type {EhrPreviewPage} */ (P.page);
  const { $, h, showError, clearError, markJsonError } = /** @type {EhrPreviewDom} */ (P.dom);

  /** @typedef {EhrPreviewError} CodedError */

  function renderReply() {
    const out = $('reply-result');
    const err = $('reply-error');
    clearError(err);
    out.replaceChildren();
    ui.replyEditor.setMarks([]);
    const body = ui.replyEditor.value;
    if (!body.trim()) return;
    const profileText = state.mapperFor ?? '{}';
    /** @type {any} */
    let reply;
    try {
      reply = api.parseReply(body, { contentType: state.replyContentType, profile: profileText });
    } catch (e) {
      showError(err, e, 'reply', markJsonError(ui.replyEditor, /** @type {CodedError} */ (e)));
      return;
    }
    out.append(
      h('table', { class: 'kv' }, [
        ...[
          ['eventType', reply.eventType],
          ['appointmentId', reply.appointmentId],
          ['patientId', reply.patientId],
          ['providerId', reply.providerId],
          ['flowSid', reply.flowSid],
          ['sent by', reply.possibleWidgets.join(' or ') || '—'],
        ].map(([k, v]) => h('tr', {}, [h('th', { text: k }), h('td', { text: v })])),
      ]),
    );
    if (reply.warnings.length) {
      out.append(h('ul', { class: 'warnings' }, reply.warnings.map((/** @type {any} */ w) => h('li', {}, [h('code', { text: w.code }), `: ${w.message}`]))));
    }
    const cfg = state.profile?.reply;
    if (!cfg?.hl7 && !cfg?.fhir) {
      out.append(h('p', { class: 'muted', text: 'Add reply.hl7 (SRM^S03/S04) or reply.fhir to the profile to see the request to the EHR.' }));
    }
    if (cfg?.hl7) {
      try {
        const srm = api.replyToHl7(reply, profileText);
        const pre = h('pre', { class: 'srm', id: 'srm' });
        pre.dataset.message = srm;
        for (const seg of srm.split('\r').filter(Boolean)) pre.append(h('span', { class: 'seg' }, [h('b', { text: seg.slice(0, 3) }), seg.slice(3)]), '\n');
        out.append(h('h4', { text: `HL7 to the EHR: ${srm.split('\r')[0].split('|')[8] ?? ''}` }), pre);
      } catch (e) {
        const box = h('div', { class: 'error' });
        showError(box, e, 'SRM');
        out.append(box);
      }
    }
    if (cfg?.fhir) {
      try {
        const current = ui.currentEditor.value.trim() ? JSON.parse(ui.currentEditor.value) : undefined;
        const fr = api.replyToFhir(reply, profileText, current);
        const req = fr.request;
        const text = req
          ? `${req.method} ${req.url}\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}${req.body !== undefined ? `\n\n${JSON.stringify(req.body, null, 2)}` : ''}`
          : `no request (${fr.reason ?? fr.action})`;
        out.append(
          h('h4', { text: `FHIR to the EHR: ${fr.action}${fr.needsRead ? ' — read the Appointment first, paste it under "Appointment as read", and the write appears' : ''}` }),
          h('pre', { class: 'fhir-request', id: 'fhir-request', text }),
        );
        if (fr.warnings.length) out.append(h('ul', { class: 'warnings' }, fr.warnings.map((w) => h('li', {}, [h('code', { text: w.code }), `: ${w.message}`]))));
      } catch (e) {
        const box = h('div', { class: 'error' });
        showError(box, e, 'FHIR request');
        out.append(box);
      }
    }
  }

  async function verifySignature() {
    const out = $('sig-result');
    try {
      const verdict = api.verifyTwilioSignature({
        authToken: /** @type {HTMLInputElement} */ ($('sig-token')).value,
        url: /** @type {HTMLInputElement} */ ($('sig-url')).value,
        signature: /** @type {HTMLInputElement} */ ($('sig-signature')).value || null,
        body: ui.replyEditor.value,
      });
      out.className = verdict.valid ? 'ok' : 'bad';
      out.textContent = verdict.valid
        ? `valid (${verdict.mode}, URL form ${verdict.matchedUrlVariant})`
        : `not valid: ${verdict.reason ?? 'SIGNATURE_MISMATCH'} (${verdict.mode})`;
    } catch (e) {
      out.className = 'bad';
      showError(out, e, 'signature');
    }
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { renderReply, verifySignature });
})(/** @type {any} */ (globalThis));
