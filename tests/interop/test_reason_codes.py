"""test_reason_codes.py: every reason code of the README's table, produced by an input, as
python3-grpcio sees it (PushResult.reason_code, Fault.reason_code, SampleSummary.rejections).

The README's "Reason codes" table is read from the README itself, so a code added there without
an input here, or produced here without a row there, fails the test. Each input is the smallest
change to a valid record (or sample) that makes one kind of fault; the test asserts the code of
the fault on the field the change touched, and that no fault of any of these inputs falls back
to a status's word (INVALID, PRECONDITION): every fault they make is of a kind the node names.
The codes of no kind (INVALID, PRECONDITION, UNAVAILABLE) are left out: no input should make
them.

The node is seeded with the seed catalogue and three rules the seed does not state, so that
NOT_ALLOWED, PATTERN_MISMATCH, WRONG_TYPE and DUPLICATE can be made: penalty.penalty_category
allows only 罚款 and 警告; the PENALTY section has two extra dimensions, rectified_on (a date)
and case_ref (text of the pattern [A-Z]{2}[0-9]{4}).

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_reason_codes
"""

import datetime
import hashlib
import os
import re
import unittest

from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, MARKET_USCC, Node

from credit.v1 import industrial_pb2 as I
from credit.v1 import industrial_pb2_grpc as I_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import service_unit_pb2 as SU
from credit.v1 import service_unit_pb2_grpc as SU_grpc

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=730000)
fresh_uscc = _fresh.uscc
src = _fresh.src

GENERIC = {"INVALID", "PRECONDITION", "UNAVAILABLE"}  # the words of faults of no kind


