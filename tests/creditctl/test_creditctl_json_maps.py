"""test_creditctl_json_maps.py: map fields in creditctl's proto3 JSON, against the real creditd.

A record's `extra` (map<string, ExtraValue> on PublicRecordInput and Record) carries the
dimensions approved after the proto was written. The proto3 JSON mapping writes a map as a JSON
object whose member names are the keys and whose values are the value type's JSON
(https://protobuf.dev/programming-guides/proto3/#json):

    "extra": {"rectified_on": {"date": {"year": 2026, "month": 10, "day": 1}}}

One node for the module (harness.Node, fresh PKI). setUpModule has the catalogue grow the
dimension first, through python3-grpcio (credit.v1.CatalogueGovernance): tax files an
CHANGE_KIND_ADD_DIMENSION of PUBLIC/PENALTY `rectified_on` (VALUE_TYPE_DATE, TIER_OPEN, no typed field), the
office passes its review and approves it. Then, in order (test_1 .. test_4): creditctl pushes a
penalty carrying the extra value and the node keeps it (read back with python's own stubs, not
our printer); `creditctl --json get` prints it as an object and that output pushes back to the
same record; creditctl itself refuses a map given as an array, a key given twice and a null
value, naming the field (and key); the node refuses a value of the wrong member (text for a
date dimension) and a code that is no dimension, naming extra.<code>.

Run (from tests/creditctl/; the harness is tests/interop/harness.py):
  PYTHONPATH=../interop CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_creditctl_json_maps
"""

import json
import unittest

import harness
from harness import CALL_TIMEOUT, CtlCase

from credit.v1 import catalogue_pb2 as C
from credit.v1 import catalogue_pb2_grpc as C_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import sharing_pb2_grpc as S_grpc

SUBJECT_USCC = harness.make_uscc("91500227MA%06d" % 734001)
DIMENSION = "rectified_on"

RECTIFIED = harness.json_date(harness.recent_day(5))


def penalty_line(src, extra=None):
    """A SEVERITY_GENERAL penalty decided 30 days ago as creditctl's printer writes it
    (harness.penalty_json), with `extra` when given."""
    rec = harness.penalty_json(src, SUBJECT_USCC, "璧山映射测试有限公司 Map Test Co")
    if extra is not None:
        rec["extra"] = extra
    return rec


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False)


def with_raw_extra(src, raw):
    """A penalty line whose "extra" member is the JSON text `raw`, as it is (json.dumps cannot
    write a name twice)."""
    text = dumps(penalty_line(src))
    assert text.endswith("}")
    return text[:-1] + ', "extra": ' + raw + "}"


def content(record):
    """The input fields of a printed Record (creditctl --json get), as a push line."""
    m = record["meta"]
    rec = {k: m[k] for k in ("sourceRecordId", "category", "subject", "channel", "occurredAt")
           if k in m}
    rec["penalty"] = record["penalty"]
    if "extra" in record:
        rec["extra"] = record["extra"]
    return rec


# --- The catalogue change -------------------------------------------------------------------------

def approve_extra_dimension(port):
    """tax files CHANGE_KIND_ADD_DIMENSION PUBLIC/PENALTY rectified_on; the office passes and approves it.
    Returns the approved ChangeRequest."""
    dim = C.Dimension(code=DIMENSION, name="整改完成日期 rectified on", field="",
                      type=C.VALUE_TYPE_DATE, tier=C.TIER_OPEN,
                      description="Added by test_creditctl_json_maps.py.")
    with harness.channel(port, "tax") as ch:
        cr = C_grpc.CatalogueGovernanceStub(ch).ProposeChange(
            C.ProposeChangeRequest(catalogue=R.CATALOGUE_PUBLIC, section="PENALTY",
                                   kind=C.CHANGE_KIND_ADD_DIMENSION, dimension=dim,
                                   justification="整改信息需要公示 (interop test): add %s."
                                   % DIMENSION),
            timeout=CALL_TIMEOUT)
    if cr.state != C.CHANGE_STATE_FILED:
        raise AssertionError("ProposeChange: %s" % cr)
    with harness.channel(port, "office") as ch:
        cat = C_grpc.CatalogueGovernanceStub(ch)
        review = C.ReviewChangeRequest(id=cr.id, reasons="合规审查通过 (interop test)")
        review.passed = True
        reviewed = cat.ReviewChange(review, timeout=CALL_TIMEOUT)
        if reviewed.state != C.CHANGE_STATE_REVIEW_PASSED:
            raise AssertionError("ReviewChange: %s" % reviewed)
        decided = cat.DecideChange(
            C.DecideChangeRequest(id=cr.id, approve=True, reasons="联席会议同意 (interop test)"),
            timeout=CALL_TIMEOUT)
    if decided.state != C.CHANGE_STATE_APPROVED or decided.resulting_version != 2:
        raise AssertionError("DecideChange: %s" % decided)
    return decided


