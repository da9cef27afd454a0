// Parses the SRM^S03/S04 golden files (tests/golden/srm/) with @medplum/core's Hl7Message.parse
// and checks structure and values. Exits non-zero on any failure.
//
// Run from the repository root (@medplum/core 4.5.2 is a devDependency; scripts/test.sh runs it):
//
//   node tests/tools/check-srm-medplum.mjs [tests/golden/srm]
//
// medplum returns raw (still escaped) values, so the HL7 escapes are resolved here.

import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(process.cwd(), "noop.js"));
const medplum = require("@medplum/core");
const { Hl7Message } = medplum;
const medplumVersion = medplum.MEDPLUM_VERSION || "unknown";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] || path.join(here, "..", "golden", "srm");

const IDS = {
  S03: { appt: "A1001", patient: "MRN00042", provider: "PR77" },
  S04: { appt: "A1001&B", patient: "P|1^x~y\\z", provider: "dr^fauci" },
};

function unescape(s) {
  const map = { F: "|", S: "^", T: "&", R: "~", E: "\\" };
  return s.replace(/\\([FSTRE])\\/g, (_, c) => map[c]);
}

let passed = 0;
let failed = 0;
const files = fs.readdirSync(dir).filter((n) => n.endsWith(".hl7")).sort();
if (files.length !== 6) {
  console.error(`expected 6 golden files in ${dir}, found ${files.length}`);
  process.exit(1);
}
for (const name of files) {
  const trigger = name.split("_")[1].toUpperCase();
  const version = name.slice(name.lastIndexOf("_v") + 2, -".hl7".length);
  const ids = IDS[trigger];
  try {
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    const msg = Hl7Message.parse(text);
    const names = msg.segments.map((s) => s.name).filter((n) => n !== "");
    const eq = (what, got, want) => {
      if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    };
    eq("segments", names.join(","), "MSH,ARQ,NTE,PID,RGS,AIP");
    const msh = msg.getSegment("MSH");
    eq("MSH-9", msh.getField(9).toString(), version === "2.3" ? `SRM^${trigger}` : `SRM^${trigger}^SRM_S01`);
    eq("MSH-12", msh.getField(12).toString(), version);
    const arq = msg.getSegment("ARQ");
    eq("ARQ-1.1", unescape(arq.getField(1).getComponent(1)), ids.appt);
    eq("ARQ-2.1", unescape(arq.getField(2).getComponent(1)), ids.appt);
    eq("ARQ-6.1", arq.getField(6).getComponent(1), trigger === "S03" ? "PATCONF" : "PATCAN");
    eq("ARQ-15.2", arq.getField(15).getComponent(2), "Reminder");
    eq("ARQ-19.1", arq.getField(19).getComponent(1), "PAM");
    const pid = msg.getSegment("PID");
    eq("PID-3.1", unescape(pid.getField(3).getComponent(1)), ids.patient);
    eq("PID-3.4", pid.getField(3).getComponent(4), "NORTHSIDE");
    eq("AIP-3.1", unescape(msg.getSegment("AIP").getField(3).getComponent(1)), ids.provider);
    passed++;
  } catch (e) {
    failed++;
    console.error(`FAIL ${name}: ${e.message}`);
  }
}
console.log(`@medplum/core ${medplumVersion}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
