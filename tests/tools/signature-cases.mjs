// @ts-nocheck
// Random Twilio webhook requests and twilio-node's verdicts (validateRequest for form posts,
// validateRequestWithBody for JSON posts). Used by gen-signature-cases.mjs (the committed fixture
// for the Rust differential test) and by tests/js/signature-differential.test.mjs (live, against
// the packed package). Deterministic for a given seed.
//
// Known, documented differences of our verifier are kept out of the generated inputs: non-ASCII
// (IDNA) and IPv6 hosts, and form posts whose URL carries bodySHA256.
import crypto from "node:crypto";
import querystring from "node:querystring";

/**
 * @param {{ twilio: any, seed?: number, count?: number }} options
 * @returns {any[]} cases `{ id, mode, authToken, url, params?, body?, signature, expected, normalized, legacyQuery }`
 */
export function generateCases(options) {
  const { getExpectedTwilioSignature, validateRequest, validateRequestWithBody } = options.twilio;
  let seed = (options.seed ?? 20261127) >>> 0;
  function rnd() {
    // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const chance = (p) => rnd() < p;
  const int = (n) => Math.floor(rnd() * n);

  const PIECES = [
    "a", "Z", "0", "9", "-", "_", ".", "~", "!", "*", "'", "(", ")", " ", "+", "%27", "%20", "%2B",
    "%41", "%zz", "%", ",", ";", ":", "@", "$", "=", "&", "/", "?", "\"", "<", ">", "`", "{", "}",
    "^", "|", "\\", "é", "ü", "日本", "😀", "\uFF01", "ß", "%C3%A9", "%E2%9C%93", "\t", "..", ".",
  ];
  const SAFE = ["a", "b", "Z", "0", "7", "-", "_", ".", "~"];

  function str(maxLen, pieces = PIECES) {
    let s = "";
    const n = int(maxLen + 1);
    for (let i = 0; i < n; i++) s += pick(pieces);
    return s;
  }

  function host() {
    return pick([
      "mycompany.com", "Example.COM", "ehr.example.org", "a-b.c_d.example", "127.0.0.1", "0x7f.1",
      "10.1", "ex%41mple.com", "localhost", "sub.domain.example.net.", "h",
    ]);
  }

  function pathPart() {
    if (chance(0.15)) return "";
    let p = "";
    const n = 1 + int(3);
    for (let i = 0; i < n; i++) {
      p += "/" + (chance(0.5) ? str(6, SAFE) : str(5, PIECES.filter((c) => !"?#&=\t".includes(c))));
    }
    if (chance(0.2)) p += "/";
    return p;
  }

  function queryKey() {
    return pick(["foo", "bar", "Body", "test", "a", "1", "2", "01", "x y", "k'", "é", "Digits", "", "q+r"]);
  }

  function query() {
    if (chance(0.15)) return "";
    if (chance(0.05)) return "?";
    const parts = [];
    const n = 1 + int(4);
    for (let i = 0; i < n; i++) {
      const k = queryKey();
      if (chance(0.1)) parts.push(k);
      else parts.push(k + "=" + str(6, PIECES.filter((c) => !"#&\t".includes(c))));
      if (chance(0.1)) parts.push("");
    }
    return "?" + parts.join("&");
  }

  function url({ withBodyHash } = {}) {
    const scheme = pick(["https", "https", "http", "HTTPS", "Http"]);
    const cred = chance(0.1) ? pick(["user:pass@", "user@", "u%40x:p@", ":pw@"]) : "";
    const port = pick(["", "", "", ":443", ":80", ":8443", ":1234", ":0443"]);
    let u = scheme + "://" + cred + host() + port + pathPart() + query();
    if (withBodyHash !== undefined) {
      u += (u.includes("?") ? (u.endsWith("?") ? "" : "&") : "?") + "bodySHA256=" + withBodyHash;
    }
    if (chance(0.05)) u += "#" + str(4, SAFE);
    return u;
  }

  function invalidUrl() {
    return pick([
      "https://exa mple.com/x", "https://a.com:99999/x", "https://:80/x", "https://a.com:12x/",
      "http://1.2.3.256/", "https://a%zzb.com/", "https://user@/x", "not a url",
    ]);
  }

  function params() {
    const out = [];
    const n = int(6);
    for (let i = 0; i < n; i++) {
      const k = pick(["CallSid", "From", "To", "Body", "Digits", "a", "A", "é", "😀", "\uFF01", "k" + int(3), ""]);
      out.push([k, str(8)]);
      if (chance(0.25)) out.push([k, chance(0.5) ? out[out.length - 1][1] : str(4)]);
    }
    return out;
  }

  function toObject(pairs) {
    const o = {};
    for (const [k, v] of pairs) {
      if (!(k in o)) o[k] = v;
      else if (Array.isArray(o[k])) o[k].push(v);
      else o[k] = [o[k], v];
    }
    return o;
  }

  function body() {
    return pick([
      () => "{\n\"flow_sid\": \"FW0123456789abcdef0123456789abcdef\",\n\"event_type\": \"" + pick(["Confirm", "Cancel"]) + "\",\n\"appointment_id\": \"" + str(6, SAFE) + "\",\n\"provider_id\": \"" + str(6, SAFE) + "\",\n\"patient_id\": \"" + str(6, SAFE) + "\"\n}",
      () => "{}",
      () => JSON.stringify({ property: str(10), n: int(1000), u: "é😀" }),
      () => str(30),
      () => "",
    ])();
  }

  function variantsOf(u) {
    const out = [u];
    try {
      const n = new URL(u).toString();
      out.push(n);
      const q = n.indexOf("?");
      if (q !== -1 && q < n.length - 1) {
        out.push(n.slice(0, q) + "?" + querystring.stringify(querystring.parse(n.slice(q + 1))));
      }
    } catch {}
    // with / without an explicit standard port
    out.push(u.replace(/^(https?:\/\/[^/?#]*?)(:\d+)?(?=[/?#]|$)/i, (m, a, p) => (p ? a : a + (/^https/i.test(a) ? ":443" : ":80"))));
    return out;
  }

  function signatureFor(token, u, p, mode) {
    const r = rnd();
    if (r < 0.05) return null;
    if (r < 0.1) return str(28, SAFE);
    const signed = r < 0.2 ? url() : pick(variantsOf(u));
    let sig;
    try {
      sig = getExpectedTwilioSignature(token, signed, mode === "form" ? toObject(p) : {});
    } catch {
      sig = "x";
    }
    if (chance(0.1)) {
      const i = int(sig.length);
      sig = sig.slice(0, i) + (sig[i] === "A" ? "B" : "A") + sig.slice(i + 1);
    }
    return sig;
  }

  const COUNT = options.count ?? 400;
  const cases = [];
  for (let id = 0; id < COUNT; id++) {
    const mode = chance(0.55) ? "form" : "body";
    const authToken = chance(0.8) ? crypto.createHash("md5").update(String(rnd())).digest("hex") : str(12).replace(/\t/g, "") || "t";
    let c;
    if (mode === "form") {
      const u = chance(0.04) ? invalidUrl() : url();
      const p = params();
      c = { id, mode, authToken, url: u, params: p, signature: signatureFor(authToken, u, p, mode) };
    } else {
      const b = body();
      const hash = crypto.createHash("sha256").update(Buffer.from(b, "utf-8")).digest("hex");
      const claimed = pick([hash, hash, hash, hash.toUpperCase(), hash.slice(1), "0" + hash.slice(1)]);
      const u = chance(0.04) ? invalidUrl() : chance(0.08) ? url() : url({ withBodyHash: claimed });
      c = { id, mode, authToken, url: u, body: b, signature: signatureFor(authToken, u, [], mode) };
    }
    let expected;
    try {
      const ok =
        c.mode === "form"
          ? validateRequest(c.authToken, c.signature, c.url, toObject(c.params))
          : validateRequestWithBody(c.authToken, c.signature, c.url, c.body);
      expected = ok ? "valid" : "invalid";
    } catch {
      expected = "throws";
    }
    let normalized = null;
    let legacyQuery = null;
    try {
      normalized = new URL(c.url).toString();
      const q = normalized.indexOf("?");
      if (q !== -1 && q < normalized.length - 1) {
        legacyQuery = querystring.stringify(querystring.parse(normalized.slice(q + 1)));
      }
    } catch {}
    cases.push({ ...c, expected, normalized, legacyQuery });
  }
  return cases;
}
