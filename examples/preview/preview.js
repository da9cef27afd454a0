// @ts-check
// The browser preview page: an adapter over the package's web build (no mapping logic here).
// `map` gives the 14 Studio parameters with their provenance and warnings; for HL7 input,
// `queryHl7` turns a provenance path (`PID-13[2]`) into a UTF-16 range that is highlighted.
import init, { Mapper, detectInput, queryHl7, version } from 'ehr-studio-bridge';

await init();

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const message = /** @type {HTMLTextAreaElement} */ ($('message'));
const profileBox = /** @type {HTMLTextAreaElement} */ ($('profile'));
$('version').textContent = `ehr-studio-bridge ${version()}`;

/** @type {{ text: string, kind: string } | null} */
let current = null;

function render() {
  $('error').textContent = '';
  const text = message.value;
  if (!text.trim()) return;
  let mapper;
  try {
    mapper = new Mapper(profileBox.value.trim() ? profileBox.value : undefined);
  } catch (e) {
    return showError('profile', e);
  }
  try {
    const kind = detectInput(text);
    current = { text, kind };
    const studio = mapper.profile.studio;
    const { result, request } = studio
      ? mapper.studioRequest(text)
      : { result: mapper.map(text), request: null };
    showResult(result, request);
  } catch (e) {
    showError('message', e);
  } finally {
    mapper.free();
  }
}

/** @param {string} what @param {any} e */
function showError(what, e) {
  $('error').textContent = `${what}: ${e.code ?? 'ERROR'} — ${e.message}`;
}

/** @param {any} result @param {any} request */
function showResult(result, request) {
  const outcome = $('outcome');
  outcome.className = result.skip ? 'skip' : 'event';
  outcome.textContent = result.skip
    ? `Not sent: ${result.skip.code} — ${result.skip.reason}`
    : `${result.event.event_type}: send a Studio execution`;
  const values = result.event ?? result.draft ?? {};
  const warned = new Set(result.warnings.map((/** @type {any} */ w) => w.field).filter(Boolean));
  const body = /** @type {HTMLTableSectionElement} */ ($('values').querySelector('tbody'));
  body.replaceChildren();
  for (const [key, value] of Object.entries(values)) {
    const p = result.provenance[key];
    const tr = document.createElement('tr');
    tr.dataset.key = key;
    if (warned.has(key)) tr.className = 'warned';
    const cells = [key, String(value), '', p?.rule ?? ''];
    cells.forEach((c, i) => {
      const td = document.createElement('td');
      td.className = ['key', 'value', 'source', 'rule'][i];
      if (i === 2 && p) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = p.source;
        b.addEventListener('click', () => highlight(p.source));
        td.append(b);
      } else {
        td.textContent = c;
      }
      tr.append(td);
    });
    body.append(tr);
  }
  const list = $('warnings');
  list.replaceChildren(
    ...result.warnings.map((/** @type {any} */ w) => {
      const li = document.createElement('li');
      li.textContent = `${w.code}${w.field ? ` (${w.field})` : ''}: ${w.message}`;
      return li;
    }),
  );
  highlight(null);
  $('request').textContent = request
    ? `POST ${request.url}\n\n${JSON.stringify(JSON.parse(request.form.Parameters), null, 2)}`
    : '(no request: nothing to send, or no studio section in the profile)';
}

/** Show the message with the element at an HL7 path highlighted. @param {string | null} path */
function highlight(path) {
  const pre = $('source');
  if (!current) return;
  const text = current.text;
  pre.dataset.highlight = '';
  if (current.kind !== 'hl7' || !path || !/^[A-Z0-9]{3}/.test(path)) {
    pre.textContent = text.replace(/\r\n?/g, '\n');
    return;
  }
  const hit = queryHl7(text, path);
  if (!hit) {
    pre.textContent = text.replace(/\r\n?/g, '\n');
    return;
  }
  const [start, end] = hit.range;
  const mark = document.createElement('mark');
  mark.textContent = text.slice(start, end);
  pre.replaceChildren(
    text.slice(0, start).replace(/\r\n?/g, '\n'),
    mark,
    text.slice(end).replace(/\r\n?/g, '\n'),
  );
  pre.dataset.highlight = mark.textContent;
  mark.scrollIntoView({ block: 'nearest' });
}

message.addEventListener('input', render);
profileBox.addEventListener('input', render);
$('load-sample').addEventListener('click', async () => {
  const [m, p] = await Promise.all([
    fetch('../../samples/siu_s12_booked.hl7').then((r) => r.text()),
    fetch('../../samples/profile.json').then((r) => r.text()),
  ]);
  message.value = m;
  profileBox.value = p;
  render();
});
document.body.dataset.ready = 'true';