class _State(harness.CtlModule):
    record_id = None      # the penalty with an extra value (test_1)
    plain_id = None       # the penalty without one (test_1)


S = _State("creditctl-json-maps")
write_file = S.write_lines


def setUpModule():
    S.setup()
    approve_extra_dimension(S.node.port)


tearDownModule = S.teardown


class CreditctlJsonMapsTest(CtlCase):
    """In order: test_1 stores the records the later tests read."""

    def run_ctl(self, want, args, who="market"):
        return self.assertExit(want, harness.creditctl_as(S.node.port, who, args), args)

    def push_json(self, want, path):
        """creditctl --json push of the file at `path`; the results, one per line pushed."""
        out, _ = self.run_ctl(want, ["--json", "push", path])
        return [json.loads(line) for line in out.splitlines()]

    def get(self, record_id):
        """creditctl --json get --tier government: (its output line, the parsed record)."""
        out, _ = self.run_ctl(0, ["--json", "get", "--tier", "government", record_id])
        self.assertEqual(len(out.splitlines()), 1, out)
        return out, json.loads(out)["record"]

    def stored(self, record_id):
        """The record as python3-grpcio reads it from the government tier."""
        with harness.channel(S.node.port, "office") as ch:
            return S_grpc.GovernmentSharingStub(ch).GetRecord(
                R.GetRecordRequest(record_id=record_id), timeout=CALL_TIMEOUT).record

    def test_1_push_of_a_penalty_with_an_extra_date_is_accepted_and_stored(self):
        results = self.push_json(0, write_file("extra.jsonl", [
            dumps(penalty_line("maps-pen-1", {DIMENSION: {"date": RECTIFIED}})),
            dumps(penalty_line("maps-pen-2", {})),  # an empty map: no extra at all
        ]))
        self.assertEqual([r["outcome"] for r in results], ["PUSH_OUTCOME_CREATED", "PUSH_OUTCOME_CREATED"], results)
        S.record_id, S.plain_id = results[0]["recordId"], results[1]["recordId"]
        got = self.stored(S.record_id)
        self.assertEqual(got.meta.catalogue_version, 2, got.meta)
        self.assertEqual(dict(got.extra), {DIMENSION: R.ExtraValue(date=R.Date(**RECTIFIED))})
        self.assertEqual(dict(self.stored(S.plain_id).extra), {})

    def test_2_get_prints_extra_as_an_object_that_pushes_back_to_the_same_record(self):
        self.assertIsNotNone(S.record_id, "test_1 did not store the record")
        out, rec = self.get(S.record_id)
        self.assertIn('"extra":{"%s":{"date":{"year":%d,"month":%d,"day":%d}}}'
                      % (DIMENSION, RECTIFIED["year"], RECTIFIED["month"], RECTIFIED["day"]),
                      out)
        self.assertEqual(rec["extra"], {DIMENSION: {"date": RECTIFIED}})
        _, plain = self.get(S.plain_id)
        self.assertNotIn("extra", plain, "an empty map is left out like an empty repeated field")

        # The printed input fields push back to the same record. A penalty may come back as a
        # PUSH_OUTCOME_NEW_VERSION the first time (the node stores the publicityEndDate it derived, which the
        # printed record then gives explicitly); the second time nothing differs.
        for attempt, want in ((1, ("PUSH_OUTCOME_UNCHANGED", "PUSH_OUTCOME_NEW_VERSION")), (2, ("PUSH_OUTCOME_UNCHANGED",))):
            with self.subTest(round_trip=attempt):
                path = write_file("roundtrip-%d.jsonl" % attempt, [dumps(content(rec))])
                (res,) = self.push_json(0, path)
                self.assertIn(res["outcome"], want, res)
                harness.observe("round trip %d of a record with extra: %s"
                                % (attempt, res["outcome"]))
                self.assertEqual(res["recordId"], S.record_id)
                _, again = self.get(S.record_id)
                self.assertEqual(again["extra"], {DIMENSION: {"date": RECTIFIED}})
                self.assertEqual(content(again), content(rec))
                rec = again
        self.assertEqual(dict(self.stored(S.record_id).extra),
                         {DIMENSION: R.ExtraValue(date=R.Date(**RECTIFIED))})

    def test_3_creditctl_refuses_an_array_a_key_given_twice_and_a_null_value(self):
        date = dumps({"date": RECTIFIED})
        lines = [
            # 1: the repeated-entry form is not proto3 JSON for a map
            dumps(penalty_line("maps-array", [{"key": DIMENSION,
                                               "value": {"date": RECTIFIED}}])),
            # 2: a key given twice, which json-c alone would have merged silently
            with_raw_extra("maps-twice", '{"%s": %s, "%s": %s}'
                           % (DIMENSION, date, DIMENSION, dumps({"text": "2024-05-01"}))),
            # 3: the same key written once plainly and once escaped
            with_raw_extra("maps-escaped", '{"%s": %s, "rectified\\u005fon": %s}'
                           % (DIMENSION, date, date)),
            # 4: a null value
            with_raw_extra("maps-null", '{"%s": null}' % DIMENSION),
            # 5: a value of no ExtraValue member
            dumps(penalty_line("maps-unknown-member", {DIMENSION: {"day": RECTIFIED}})),
        ]
        path = write_file("local.jsonl", lines)
        results = self.push_json(1, path)
        self.assertEqual([r["line"] for r in results], [1, 2, 3, 4, 5], results)
        for r in results:
            self.assertEqual((r["outcome"], r["code"], r.get("local")), ("PUSH_OUTCOME_REJECTED", 3, True), r)
        want = [("extra", ["extra", "JSON object", "array"]),
                ("extra.rectified_on", ["extra", "rectified_on", "given twice"]),
                ("extra.rectified_on", ["extra", "rectified_on", "given twice"]),
                ("extra.rectified_on", ["extra.rectified_on", "null"]),
                ("extra.rectified_on.day", ["unknown field", "extra.rectified_on.day"])]
        for r, (field, words) in zip(results, want):
            with self.subTest(line=r["line"]):
                self.assertEqual(r["field"], field, r)
                for w in words:
                    self.assertIn(w, r["reason"], r)

        # The plain report says the same, a line each (--restart: the file was pushed to its end).
        out, _ = self.run_ctl(1, ["push", "--restart", path])
        rest = out.splitlines()
        self.assertRegex(rest[0], harness.PUSH_SUMMARY_RE)
        self.assertEqual(harness.PUSH_SUMMARY_RE.match(rest[0]).groups(),
                         ("5", "0", "0", "0", "0", "5"))
        self.assertRegex(rest[1], r"^line 1: field 'extra': a map is a JSON object")
        self.assertRegex(rest[2], r"^line 2: field 'extra': key \"rectified_on\" given twice$")
        self.assertRegex(rest[4], r"^line 4: field 'extra\.rectified_on': null")

    def test_4_node_refuses_a_text_for_a_date_dimension_and_a_code_that_is_no_dimension(self):
        results = self.push_json(1, write_file("node.jsonl", [
            dumps(penalty_line("maps-text", {DIMENSION: {"text": "2024-05-01"}})),
            dumps(penalty_line("maps-no-dim", {"not_a_dimension": {"text": "x"}})),
            dumps(penalty_line("maps-good-2", {DIMENSION: {"date": RECTIFIED}})),
        ]))
        self.assertEqual([r["outcome"] for r in results], ["PUSH_OUTCOME_REJECTED", "PUSH_OUTCOME_REJECTED", "PUSH_OUTCOME_CREATED"],
                         results)
        text, no_dim, _ = results
        for r in (text, no_dim):
            self.assertEqual(r["code"], 3, r)  # INVALID_ARGUMENT
            self.assertNotIn("local", r, "the node, not creditctl, refuses it")
        self.assertEqual(text["field"], "extra.rectified_on", text)
        self.assertIn("date", text["reason"], text)
        self.assertEqual(no_dim["field"], "extra.not_a_dimension", no_dim)


if __name__ == "__main__":
    unittest.main()