def readme_codes():
    """The reason codes of the README's table, in its order."""
    with open(os.path.join(harness.SOURCE_DIR, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("### Reason codes")
    table = text[start:text.index("\n### ", start + 1)]
    codes = []
    for line in table.splitlines():
        m = re.match(r"^\| ((?:`[A-Z_]+`(?:, )?)+) \|", line)
        if m:
            codes.extend(re.findall(r"`([A-Z_]+)`", m.group(1)))
    return codes


def changed_catalogue():
    with open(os.path.join(harness.SOURCE_DIR, "proto", "catalogue.textproto"),
              encoding="utf-8") as f:
        text = f.read()
    text, n1 = re.subn(r'(field: "penalty.penalty_category"\n\s+type: VALUE_TYPE_TEXT\n)',
                       r'\1      allowed_values: "罚款"\n      allowed_values: "警告"\n', text)
    text, n2 = re.subn(r'(publicity \{ severity: SEVERITY_SERIOUS min_months: 12 '
                       r'max_months: 36 \}\n)',
                       r'\1    dimensions {\n      code: "rectified_on"\n'
                       r'      name: "整改日期 rectified on"\n      type: VALUE_TYPE_DATE\n'
                       r'      tier: TIER_OPEN\n    }\n'
                       r'    dimensions {\n      code: "case_ref"\n'
                       r'      name: "案件编号 case reference"\n      type: VALUE_TYPE_TEXT\n'
                       r'      tier: TIER_OPEN\n      pattern: "[A-Z]{2}[0-9]{4}"\n    }\n', text)
    assert (n1, n2) == (1, 1), "the seed catalogue changed shape: %s" % ((n1, n2),)
    path = os.path.join(harness.new_dir("catalogue"), "catalogue.textproto")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def penalty(**change):
    """A valid penalty of a fresh company, as the market bureau pushes it."""
    return harness.penalty_input(src("rc"), harness.legal_subject(fresh_uscc()), **change)


def bad_check(uscc):
    """uscc with a wrong check character."""
    return uscc[:17] + ("0" if uscc[17] != "0" else "1")


def declaration(source_id, uscc):
    when = harness.recent_day(20)
    return SU.ServiceUnitRecordInput(
        source_record_id=source_id, section="GOOD_CONDUCT",
        subject=harness.legal_subject(uscc), occurred_at=harness.tstamp(when),
        declaration=R.Declaration(
            declaring_body="东林社区 Donglin community", conduct="义务参加防汛 flood relief",
            basis="居民公约 covenant", evidence_reference="DL-%s" % source_id,
            conduct_date=harness.pdate(when), place="东林社区 Donglin", outcome="表扬 commended",
            remarks="备注"))


class ReasonCodesTest(harness.InteropCase):

    @classmethod
    def setUpClass(cls):
        cls.node = Node(extra=("--catalogue", changed_catalogue()), name="reason-codes")
        cls.made = {}    # code -> the field it was made on
        cls.faults = []  # every fault of every input: (input name, field, code)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    # --- what the node says ------------------------------------------------------------------

    def note(self, name, res):
        """Keeps every fault of result `res` of input `name`."""
        for f in res.faults:
            self.faults.append((name, f.field, f.reason_code))
        return res

    def expect(self, name, res, field, code):
        """Result `res` is rejected with a fault of `code` on `field`."""
        self.note(name, res)
        self.assertEqual(R.PushOutcome.Name(res.outcome), "PUSH_OUTCOME_REJECTED", res)
        got = {(f.field, f.reason_code) for f in res.faults}
        self.assertIn((field, code), got, "%s: %s" % (name, res))
        self.assertEqual((res.field, res.reason_code), (res.faults[0].field,
                                                        res.faults[0].reason_code))
        type(self).made[code] = field

    def push_one(self, rec, who="market"):
        with harness.Stubs(self.node.port, who) as st:
            return st.push(rec).results[0]

    # --- the inputs ----------------------------------------------------------------------------

    def test_1_each_fault_of_a_record_has_its_code(self):
        today = harness.utc_today()
        p = penalty()
        p.penalty.authority = ""
        self.expect("empty authority", self.push_one(p), "penalty.authority", "REQUIRED")
        p = penalty()
        p.subject.name = "名" * 100  # 300 bytes
        self.expect("long name", self.push_one(p), "subject.name", "TOO_LONG")
        p = penalty()
        p.subject.name = "bad\x01name"
        self.expect("control character", self.push_one(p), "subject.name", "BAD_TEXT")
        p = penalty()
        p.subject.identifier = bad_check(p.subject.identifier)
        self.expect("bad uscc", self.push_one(p), "subject.identifier", "BAD_USCC")
        p = penalty()
        p.subject.legal_representative_id_number = harness.REP_ID[:17] + "0"
        self.expect("bad resident id", self.push_one(p), "subject.legal_representative_id_number",
                    "BAD_RESIDENT_ID")
        p = penalty()
        p.subject.organisation_code = "ABC"
        self.expect("bad organisation code", self.push_one(p), "subject.organisation_code",
                    "BAD_CODE")
        p = penalty()
        p.penalty.decision_date.CopyFrom(R.Date(year=2024, month=2, day=30))
        self.expect("impossible date", self.push_one(p), "penalty.decision_date", "BAD_DATE")
        later = today + datetime.timedelta(days=40)
        p = penalty()
        p.penalty.decision_date.CopyFrom(harness.pdate(later))
        self.expect("future decision", self.push_one(p), "penalty.decision_date", "FUTURE_DATE")
        p = penalty()
        p.occurred_at.seconds += 40 * 86400
        self.expect("future occurred_at", self.push_one(p), "occurred_at", "FUTURE_DATE")
        p = penalty()
        p.penalty.valid_until.CopyFrom(harness.pdate(harness.recent_day(60)))
        self.expect("valid_until first", self.push_one(p), "penalty.valid_until", "OUT_OF_ORDER")
        p = penalty(end=harness.recent_day(29))  # a general penalty: 3 to 12 months
        self.expect("publicity end", self.push_one(p), "penalty.publicity_end_date",
                    "OUTSIDE_WINDOW")
        p = penalty(fine=-5)
        self.expect("negative fine", self.push_one(p), "penalty.fine_amount_fen", "OUT_OF_RANGE")
        p = penalty()
        p.occurred_at.CopyFrom(timestamp_pb2.Timestamp(seconds=0))
        self.expect("empty Timestamp", self.push_one(p), "occurred_at", "OUT_OF_RANGE")
        p = penalty()
        p.penalty.penalty_category = "没收"
        self.expect("category not allowed", self.push_one(p), "penalty.penalty_category",
                    "NOT_ALLOWED")
        p = penalty()
        p.extra["case_ref"].text = "ab12"
        self.expect("case_ref pattern", self.push_one(p), "extra.case_ref", "PATTERN_MISMATCH")
        p = penalty(severity=42)
        self.expect("severity 42", self.push_one(p), "penalty.severity", "UNKNOWN_VALUE")
        p = penalty()
        p.extra["rectified_on"].text = "2025-01-01"
        self.expect("text for a date", self.push_one(p), "extra.rectified_on", "WRONG_TYPE")
        p = penalty()
        p.extra["shoe_size"].integer = 42
        self.expect("no such dimension", self.push_one(p), "extra.shoe_size", "NOT_A_DIMENSION")
        p = penalty()
        other = fresh_uscc()
        p.subject.organisation_code = other[8:17]
        self.expect("organisation code of another company", self.push_one(p),
                    "subject.organisation_code", "CONTRADICTS")
        p = penalty()
        p.ClearField("penalty")
        p.licence.CopyFrom(R.Licence(decision_document_number="许〔1〕"))
        self.expect("licence body", self.push_one(p), "licence", "WRONG_BODY")
        p = penalty()
        p.channel = R.CHANNEL_MUNICIPAL_SYNC
        self.expect("channel", self.push_one(p), "channel", "NOT_RESPONSIBLE")

    def test_2_a_key_given_twice_is_a_duplicate(self):
        # python's map keeps one entry a key: the second entry is appended on the wire.
        p = penalty()
        p.extra["rectified_on"].date.CopyFrom(R.Date(year=2025, month=1, day=2))
        one = R.PublicRecordInput()
        one.extra["rectified_on"].date.CopyFrom(R.Date(year=2025, month=1, day=3))
        rec = p.SerializeToString() + one.SerializeToString()
        body = b"\x0a" + _varint(len(rec)) + rec  # PushBatchRequest.records = 1
        ch = harness.channel(self.node.port, "market")
        try:
            call = ch.unary_unary("/credit.v1.PublicCreditCollection/PushBatch",
                                  request_serializer=None,
                                  response_deserializer=R.PushBatchResponse.FromString)
            res = call(body, timeout=CALL_TIMEOUT).results[0]
        finally:
            ch.close()
        self.expect("rectified_on twice", res, "extra.rectified_on", "DUPLICATE")

    def test_3_what_the_store_decides_has_its_code(self):
        with harness.Stubs(self.node.port, "market") as st:
            # STALE: a change with a source time not later than the stored one.
            p = penalty()
            p.source_updated_at.CopyFrom(timestamp_pb2.Timestamp(seconds=1735689600))
            self.assertEqual(st.push(p).results[0].outcome, R.PUSH_OUTCOME_CREATED)
            p.penalty.content = "罚款人民币6000元"
            p.source_updated_at.seconds -= 60
            self.expect("stale", st.push(p).results[0], "source_updated_at", "STALE")
            # SUBJECT_CHANGED: the same source record about another company.
            p = penalty()
            self.assertEqual(st.push(p).results[0].outcome, R.PUSH_OUTCOME_CREATED)
            p.subject.identifier = fresh_uscc()
            self.expect("subject changed", st.push(p).results[0], "subject", "SUBJECT_CHANGED")
            # WITHDRAWN: new content for a withdrawn record.
            p = penalty()
            rid = st.push(p).results[0].record_id
            st.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="撤销 revoked"),
                                timeout=CALL_TIMEOUT)
            p.penalty.content = "罚款人民币7000元"
            self.expect("withdrawn", st.push(p).results[0], "source_record_id", "WITHDRAWN")
            # REPEATED_IN_CALL: one source record twice in a batch.
            p = penalty()
            res = st.push(p, p).results[1]
            self.expect("twice in a call", res, "source_record_id", "REPEATED_IN_CALL")
        # SOURCE_ID_TAKEN: the office's source id of a penalty, given to a declaration.
        with harness.Stubs(self.node.port, "office") as st:
            p = penalty(unit_uscc=MARKET_USCC)
            self.assertEqual(st.push(p).results[0].outcome, R.PUSH_OUTCOME_CREATED,
                             st.push(p).results[0])
            su = SU_grpc.ServiceUnitCollectionStub(st.ch)
            res = su.PushBatch(SU.ServiceUnitBatchRequest(
                records=[declaration(p.source_record_id, fresh_uscc())]),
                timeout=CALL_TIMEOUT).results[0]
            self.expect("source id taken", res, "source_record_id", "SOURCE_ID_TAKEN")

    def test_4_samples_have_codes_and_every_fault(self):
        uscc = fresh_uscc()
        ch = harness.channel(self.node.port, "ind-platform")
        try:
            ind = I_grpc.IndustrialDataCollectionStub(ch)
            ind.RegisterOptIn(I.RegisterOptInRequest(
                enterprise_uscc=uscc, consent_digest=hashlib.sha256(uscc.encode()).hexdigest()),
                timeout=CALL_TIMEOUT)
            start = timestamp_pb2.Timestamp(seconds=1741000000 // 3600 * 3600)
            good = dict(enterprise_uscc=uscc, section="ENERGY_USE", metric="electricity_kwh",
                        period_start=start, period_seconds=3600, value=5.0)
            samples = [
                I.Sample(**dict(good, section="NOPE")),                      # 0
                I.Sample(**dict(good, enterprise_uscc=fresh_uscc())),        # 1: no opt-in
                I.Sample(**dict(good, enterprise_uscc=bad_check(uscc), value=-1.0,
                                period_seconds=40 * 86400)),                 # 2: three faults
                I.Sample(**dict(good, metric="nope")),                       # 3
                I.Sample(**dict(good, value=-3.0)),                          # 4
            ]
            summary = ind.PushSamples(iter(samples), timeout=CALL_TIMEOUT)
        finally:
            ch.close()
        by = {r.index: r for r in summary.rejections}
        self.assertEqual(sorted(by), [0, 1, 2, 3, 4], summary)
        self.expect("sample section", by[0], "section", "UNKNOWN_SECTION")
        self.expect("sample opt-in", by[1], "enterprise_uscc", "NO_OPT_IN")
        self.expect("sample metric", by[3], "metric", "NOT_A_DIMENSION")
        self.expect("sample value", by[4], "value", "OUT_OF_RANGE")
        # Every fault of a sample, as a record's: the first in the result's own fields too.
        self.expect("sample faults", by[2], "enterprise_uscc", "BAD_USCC")
        self.assertEqual([(f.field, f.reason_code) for f in by[2].faults],
                         [("enterprise_uscc", "BAD_USCC"), ("value", "OUT_OF_RANGE"),
                          ("period_seconds", "OUT_OF_RANGE")], by[2])
        self.assertEqual(by[2].code, 3)

    def test_9_every_readme_code_is_made_and_no_fault_falls_back(self):
        codes = readme_codes()
        self.assertIn("REQUIRED", codes)
        self.assertTrue(GENERIC <= set(codes), codes)
        missing = [c for c in codes if c not in GENERIC and c not in self.made]
        self.assertEqual(missing, [], "README codes no input made")
        unlisted = sorted(set(self.made) - set(codes))
        self.assertEqual(unlisted, [], "codes made that the README does not list")
        fallen = [x for x in self.faults if x[2] in GENERIC]
        self.assertEqual(fallen, [], "faults of no named kind")


def _varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


if __name__ == "__main__":
    unittest.main()
