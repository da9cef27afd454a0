// @ts-check
// Live differential test: the packed package's verifyTwilioSignature gives the same verdict as
// twilio-node's validateRequest / validateRequestWithBody on freshly generated requests (a different
// seed from the committed fixture the Rust test uses), including signatures twilio-node computed
// over every URL variant it accepts.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { generateCases } from '../tools/signature-cases.mjs';
import { consumer } from './helpers.mjs';

const api = createRequire(path.join(consumer().dir, 'package.json'))('ehr-studio-bridge');
const twilio = createRequire(import.meta.url)('twilio');

test('verifyTwilioSignature agrees with twilio-node on 2,000 generated requests', () => {
  const cases = generateCases({ twilio, seed: 424242, count: 2000 });
  const counts = { valid: 0, invalid: 0, throws: 0 };
  const disagreements = [];
  for (const c of cases) {
    let got;
    try {
      const v = api.verifyTwilioSignature({
        authToken: c.authToken,
        url: c.url,
        signature: c.signature,
        ...(c.mode === 'form' ? { params: c.params } : { body: c.body }),
      });
      got = v.valid ? 'valid' : 'invalid';
    } catch (e) {
      assert.equal(/** @type {any} */ (e).code, 'SIGNATURE_BAD_INPUT');
      got = 'throws';
    }
    counts[/** @type {'valid'} */ (got)]++;
    if (got !== c.expected) disagreements.push({ id: c.id, mode: c.mode, ours: got, twilio: c.expected, url: c.url });
  }
  assert.deepEqual(disagreements.slice(0, 5), [], `${disagreements.length} disagreements`);
  // The generator must exercise both outcomes in both modes.
  assert.ok(counts.valid > 400 && counts.invalid > 400, JSON.stringify(counts));
});
