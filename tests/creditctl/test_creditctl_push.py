"""test_creditctl_push.py: `creditctl push` of JSON Lines against the real creditd.

One node for the module (harness.Node, fresh PKI). The records are written here as the proto3
JSON mapping that creditctl's own printer uses (lowerCamelCase names, enum names, int64 as
strings, RFC 3339 timestamps) and, on some lines, the forms other proto3 JSON parsers also
take (snake_case names, enum numbers, int64 as numbers, a +08:00 offset). creditctl reads them
with its generic reader (tools/json_in.c), pushes them as the market bureau through the
client library, and reports what the node made of each line; the records are then read back
with `creditctl query --json` and that output is pushed again (the round trip).

Run (from tests/creditctl/; the harness is tests/interop/harness.py):
  PYTHONPATH=../interop CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_creditctl_push
"""

import json
import os
import unittest

import harness
from harness import CtlCase, json_date, recent_day
from harness import MARKET_USCC, REP_ID  # market's own; a legal representative

BAD_USCC = "91230500MA1B3N1N2X"  # wrong check character
SUBJECT_USCC = harness.make_uscc("91500227MA%06d" % 732001)
assert harness.make_uscc(MARKET_USCC[:16]) == MARKET_USCC
assert harness.make_uscc(BAD_USCC[:16]) != BAD_USCC


def penalty_line(src, uscc=SUBJECT_USCC, fine="500000"):
    """A SEVERITY_GENERAL penalty decided 30 days ago, as creditctl's printer writes it."""
    return harness.penalty_json(src, uscc, "璧山推送测试有限公司 \"Push\" Co", fine=fine,
                                facts="在经营场所发布虚假广告\n\t(line two)")


def licence_line(src, uscc=SUBJECT_USCC):
    """A licence in the other accepted forms: snake_case names, enum numbers, an offset."""
    d = recent_day(40)
    to = d.replace(year=d.year + 5)
    return {
        "source_record_id": src, "category": 4,  # CATEGORY_LICENSING
        "subject": {"kind": 1, "name": "璧山推送测试有限公司", "identifier": uscc,
                    "legal_representative": "张三 Zhang San", "legal_representative_id_type": 1,
                    "legal_representative_id_number": REP_ID},
        "occurred_at": "%sT17:00:00.5+08:00" % d.isoformat(),  # 09:00:00.500 UTC
        "licence": {
            "decision_document_name": "食品经营许可决定书",
            "decision_document_number": "璧市监许〔%s〕" % src, "licence_category": "普通",
            "certificate_name": "食品经营许可证", "licence_number": "LIC-" + src,
            "content": "预包装食品销售", "decision_date": json_date(d), "validFrom": json_date(d),
            "valid_to": json_date(to), "authority": "区市场监督管理局",
            "authority_uscc": MARKET_USCC, "current_status": "有效",
            "source_unit_uscc": MARKET_USCC}}


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False)


GOOD = [
    penalty_line("push-pen-1"),
    licence_line("push-lic-1"),
    penalty_line("push-pen-2", fine=123400),  # int64 as a JSON number
]
BAD_USCC_LINE = licence_line("push-bad-uscc", uscc=BAD_USCC)
UNKNOWN_FIELD_LINE = dict(penalty_line("push-unknown"), bogusField=1)

# The mixed file, by line number: blank lines count, and are skipped.
MIXED = [
    dumps(GOOD[0]),               # 1: created
    dumps(BAD_USCC_LINE),         # 2: rejected by the node, subject.identifier
    dumps(GOOD[1]),               # 3: created
    '{"sourceRecordId": "push-broken", "category": ',  # 4: not JSON
    "",                           # 5: blank
    dumps(UNKNOWN_FIELD_LINE),    # 6: unknown field
    "   ",                        # 7: blank
    dumps(GOOD[2]),               # 8: created
]


S = harness.CtlModule("creditctl-push")
setUpModule = S.setup
tearDownModule = S.teardown
write_file = S.write_lines


