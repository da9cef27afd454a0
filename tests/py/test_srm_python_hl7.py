"""The SRM^S03/S04 golden files (tests/golden/srm/) parsed by python-hl7 (PyPI `hl7`).

Run from the repository root, either way:

    python3 -m pytest tests/py/test_srm_python_hl7.py
    python3 tests/py/test_srm_python_hl7.py        # no pytest needed; exits non-zero on failure

Needs `pip install hl7` (checked with 0.4.5).
"""

import os
import sys

import hl7

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "golden", "srm")

# What tests/reply_srm.rs put into each file.
CONFIRM_IDS = {"appt": "A1001", "patient": "MRN00042", "provider": "PR77"}
CANCEL_IDS = {"appt": "A1001&B", "patient": "P|1^x~y\\z", "provider": "dr^fauci"}


def golden_files():
    names = sorted(n for n in os.listdir(GOLDEN) if n.endswith(".hl7"))
    assert len(names) == 6, names
    return names


def check_file(name):
    trigger = name.split("_")[1].upper()  # S03 / S04
    version = name.rsplit("_v", 1)[1][: -len(".hl7")]
    ids = CONFIRM_IDS if trigger == "S03" else CANCEL_IDS
    with open(os.path.join(GOLDEN, name), newline="") as f:
        text = f.read()
    assert "\n" not in text, "segments must be separated by CR only"
    msg = hl7.parse(text)
    assert [str(s[0]) for s in msg] == ["MSH", "ARQ", "NTE", "PID", "RGS", "AIP"], name
    assert msg["MSH.F9.R1.C1"] == "SRM"
    assert msg["MSH.F9.R1.C2"] == trigger
    if version == "2.3":
        # two components only: no message structure in v2.3
        assert str(msg.segment("MSH")[9]) == "SRM^" + trigger, str(msg.segment("MSH")[9])
    else:
        assert msg["MSH.F9.R1.C3"] == "SRM_S01"
    assert msg["MSH.F12"] == version
    # the accessor returns unescaped values
    assert msg["ARQ.F1.R1.C1"] == ids["appt"], msg["ARQ.F1.R1.C1"]
    assert msg["ARQ.F2.R1.C1"] == ids["appt"]
    assert msg["ARQ.F1.R1.C2"] == "PAM"
    assert msg["ARQ.F6.R1.C1"] == ("PATCONF" if trigger == "S03" else "PATCAN")
    assert msg["ARQ.F15.R1.C2"] == "Reminder"
    assert msg["ARQ.F19.R1.C1"] == "PAM"
    assert msg["PID.F3.R1.C1"] == ids["patient"], msg["PID.F3.R1.C1"]
    assert msg["PID.F3.R1.C4"] == "NORTHSIDE"
    assert msg["PID.F3.R1.C5"] == "MR"
    assert msg["RGS.F1"] == "1"
    assert msg["AIP.F3.R1.C1"] == ids["provider"]


def test_srm_golden_files_parse_with_python_hl7():
    for name in golden_files():
        check_file(name)


if __name__ == "__main__":
    failed = 0
    names = golden_files()
    for n in names:
        try:
            check_file(n)
        except AssertionError as e:  # noqa: PERF203
            failed += 1
            print("FAIL", n, e)
    print("%d passed, %d failed" % (len(names) - failed, failed))
    sys.exit(1 if failed else 0)