class CreditctlPushTest(CtlCase):
    """In order (test_1 .. test_6): the first push creates, the later ones find them stored."""

    def run_ctl(self, want, args, who="market", stdin_text=None):
        """Runs creditctl as `who` and asserts its exit status; returns (stdout, stderr)."""
        out, err = self.assertExit(want, harness.creditctl_as(S.node.port, who, args,
                                                              stdin_text=stdin_text), args)
        self.assertNotIn("records sent", err, "progress only on a terminal")
        return out, err

    def check_mixed_rejections(self, out):
        lines = out.splitlines()[1:]
        self.assertEqual(len(lines), 3, out)
        self.assertRegex(lines[0], r"^line 2: subject\.identifier: .+ \(INVALID_ARGUMENT\)$")
        self.assertRegex(lines[1], r"^line 4: invalid JSON")
        self.assertEqual(lines[2], "line 6: unknown field 'bogusField'")

    def test_1_mixed_file_creates_the_good_and_names_the_bad_lines(self):
        path = write_file("mixed.jsonl", MIXED)
        out, _ = self.run_ctl(1, ["push", path])
        self.assertEqual(self.push_summary(out), (6, 3, 3, 0, 0, 3), out)
        self.check_mixed_rejections(out)

    def test_2_same_file_again_is_unchanged_and_still_exits_1(self):
        # A file pushed to its end is not pushed again unless --restart says so (its state file,
        # FILE.state, records the finished import: test_creditctl_catalogues covers that).
        path = write_file("mixed.jsonl", MIXED)
        out, _ = self.run_ctl(1, ["push", "--restart", path])
        self.assertEqual(self.push_summary(out), (6, 3, 0, 3, 0, 3), out)
        self.check_mixed_rejections(out)
        # Only the good lines: exit 0, streamed and in batches of 2 alike.
        good = write_file("good.jsonl", [dumps(r) for r in GOOD])
        out, _ = self.run_ctl(0, ["push", good])
        self.assertEqual(out, "pushed 3 records: 3 accepted (0 created, 3 unchanged, "
                              "0 new versions), 0 rejected\n")
        out, _ = self.run_ctl(0, ["push", "--restart", "--batch", "2", good])
        self.assertEqual(self.push_summary(out), (3, 3, 0, 3, 0, 0), out)

    def test_3_json_output_is_one_result_per_line_with_file_line_numbers(self):
        path = write_file("mixed.jsonl", MIXED)
        out, _ = self.run_ctl(1, ["--json", "push", "--restart", "--batch", "1", path])
        results = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([r["line"] for r in results], [1, 2, 3, 4, 6, 8])
        by_line = {r["line"]: r for r in results}
        for n in (1, 3, 8):
            self.assertEqual(by_line[n]["outcome"], "PUSH_OUTCOME_UNCHANGED")
            self.assertRegex(by_line[n]["recordId"], r"^[0-9a-f]{32}$")
            self.assertEqual(by_line[n]["version"], 1)
        self.assertEqual(by_line[2]["outcome"], "PUSH_OUTCOME_REJECTED")
        self.assertEqual(by_line[2]["code"], 3)  # INVALID_ARGUMENT
        self.assertEqual(by_line[2]["field"], "subject.identifier")
        self.assertTrue(by_line[2]["reason"])
        self.assertEqual((by_line[4]["outcome"], by_line[4]["local"]), ("PUSH_OUTCOME_REJECTED", True))
        self.assertEqual(by_line[6]["field"], "bogusField")
        self.assertEqual(by_line[6]["reason"], "unknown field 'bogusField'")

    def test_4_push_from_stdin_with_local_errors_of_each_kind(self):
        lines = [dumps(penalty_line("push-stdin-1")),
                 dumps(dict(penalty_line("push-stdin-2"), category="CATEGORY_NOPE")),
                 dumps(dict(penalty_line("push-stdin-3"), occurredAt="2026-02-30T00:00:00Z")),
                 dumps(dict(penalty_line("push-stdin-4"), subject={"kind": "SUBJECT_KIND_LEGAL_PERSON",
                                                                   "identifer": "x"})),
                 dumps(dict(licence_line("push-stdin-5"), penalty={})),  # two oneof members
                 "[1, 2]"]
        out, _ = self.run_ctl(1, ["push", "-"], stdin_text="\n".join(lines))  # no final \n
        self.assertEqual(self.push_summary(out), (6, 1, 1, 0, 0, 5), out)
        rest = out.splitlines()[1:]
        self.assertRegex(rest[0], r"^line 2: field 'category': unknown .*\"CATEGORY_NOPE\"")
        self.assertRegex(rest[1], r"^line 3: field 'occurred_at': .*RFC 3339")
        self.assertEqual(rest[2], "line 4: unknown field 'subject.identifer'")
        self.assertRegex(rest[3], r"^line 5: field '(licence|penalty)': only one of")
        self.assertRegex(rest[4], r"^line 6: expected a JSON object")

    def test_5_query_output_round_trips_through_push(self):
        out, _ = self.run_ctl(0, ["query", "--tier", "government", "SUBJECT_KIND_LEGAL_PERSON",
                                  SUBJECT_USCC, "--json"])
        records = [json.loads(line) for line in out.splitlines()]
        by_src = {r["meta"]["sourceRecordId"]: r for r in records}
        self.assertEqual(sorted(by_src),
                         sorted(["push-pen-1", "push-pen-2", "push-lic-1", "push-stdin-1"]))
        self.assertEqual(by_src["push-pen-2"]["penalty"]["fineAmountFen"], "123400")
        lic = by_src["push-lic-1"]
        self.assertRegex(lic["meta"]["occurredAt"], r"T09:00:00\.500Z$")  # +08:00 read right
        self.assertEqual(lic["meta"]["category"], "CATEGORY_LICENSING")
        self.assertEqual(lic["meta"]["subject"]["legalRepresentativeIdNumber"], REP_ID)
        self.assertEqual(lic["licence"]["licenceNumber"], "LIC-push-lic-1")
        self.assertEqual(by_src["push-pen-1"]["penalty"]["violationFacts"],
                         "在经营场所发布虚假广告\n\t(line two)")
        # The printer's JSON of the content fields is the reader's input, and reads back the
        # same: every record is PUSH_OUTCOME_UNCHANGED. A penalty's printed record states the default
        # publicityEndDate the node derived, which is the same content as leaving it out.
        def content(r):
            m = r["meta"]
            rec = {k: m[k] for k in ("sourceRecordId", "category", "subject", "channel",
                                     "occurredAt") if k in m}
            body = "penalty" if "penalty" in r else "licence"
            rec[body] = r[body]
            return rec

        path = write_file("roundtrip.jsonl", [dumps(content(r)) for r in records])
        out, _ = self.run_ctl(0, ["--json", "push", path])
        results = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(results), len(records), out)
        for r, res in zip(records, results):
            self.assertEqual(res["outcome"], "PUSH_OUTCOME_UNCHANGED", (r["meta"]["sourceRecordId"], res))
            self.assertEqual(res["recordId"], r["meta"]["recordId"])
        out, _ = self.run_ctl(0, ["query", "--tier", "government", "SUBJECT_KIND_LEGAL_PERSON",
                                  SUBJECT_USCC, "--json"])
        again = {json.loads(line)["meta"]["sourceRecordId"]: json.loads(line)
                 for line in out.splitlines()}
        for src, r in by_src.items():
            self.assertEqual(content(again[src]), content(r), src)

    def test_6_usage_and_file_errors(self):
        for args in (["push"], ["push", "a", "b"], ["push", "--batch", "0", "f"],
                     ["push", "--batch", "1001", "f"], ["query", "--batch", "2", "--tier",
                                                        "open", "SUBJECT_KIND_LEGAL_PERSON", "x"]):
            _, err = self.run_ctl(2, args)
            self.assertIn("usage: creditctl", err)
        _, err = self.run_ctl(1, ["push", os.path.join(S.tmp, "no-such-file.jsonl")])
        self.assertIn("No such file", err)
        # An empty file pushes nothing and succeeds.
        out, _ = self.run_ctl(0, ["push", write_file("empty.jsonl", [""])])
        self.assertEqual(self.push_summary(out), (0, 0, 0, 0, 0, 0))


if __name__ == "__main__":
    unittest.main()
