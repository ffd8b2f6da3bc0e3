"""test_creditctl_catalogues.py: creditctl for every collected catalogue, against the real creditd.

One node for the module (harness.Node, fresh PKI). creditctl imports records of the service-unit,
association, voluntary and public catalogues and industrial samples, from JSON Lines and from CSV
(RFC 4180: quotes, "" escapes, line breaks and commas in cells, CRLF, a UTF-8 byte order mark,
empty cells), as the units the catalogue makes responsible for them (certs/demo-units.tsv): the
subdistrict town-bicheng, the association platform (under mandates the office registers with
`creditctl mandate`), the portal (declarations the office verifies with `creditctl verify`, its
queue read with `creditctl pending`), the market bureau and the industrial platform (opt-ins with
`creditctl optin`, series read back with `creditctl series`). What the node stored is read back
with `creditctl query --catalogue/--section` and, where it matters, with python3-grpcio.

Resumability is tested with a real partial run: an import in batches is cut (the node stopped
with SIGSTOP once the state file shows progress, creditctl killed, the node let go on), then
run again; the node's outcomes (PUSH_OUTCOME_CREATED vs PUSH_OUTCOME_UNCHANGED) show what was sent twice.

Run (from tests/creditctl/; the harness is tests/interop/harness.py):
  PYTHONPATH=../interop CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_creditctl_catalogues
"""

import csv
import hashlib
import io
import json
import os
import pty
import re
import signal
import subprocess
import time
import unittest

import harness
from harness import CALL_TIMEOUT, CtlCase, json_date, recent_day
from harness import MARKET_USCC, REP_ID  # market's own; a legal representative

from credit.v1 import record_pb2 as R
from credit.v1 import sharing_pb2_grpc as S_grpc

CTL = harness.CREDITCTL

ACME = "91500227MA5UACME5L"  # subj-acme's own code
BAD_USCC = "91230500MA1B3N1N2X"  # wrong check character
SU_SUBJECT = harness.make_uscc("91500227MA%06d" % 741001)
ASSOC = harness.make_uscc("51500227MJ%06d" % 741002)
OTHER_ASSOC = harness.make_uscc("51500227MJ%06d" % 741003)
MEMBER = harness.make_uscc("91500227MA%06d" % 741004)
PUB_SUBJECT = harness.make_uscc("91500227MA%06d" % 741005)
RESUME_SUBJECT = harness.make_uscc("91500227MA%06d" % 741006)
ENTERPRISE = harness.make_uscc("91500227MA%06d" % 741007)
NO_OPTIN = harness.make_uscc("91500227MA%06d" % 741008)
DIGEST = hashlib.sha256(b"signed consent of the enterprise").hexdigest()
EVIDENCE = hashlib.sha256(b"the donation receipt").hexdigest()

SAMPLES_RE = re.compile(r"^pushed (\d+) samples: (\d+) accepted, (\d+) unchanged, (\d+) rejected$")
SKIPPED_RE = re.compile(r"^skipped (\d+) rows \(to line (\d+)\) acknowledged by an earlier run: "
                        r"(\d+) accepted \((\d+) created, (\d+) unchanged, (\d+) new versions\), "
                        r"(\d+) rejected$")


def legal(uscc, name="璧山目录测试有限公司 Catalogue Test Co"):
    return {"kind": "SUBJECT_KIND_LEGAL_PERSON", "name": name, "identifier": uscc,
            "legalRepresentative": "张三 Zhang San"}


def occurred(days_ago=10):
    return "%sT09:00:00+08:00" % recent_day(days_ago).isoformat()


def su_line(src, section="GOOD_CONDUCT", conduct="清理河道 cleaned the river", **decl):
    body = {"conduct": conduct, "conductDate": json_date(recent_day(12)), "basis": "村规民约第三条",
            "place": "璧城街道"}
    if section == "BAD_CONDUCT":
        body["evidenceReference"] = "EV-" + src
    body.update(decl)
    return {"sourceRecordId": src, "section": section, "subject": legal(SU_SUBJECT),
            "occurredAt": occurred(), "declaration": body}


def assoc_line(src, section="MEMBER", assoc=ASSOC):
    rec = {"sourceRecordId": src, "section": section,
           "association": {"name": "璧山测试商会 Test Chamber", "uscc": assoc},
           "occurredAt": occurred()}
    if section == "GOVERNANCE":
        rec["subject"] = dict(legal(assoc, "璧山测试商会 Test Chamber"), kind="SUBJECT_KIND_SOCIAL_ORGANISATION")
        rec["governance"] = {"team": "会长一名、秘书长一名", "rules": "章程第五条",
                             "reportedOn": json_date(recent_day(20))}
    else:
        rec["subject"] = legal(MEMBER)
        rec["member"] = {"rating": "AAA", "award": "诚信会员", "evaluatedOn": json_date(recent_day(20))}
    return rec


def voluntary_line(src, section="CHARITY", title="2025 flood relief donation"):
    return {"sourceRecordId": src, "section": section, "subject": legal(ACME, "璧山示例科技有限公司"),
            "channel": "CHANNEL_SERVICE_WINDOW", "occurredAt": occurred(),
            "claim": {"title": title, "content": "捐款人民币一万元", "claimedOn": json_date(recent_day(30)),
                      "evidence": {"documentDigest": EVIDENCE, "issuer": "区慈善总会",
                                   "reference": "RC-" + src}}}


PENALTY_HEADER = [
    "source_record_id", "category", "subject.kind", "subject.name", "subject.identifier",
    "subject.legal_representative", "subject.legal_representative_id_type",
    "subject.legalRepresentativeIdNumber", "occurred_at", "penalty.decision_document_number",
    "penalty.violation_type", "penalty.violation_facts", "penalty.legal_basis",
    "penalty.penalty_category", "penalty.content", "penalty.fine_amount_fen",
    "penalty.decision_date", "penalty.authority", "penalty.authority_uscc",
    "penalty.source_unit_uscc", "penalty.severity"]


def penalty_row(src, uscc, fine=500000, decided=None, facts="虚假宣传, \"夸大\" 功效"):
    d = decided or recent_day(30)
    return [src, "CATEGORY_PENALTY", "SUBJECT_KIND_LEGAL_PERSON", "璧山目录测试有限公司", uscc, "张三 Zhang San",
            "ID_TYPE_RESIDENT_ID", REP_ID, "%sT09:00:00Z" % d.isoformat(), "璧罚〔%s〕" % src, "虚假宣传",
            facts, "《广告法》第五十五条", "罚款", "罚款人民币5000元", str(fine), d.isoformat(),
            "区市场监督管理局", MARKET_USCC, MARKET_USCC, "SEVERITY_GENERAL"]


def to_csv(rows, crlf=False, bom=False):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    return ("\ufeff" if bom else "") + buf.getvalue()


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False)


class _State(harness.CtlModule):
    pending_ids = None


S = _State("creditctl-catalogues")
setUpModule = S.setup
tearDownModule = S.teardown
write = S.write


def jsonl(name, records):
    return write(name, "".join(dumps(r) + "\n" for r in records))


def ctl_argv(args, who):
    return [CTL] + harness.ctl_flags(S.node.port, who) + list(args)


class CatalogueCase(CtlCase):

    def run_ctl(self, want, args, who="office", stdin_text=None):
        out, err = self.assertExit(want, harness.creditctl_as(S.node.port, who, args,
                                                              stdin_text=stdin_text),
                                   args, who=who)
        self.assertNotIn("acknowledged,", out + err, "a progress line only on a terminal")
        return out, err

    def samples(self, out):
        m = SAMPLES_RE.match(out.splitlines()[0])
        self.assertIsNotNone(m, out)
        return tuple(int(x) for x in m.groups())

    def query(self, uscc, *filters, tier="government", who="office"):
        out, _ = self.run_ctl(0, ["--json", "query", "--tier", tier] + list(filters) +
                              ["SUBJECT_KIND_LEGAL_PERSON", uscc], who=who)
        return [json.loads(line) for line in out.splitlines()]

    def by_source(self, records):
        return {r["meta"]["sourceRecordId"]: r for r in records}


class T1ServiceUnit(CatalogueCase):

    def test_1_jsonl_and_csv_create_declarations_found_by_catalogue_and_section(self):
        path = jsonl("su.jsonl", [su_line("su-j1"), su_line("su-j2", "BAD_CONDUCT", "倾倒垃圾")])
        out, _ = self.run_ctl(0, ["push", "--catalogue", "service-unit", path], who="town-bicheng")
        self.assertEqual(self.push_summary(out), (2, 2, 2, 0, 0, 0), out)

        d12 = recent_day(12).isoformat()
        rows = [["sourceRecordId", "section", "subject.kind", "subject.name", "subject.identifier",
                 "subject.legal_representative", "occurredAt", "declaration.conduct",
                 "declaration.conduct_date", "declaration.basis", "declaration.place",
                 "declaration.evidence_reference"],
                ["su-c1", "GOOD_CONDUCT", "SUBJECT_KIND_LEGAL_PERSON", "璧山目录测试有限公司", SU_SUBJECT, "张三",
                 occurred(), "扶老携幼", d12, "村规民约", "", ""],
                ["su-c2", "BAD_CONDUCT", "SUBJECT_KIND_LEGAL_PERSON", "璧山目录测试有限公司", SU_SUBJECT, "张三",
                 occurred(), "噪声扰民", d12, "村规民约", "", "EV-c2"]]
        out, _ = self.run_ctl(0, ["push", "--catalogue", "service-unit",
                                  write("su.csv", to_csv(rows))], who="town-bicheng")
        self.assertEqual(self.push_summary(out), (2, 2, 2, 0, 0, 0), out)

        every = self.by_source(self.query(SU_SUBJECT, "--catalogue", "service-unit"))
        self.assertEqual(sorted(every), ["su-c1", "su-c2", "su-j1", "su-j2"])
        for r in every.values():
            self.assertEqual(r["meta"]["catalogue"], "CATALOGUE_SERVICE_UNIT")
            self.assertEqual(r["meta"]["sourceUnit"], "town-bicheng")
        self.assertNotIn("place", every["su-c1"]["declaration"], "an empty cell is not set")
        self.assertEqual(every["su-c2"]["declaration"]["evidenceReference"], "EV-c2")
        good = self.by_source(self.query(SU_SUBJECT, "--catalogue", "SERVICE_UNIT", "--section",
                                         "GOOD_CONDUCT"))
        self.assertEqual(sorted(good), ["su-c1", "su-j1"])
        none = self.query(SU_SUBJECT, "--catalogue", "voluntary")
        self.assertEqual(none, [])
        # The table for people names catalogue/section where the public category would be.
        out, _ = self.run_ctl(0, ["query", "--tier", "government", "--section", "BAD_CONDUCT",
                                  "SUBJECT_KIND_LEGAL_PERSON", SU_SUBJECT])
        self.assertEqual(len(out.splitlines()), 3, out)
        self.assertIn("SERVICE_UNIT/BAD_CONDUCT", out)

    def test_2_csv_edge_cases_quotes_newlines_commas_bom_crlf_and_empty_cells(self):
        header = ["source_record_id", "section", "subject.kind", "subject.name",
                  "subject.identifier", "subject.legal_representative", "occurred_at",
                  "declaration.conduct", "declaration.conduct_date", "declaration.basis",
                  "declaration.place", "declaration.remarks"]
        d12 = recent_day(12).isoformat()

        def row(src, conduct, date=d12, place="", remarks=""):
            return [src, "GOOD_CONDUCT", "SUBJECT_KIND_LEGAL_PERSON", "Edge, \"Quoted\" Co", SU_SUBJECT, "张三",
                    occurred(), conduct, date, "公约", place, remarks]

        text = to_csv([header,
                       row("su-e1", "line one\nline two, with a comma", place="\"东\"街"),
                       row("su-e2", "bad date", date="2025-02-30"),
                       row("su-e3", "plain", remarks="尾注")], crlf=True, bom=True)
        # Lines: 1 header, 2-3 su-e1 (a line break in a cell), 4 su-e2, 5 su-e3; then a row
        # with a quote inside an unquoted cell (6) and one with too few fields (7).
        text += 'su-e4,GOOD_CONDUCT,SUBJECT_KIND_LEGAL_PERSON,Bad"Quote,%s,x,%s,c,%s,b,,\r\n' % (
            SU_SUBJECT, occurred(), d12)
        text += "su-e5,GOOD_CONDUCT\r\n"
        path = write("edge.csv", text)
        with open(path, "rb") as f:
            self.assertTrue(f.read().startswith(b"\xef\xbb\xbf"))
        out, _ = self.run_ctl(1, ["push", "--catalogue", "service-unit", path], who="town-bicheng")
        self.assertEqual(self.push_summary(out), (5, 2, 2, 0, 0, 3), out)
        rest = out.splitlines()[1:]
        self.assertEqual(rest[0], 'line 4: column 9 (declaration.conduct_date): "2025-02-30" is '
                                  'an impossible date: 2025-02 has 28 days, not 30')
        self.assertRegex(rest[1], r"^line 6: column 4 \(subject\.name\): a quote inside an "
                                  r"unquoted field")
        self.assertEqual(rest[2], "line 7: 2 fields where the header has 12")
        got = self.by_source(self.query(SU_SUBJECT, "--section", "GOOD_CONDUCT"))
        e1 = got["su-e1"]
        self.assertEqual(e1["declaration"]["conduct"], "line one\nline two, with a comma")
        self.assertEqual(e1["declaration"]["place"], "\"东\"街")
        self.assertEqual(e1["meta"]["subject"]["name"], "Edge, \"Quoted\" Co")
        self.assertNotIn("remarks", e1["declaration"])
        self.assertEqual(got["su-e3"]["declaration"]["remarks"], "尾注")
        self.assertNotIn("place", got["su-e3"]["declaration"])

        # --json: the local rejections name the field by its path.
        out, _ = self.run_ctl(1, ["--json", "push", "--restart", "--catalogue", "service-unit",
                                  path], who="town-bicheng")
        results = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([r["line"] for r in results], [2, 4, 5, 6, 7])
        self.assertEqual([r["outcome"] for r in results],
                         ["PUSH_OUTCOME_UNCHANGED", "PUSH_OUTCOME_REJECTED", "PUSH_OUTCOME_UNCHANGED", "PUSH_OUTCOME_REJECTED", "PUSH_OUTCOME_REJECTED"])
        self.assertEqual((results[1]["field"], results[1]["local"]),
                         ("declaration.conduct_date", True))
        self.assertEqual(results[3]["field"], "subject.name")

    def test_3_unknown_or_overlapping_header_exits_2_naming_the_column_and_sends_nothing(self):
        header = ["source_record_id", "section", "subject.kind", "subject.nmae"]
        path = write("unknown.csv", to_csv([header, ["su-u1", "GOOD_CONDUCT", "SUBJECT_KIND_LEGAL_PERSON",
                                                     "x"]]))
        _, err = self.run_ctl(2, ["push", "--catalogue", "service-unit", path], who="town-bicheng")
        self.assertIn("line 1: column 4 (subject.nmae): no field 'nmae' in credit.v1.Subject", err)
        self.assertFalse(os.path.exists(path + ".state"), "nothing was sent, nothing recorded")
        for bad, words in ((["declaration.conduct_date", "declaration.conduct_date.year"],
                            ["column 2 (declaration.conduct_date.year)", "overlaps column 1"]),
                           (["subject", "section"], ["column 1 (subject)", "a message"]),
                           (["extra"], ["column 1 (extra)", "map"]),
                           (["section", "section"], ["column 2 (section)", "same field"]),
                           (["extra.code:colour"], ["no member of ExtraValue"])):
            with self.subTest(header=bad):
                _, err = self.run_ctl(2, ["push", "--catalogue", "service-unit",
                                          write("bad-header.csv", to_csv([bad]))],
                                      who="town-bicheng")
                for w in words:
                    self.assertIn(w, err)
        # A quoted field that never closes: the import stops there, naming line and column.
        text = to_csv([["source_record_id", "section"], ["su-q1", "GOOD_CONDUCT"]])
        text += 'su-q2,"GOOD_CONDUCT\n\n'
        _, err = self.run_ctl(2, ["push", "--catalogue", "service-unit",
                                  write("unclosed.csv", text)], who="town-bicheng")
        self.assertIn("line 3: column 2: the quoted field that starts here is not closed", err)
        self.assertEqual(self.by_source(self.query(SU_SUBJECT)).keys() & {"su-u1", "su-q1"},
                         set())


class T2Association(CatalogueCase):

    def test_1_mandates_govern_what_the_platform_pushes(self):
        out, _ = self.run_ctl(0, ["mandate", "register", "assoc-platform", ASSOC,
                                  "璧山测试商会 Test Chamber"])
        self.assertRegex(out, r"(?m)^status +live$")
        self.assertRegex(out, r"(?m)^association uscc +%s$" % ASSOC)
        self.run_ctl(1, ["mandate", "register", "assoc-platform", ASSOC, "again"])  # ALREADY_EXISTS
        _, err = self.run_ctl(1, ["mandate", "register", "assoc-platform", OTHER_ASSOC, "x"],
                              who="market")
        self.assertIn("PERMISSION_DENIED", err)

        out, _ = self.run_ctl(0, ["--json", "mandate", "list"], who="assoc-platform")
        mandates = json.loads(out)["mandates"]
        self.assertEqual([(m["platform"], m["association"]["uscc"], m.get("revoked", False))
                          for m in mandates], [("assoc-platform", ASSOC, False)])

        lines = [assoc_line("as-1", "GOVERNANCE"), assoc_line("as-2"),
                 assoc_line("as-3", assoc=OTHER_ASSOC)]
        out, _ = self.run_ctl(1, ["push", "--catalogue", "association", jsonl("as.jsonl", lines)],
                              who="assoc-platform")
        self.assertEqual(self.push_summary(out), (3, 2, 2, 0, 0, 1), out)
        self.assertRegex(out.splitlines()[1],
                         r"^line 3: association\.uscc: platform assoc-platform holds no mandate .*"
                         r"\(PERMISSION_DENIED\)$")
        rows = [["source_record_id", "section", "association.name", "association.uscc",
                 "subject.kind", "subject.name", "subject.identifier",
                 "subject.legal_representative", "occurred_at", "member.rating",
                 "member.evaluated_on.year", "member.evaluated_on.month",
                 "member.evaluated_on.day"],
                ["as-c1", "MEMBER", "璧山测试商会", ASSOC, "SUBJECT_KIND_LEGAL_PERSON", "会员公司", MEMBER, "李四",
                 occurred(), "AA", str(recent_day(20).year), str(recent_day(20).month),
                 str(recent_day(20).day)]]
        out, _ = self.run_ctl(0, ["push", "--catalogue", "association",
                                  write("as.csv", to_csv(rows))], who="assoc-platform")
        self.assertEqual(self.push_summary(out), (1, 1, 1, 0, 0, 0), out)
        members = self.by_source(self.query(MEMBER, "--catalogue", "association", "--section",
                                            "MEMBER"))
        self.assertEqual(sorted(members), ["as-2", "as-c1"])
        self.assertEqual(members["as-c1"]["member"]["evaluatedOn"], json_date(recent_day(20)))
        self.assertEqual(members["as-c1"]["meta"]["association"]["uscc"], ASSOC)

        _, err = self.run_ctl(2, ["mandate", "revoke", "assoc-platform", ASSOC])
        self.assertIn("--reason TEXT is required", err)
        out, _ = self.run_ctl(0, ["mandate", "revoke", "assoc-platform", ASSOC, "--reason",
                                  "the chamber left the platform"])
        self.assertRegex(out, r"(?m)^status +revoked$")
        self.assertRegex(out, r"(?m)^reason +the chamber left the platform$")
        out, _ = self.run_ctl(0, ["mandate", "list", "assoc-platform"])
        self.assertRegex(out.splitlines()[0], r"^PLATFORM +ASSOCIATION USCC +STATUS +REGISTERED")
        self.assertRegex(out.splitlines()[1], r"^assoc-platform +%s +revoked " % ASSOC)
        out, _ = self.run_ctl(1, ["push", "--catalogue", "association",
                                  jsonl("as-after.jsonl", [assoc_line("as-4")])],
                              who="assoc-platform")
        self.assertEqual(self.push_summary(out), (1, 0, 0, 0, 0, 1), out)
        self.assertIn("holds no live mandate", out)


class T3Voluntary(CatalogueCase):

    def test_1_declarations_wait_for_the_office_and_only_verified_ones_are_open(self):
        out, _ = self.run_ctl(0, ["push", "--catalogue", "voluntary", jsonl("v.jsonl", [
            voluntary_line("vo-1"), voluntary_line("vo-2", "AWARD", "District quality award")])],
            who="portal")
        self.assertEqual(self.push_summary(out), (2, 2, 2, 0, 0, 0), out)
        rows = [["source_record_id", "section", "subject.kind", "subject.name",
                 "subject.identifier", "subject.legal_representative", "occurred_at",
                 "claim.title", "claim.content", "claim.claimed_on",
                 "claim.evidence.document_digest", "claim.evidence.issuer"],
                ["vo-3", "HONOUR", "SUBJECT_KIND_LEGAL_PERSON", "璧山示例科技有限公司", ACME, "张三", occurred(),
                 "Honest enterprise", "区级诚信企业", recent_day(40).isoformat(), EVIDENCE, "区政府"]]
        out, _ = self.run_ctl(0, ["push", "--catalogue", "voluntary", write("v.csv", to_csv(rows))],
                              who="subj-acme")
        self.assertEqual(self.push_summary(out), (1, 1, 1, 0, 0, 0), out)

        out, _ = self.run_ctl(0, ["--json", "pending"])
        pending = {json.loads(line)["meta"]["sourceRecordId"]: json.loads(line)["meta"]["recordId"]
                   for line in out.splitlines()}
        self.assertLessEqual({"vo-1", "vo-2", "vo-3"}, set(pending))
        out, _ = self.run_ctl(0, ["pending"])
        self.assertRegex(out.splitlines()[0], r"^RECORD ID +SECTION +SUBJECT +SOURCE +REPORTED +"
                                              r"TITLE$")
        self.assertIn("District quality award", out)
        _, err = self.run_ctl(1, ["pending"], who="market")
        self.assertIn("PERMISSION_DENIED", err)

        out, _ = self.run_ctl(0, ["verify", pending["vo-1"], "verified", "--reason",
                                  "receipt RC-vo-1 checked with the charity"])
        self.assertRegex(out, r"(?m)^record +%s$" % pending["vo-1"])
        self.assertRegex(out, r"(?m)^outcome +PUSH_OUTCOME_NEW_VERSION$")
        out, _ = self.run_ctl(0, ["--json", "verify", pending["vo-2"], "rejected", "--reason",
                                  "no such award"])
        self.assertEqual(json.loads(out)["outcome"], "PUSH_OUTCOME_NEW_VERSION")
        _, err = self.run_ctl(1, ["verify", pending["vo-2"], "verified", "--reason", "again"])
        self.assertIn("FAILED_PRECONDITION", err)
        _, err = self.run_ctl(1, ["verify", pending["vo-3"], "verified", "--reason", "x"],
                              who="market")
        self.assertIn("PERMISSION_DENIED", err)
        for args in (["verify", pending["vo-3"], "maybe", "--reason", "x"],
                     ["verify", pending["vo-3"], "verified"],
                     ["verify", pending["vo-3"]]):
            self.run_ctl(2, args)

        out, _ = self.run_ctl(0, ["--json", "pending"])
        still = {json.loads(line)["meta"]["sourceRecordId"] for line in out.splitlines()}
        self.assertIn("vo-3", still)
        self.assertEqual(still & {"vo-1", "vo-2"}, set())
        shared = self.by_source(self.query(ACME, "--catalogue", "voluntary", tier="open",
                                           who="bank-a"))
        self.assertEqual(sorted(shared), ["vo-1"])
        # Only verified declarations are shared, in any tier.
        gov = self.by_source(self.query(ACME, "--catalogue", "voluntary"))
        self.assertEqual(sorted(gov), ["vo-1"])
        status = gov["vo-1"]["meta"]["status"]
        self.assertEqual((status["verification"], status["verificationReason"],
                          status["verifiedBy"]),
                         ("VERIFICATION_VERIFIED", "receipt RC-vo-1 checked with the charity",
                          "office"))
        # The office reads its verdicts back, each with who gave it and why.
        out, _ = self.run_ctl(0, ["pending", "rejected"])
        self.assertRegex(out.splitlines()[0], r"^RECORD ID +SECTION +SUBJECT +SOURCE +REPORTED +"
                                              r"TITLE +BY +REASON$")
        self.assertRegex(out, r"(?m)^%s +AWARD .* office +no such award$" % pending["vo-2"])
        self.assertNotIn(pending["vo-1"], out)
        out, _ = self.run_ctl(0, ["--json", "pending", "verified"])
        verified = {json.loads(line)["meta"]["sourceRecordId"] for line in out.splitlines()}
        self.assertIn("vo-1", verified)
        self.assertNotIn("vo-2", verified)
        self.run_ctl(2, ["pending", "maybe"])
        _, err = self.run_ctl(1, ["pending", "rejected"], who="market")
        self.assertIn("PERMISSION_DENIED", err)
        # The portal, which relayed the rejected declaration, reads the verdict and its reason.
        out, _ = self.run_ctl(0, ["--json", "get", "--tier", "open", pending["vo-2"]],
                              who="portal")
        status = json.loads(out)["record"]["meta"]["status"]
        self.assertEqual((status["verification"], status["verificationReason"],
                          status["verifiedBy"]),
                         ("VERIFICATION_REJECTED", "no such award", "office"))
        self.run_ctl(1, ["get", "--tier", "open", pending["vo-2"]], who="bank-a")


class T4Public(CatalogueCase):

    def test_1_public_penalties_from_csv_with_a_date_in_one_or_three_columns(self):
        rows = [PENALTY_HEADER + ["extra.not_a_dimension:text"],
                penalty_row("pub-c1", PUB_SUBJECT) + [""],
                penalty_row("pub-c2", BAD_USCC) + [""],
                penalty_row("pub-c3", PUB_SUBJECT, fine=700000) + ["2025"]]
        path = write("public.csv", to_csv(rows))
        out, _ = self.run_ctl(1, ["push", "--batch", "2", path], who="market")
        self.assertEqual(self.push_summary(out), (3, 1, 1, 0, 0, 2), out)
        rest = out.splitlines()[1:]
        self.assertRegex(rest[0], r"^line 3: subject\.identifier: .+ \(INVALID_ARGUMENT\)$")
        # The typed header made "2025" a text value, which the node names by its map key.
        self.assertRegex(rest[1], r"^line 4: extra\.not_a_dimension: .+ \(INVALID_ARGUMENT\)$")

        split = [h if h != "penalty.decision_date" else None for h in PENALTY_HEADER]
        i = split.index(None)
        header = PENALTY_HEADER[:i] + ["penalty.decision_date.year", "penalty.decisionDate.month",
                                       "penalty.decision_date.day"] + PENALTY_HEADER[i + 1:]
        d = recent_day(31)
        row = penalty_row("pub-c4", PUB_SUBJECT, decided=d)
        row = row[:i] + [str(d.year), str(d.month), str(d.day)] + row[i + 1:]
        out, _ = self.run_ctl(0, ["push", write("public-split.csv", to_csv([header, row]))],
                              who="market")
        self.assertEqual(self.push_summary(out), (1, 1, 1, 0, 0, 0), out)
        got = self.by_source(self.query(PUB_SUBJECT, "--catalogue", "public", "--category",
                                        "PENALTY"))
        self.assertEqual(sorted(got), ["pub-c1", "pub-c4"])
        self.assertEqual(got["pub-c4"]["penalty"]["decisionDate"], json_date(d))
        self.assertEqual(got["pub-c1"]["penalty"]["violationFacts"], "虚假宣传, \"夸大\" 功效")
        self.assertEqual(got["pub-c1"]["meta"]["subject"]["legalRepresentativeIdNumber"], REP_ID)


class T5Resume(CatalogueCase):
    ROWS = 300
    BATCH = 3

    def test_1_an_interrupted_import_resumes_after_what_the_node_acknowledged(self):
        rows = [PENALTY_HEADER] + [penalty_row("res-%03d" % i, RESUME_SUBJECT)
                                   for i in range(self.ROWS)]
        path = write("resume.csv", to_csv(rows))
        state = path + ".state"
        argv = ctl_argv(["push", "--batch", str(self.BATCH), path], "market")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=harness.ctl_env())
        done_before = 0
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                st = self.read_state(state)
                if st and int(st["rows"]) >= 30:
                    break
                time.sleep(0.005)
            self.assertIsNone(proc.poll(), "creditctl ended before it could be interrupted")
            # Cut it: the node stops answering, creditctl dies mid-call, the node goes on.
            os.kill(S.node.pid, signal.SIGSTOP)
            try:
                proc.kill()
                proc.wait(timeout=30)
            finally:
                os.kill(S.node.pid, signal.SIGCONT)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        st = self.read_state(state)
        done_before = int(st["rows"])
        self.assertEqual(st["finished"], "0", st)
        self.assertLess(done_before, self.ROWS)
        self.assertEqual(done_before % self.BATCH, 0, "a state moves a whole group at a time")
        self.assertEqual(int(st["line"]), done_before + 1, "the header is line 1")
        self.assertEqual(int(st["created"]), done_before)
        harness.observe("resume: %d of %d rows acknowledged when the import was cut"
                        % (done_before, self.ROWS))

        # The second run sends only the rest. The batch in flight when the first was cut may
        # have been stored: it comes back PUSH_OUTCOME_UNCHANGED, and nothing else does.
        out, _ = self.run_ctl(0, ["push", "--batch", str(self.BATCH), path], who="market")
        pushed, accepted, created, unchanged, versions, rejected = self.push_summary(out)
        self.assertEqual(pushed, self.ROWS - done_before, out)
        self.assertEqual((accepted, versions, rejected), (pushed, 0, 0), out)
        self.assertLessEqual(unchanged, self.BATCH, out)
        self.assertEqual(created + unchanged, pushed)
        m = SKIPPED_RE.match(out.splitlines()[1])
        self.assertIsNotNone(m, out)
        self.assertEqual(tuple(int(x) for x in m.groups()),
                         (done_before, done_before + 1, done_before, done_before, 0, 0, 0))
        stored = self.query(RESUME_SUBJECT, "--catalogue", "public")
        self.assertEqual(len(stored), self.ROWS)
        self.assertEqual(self.read_state(state)["finished"], "1")

        # A finished import sends nothing.
        out, _ = self.run_ctl(0, ["push", path], who="market")
        self.assertIn("already imported", out.splitlines()[0])
        self.assertIn("nothing sent", out.splitlines()[0])
        self.assertRegex(out.splitlines()[1], r"^%d rows \(to line %d\) acknowledged by an "
                                              r"earlier run: %d accepted" % (
                                                  self.ROWS, self.ROWS + 1, self.ROWS))

        # The same path with other content is not taken for the import that finished.
        rows[1] = penalty_row("res-000", RESUME_SUBJECT, fine=600000)
        write("resume.csv", to_csv(rows))
        _, err = self.run_ctl(2, ["push", path], who="market")
        self.assertIn("has changed since the state", err)
        self.assertIn("--restart", err)
        out, _ = self.run_ctl(0, ["push", "--restart", path], who="market")
        self.assertEqual(self.push_summary(out), (self.ROWS, self.ROWS, 0, self.ROWS - 1, 1, 0),
                         out)
        # Another catalogue with the same state file is another import too.
        _, err = self.run_ctl(2, ["push", "--catalogue", "service-unit", path], who="market")
        self.assertIn("was written for another input (PUBLIC csv", err)

    def test_2_state_can_be_named_and_standard_input_has_none(self):
        path = write("named.jsonl", dumps(su_line("su-n1")) + "\n")
        state = os.path.join(S.tmp, "elsewhere.state")
        out, _ = self.run_ctl(0, ["push", "--catalogue", "service-unit", "--state", state, path],
                              who="town-bicheng")
        self.assertEqual(self.push_summary(out), (1, 1, 1, 0, 0, 0))
        self.assertTrue(os.path.exists(state))
        self.assertFalse(os.path.exists(path + ".state"))
        out, _ = self.run_ctl(0, ["push", "--catalogue", "service-unit", "-"], who="town-bicheng",
                              stdin_text=dumps(su_line("su-n1")))
        self.assertEqual(self.push_summary(out), (1, 1, 0, 1, 0, 0))
        _, err = self.run_ctl(2, ["push", "--state", state, "-"], who="town-bicheng")
        self.assertIn("standard input cannot be resumed", err)
        garbage = write("garbage.state", "not a state\n")
        _, err = self.run_ctl(2, ["push", "--state", garbage, path], who="town-bicheng")
        self.assertIn("not a creditctl import state", err)

    @staticmethod
    def read_state(path):
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        return dict(line.split(" ", 1) for line in lines[1:] if " " in line)


class T6Progress(CatalogueCase):

    def test_1_a_terminal_gets_a_progress_line_redrawn_in_place(self):
        path = jsonl("progress.jsonl", [su_line("su-p%d" % i) for i in range(20)])
        master, slave = pty.openpty()
        proc = subprocess.Popen(ctl_argv(["push", "--catalogue", "service-unit", "--batch", "5",
                                          path], "town-bicheng"),
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                                env=harness.ctl_env())
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        _, err = proc.communicate(timeout=harness.CREDITCTL_TIMEOUT)
        self.assertEqual(proc.returncode, 0, err)
        text = b"".join(chunks).decode("utf-8", "replace")
        self.assertRegex(text, r"\r\[[#.]{20}\] +\d+%  \d+ sent, \d+ acknowledged, \d+ records/s")
        self.assertIn("\r\x1b[K", text, "the progress line is cleared before the report")
        self.assertRegex(text, r"pushed 20 records: 20 accepted \(20 created")


class T7Industrial(CatalogueCase):

    def sample(self, uscc, t, value, metric="electricity_kwh", seconds=86400):
        return {"enterpriseUscc": uscc, "section": "ENERGY_USE", "metric": metric,
                "periodStart": t, "periodSeconds": seconds, "value": value}

    def test_1_opt_ins_samples_from_jsonl_and_csv_and_series_by_tier(self):
        out, _ = self.run_ctl(0, ["optin", "register", ENTERPRISE, DIGEST], who="ind-platform")
        self.assertRegex(out, r"(?m)^enterprise +%s$" % ENTERPRISE)
        self.assertRegex(out, r"(?m)^status +live$")
        self.run_ctl(1, ["optin", "register", ENTERPRISE, "not-a-digest"], who="ind-platform")
        out, _ = self.run_ctl(0, ["--json", "optin", "list"], who="ind-platform")
        self.assertEqual([(o["platform"], o["enterpriseUscc"]) for o in json.loads(out)["optIns"]],
                         [("ind-platform", ENTERPRISE)])

        # Two different months.
        m1, m2 = recent_day(70).replace(day=1), recent_day(40).replace(day=1)
        t = lambda d, h=0: "%sT%02d:00:00+08:00" % (d.isoformat(), h)
        lines = [self.sample(ENTERPRISE, t(m1), 100.5), self.sample(ENTERPRISE, t(m1, 1), 20),
                 self.sample(NO_OPTIN, t(m1), 1), self.sample(ENTERPRISE, t(m1), 1, metric="nope")]
        path = jsonl("samples.jsonl", lines)
        out, _ = self.run_ctl(1, ["push", "--catalogue", "industrial", path], who="ind-platform")
        self.assertEqual(self.samples(out), (4, 2, 0, 2), out)
        rest = out.splitlines()[1:]
        self.assertRegex(rest[0], r"^line 3: \S+: .+ \((PERMISSION_DENIED|FAILED_PRECONDITION)\)$")
        self.assertRegex(rest[1], r"^line 4: metric: .*nope.* \(INVALID_ARGUMENT\)$")
        rows = [["enterprise_uscc", "section", "metric", "period_start", "period_seconds", "value"],
                [ENTERPRISE, "ENERGY_USE", "electricity_kwh", t(m1), "86400", "100.5"],  # same
                [ENTERPRISE, "ENERGY_USE", "electricity_kwh", t(m2), "86400", "7.25"],
                [ENTERPRISE, "ENERGY_USE", "electricity_kwh", "yesterday", "86400", "1"]]
        out, _ = self.run_ctl(1, ["push", "--catalogue", "industrial",
                                  write("samples.csv", to_csv(rows))], who="ind-platform")
        self.assertEqual(self.samples(out), (3, 1, 1, 1), out)
        self.assertRegex(out.splitlines()[1], r"^line 4: column 4 \(period_start\): \"yesterday\" is not a date.*"
                                              r"2024/1/5")
        out, _ = self.run_ctl(1, ["--json", "push", "--restart", "--catalogue", "industrial",
                                  path], who="ind-platform")
        results = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([r.get("line") for r in results[:-1]], [3, 4])
        self.assertEqual(results[-1]["summary"],
                         {"sent": 4, "accepted": 0, "unchanged": 2, "rejected": 2, "unlisted": 0,
                          "skipped": 0})
        _, err = self.run_ctl(1, ["push", "--restart", "--catalogue", "industrial", path],
                              who="market")
        self.assertIn("PERMISSION_DENIED: unit market (UNIT_KIND_DEPARTMENT) lacks capability "
                      "push.industrial", err)

        out, _ = self.run_ctl(0, ["series", "--tier", "government", ENTERPRISE, "ENERGY_USE",
                                  "electricity_kwh"])
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^PERIOD START +SECONDS +VALUE +PLATFORM$")
        self.assertEqual([l.split()[2] for l in lines[1:]], ["100.5", "20", "7.25"])
        out, _ = self.run_ctl(0, ["--json", "series", "--tier", "government", "--monthly",
                                  ENTERPRISE, "ENERGY_USE", "electricity_kwh"])
        (page,) = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([(p["month"], p["value"], p["samples"]) for p in page["points"]],
                         [(m1.strftime("%Y-%m"), 120.5, 2), (m2.strftime("%Y-%m"), 7.25, 1)])
        out, _ = self.run_ctl(0, ["series", "--tier", "government", "--from",
                                  "%sT00:00:00+08:00" % m2.isoformat(), ENTERPRISE, "ENERGY_USE",
                                  "electricity_kwh"])
        self.assertEqual(len(out.splitlines()), 2, out)
        _, err = self.run_ctl(1, ["series", "--tier", "open", ENTERPRISE, "ENERGY_USE",
                                  "electricity_kwh"], who="bank-a")
        self.assertIn("PERMISSION_DENIED", err)

        out, _ = self.run_ctl(0, ["optin", "revoke", ENTERPRISE], who="ind-platform")
        self.assertRegex(out, r"(?m)^status +revoked$")
        out, _ = self.run_ctl(0, ["optin", "list", "ind-platform"])
        self.assertRegex(out.splitlines()[1], r"^ind-platform +%s +revoked " % ENTERPRISE)
        out, _ = self.run_ctl(1, ["push", "--catalogue", "industrial",
                                  jsonl("after.jsonl", [self.sample(ENTERPRISE, t(m2, 5), 3)])],
                              who="ind-platform")
        self.assertEqual(self.samples(out), (1, 0, 0, 1), out)


    def test_2_past_100_rejections_in_a_stream_the_report_counts_what_the_node_did_not_list(self):
        bad = [self.sample(ENTERPRISE, "%sT%02d:00:00Z" % (recent_day(50).isoformat(), i % 24), i,
                           metric="no_such_metric_%d" % i) for i in range(150)]
        out, _ = self.run_ctl(1, ["push", "--catalogue", "industrial", "-"], who="ind-platform",
                              stdin_text="".join(dumps(b) + "\n" for b in bad))
        self.assertEqual(self.samples(out), (150, 0, 0, 150), out)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1 + 100 + 1, out)
        self.assertRegex(lines[1], r"^line 1: metric: .*no_such_metric_0")
        self.assertEqual(lines[-1], "and 50 more rejected samples: the node lists the first 100 "
                                    "of each stream of 5000")


class T8Usage(CatalogueCase):

    def test_1_usage_errors_exit_2(self):
        f = write("usage.jsonl", "")
        for args in (["push", "--catalogue", "bogus", f],
                     ["push", "--catalogue", "finance", f],
                     ["push", "--catalogue", "public", "--catalogue", "voluntary", f],
                     ["push", "--format", "xml", f],
                     ["push", "--catalogue", "industrial", "--batch", "10", f],
                     ["push", "--restart", "-"],
                     ["push", "--section", "X", f],
                     ["query", "--tier", "open", "--catalogue", "nope", "SUBJECT_KIND_LEGAL_PERSON", ACME],
                     ["query", "--tier", "open", "--format", "csv", "SUBJECT_KIND_LEGAL_PERSON", ACME],
                     ["series", ACME, "ENERGY_USE", "electricity_kwh"],
                     ["series", "--tier", "government", ACME, "ENERGY_USE"],
                     ["series", "--tier", "government", "--from", "soon", ACME, "ENERGY_USE",
                      "electricity_kwh"],
                     ["mandate"], ["mandate", "bogus"], ["mandate", "register", "a", "b"],
                     ["mandate", "list", "--reason", "x"],
                     ["optin", "register", ENTERPRISE], ["optin", "list", "a", "b"],
                     ["verify", "x"], ["pending", "extra"], ["pending", "--tier", "open"]):
            with self.subTest(args=args):
                _, err = self.run_ctl(2, args)
                self.assertIn("usage: creditctl", err)

    def test_2_help_documents_the_new_commands(self):
        rc, out, _ = harness.run_creditctl(["--help"])
        self.assertEqual(rc, 0)
        for usage in ("push [--catalogue NAME] [--format jsonl|csv] [--encoding ENC] [--map FILE]",
                      "[--amount-unit yuan|fen] [--rejects FILE] [--batch N] [--state FILE]",
                      "[--catalogue NAME ...]", "[--section CODE ...]",
                      "series --tier open|government [--from RFC3339] [--to RFC3339] [--monthly]",
                      "mandate register PLATFORM ASSOCIATION_USCC ASSOCIATION_NAME",
                      "mandate revoke PLATFORM ASSOCIATION_USCC --reason TEXT",
                      "mandate list [PLATFORM]",
                      "optin register ENTERPRISE_USCC CONSENT_DIGEST [PLATFORM]",
                      "optin revoke ENTERPRISE_USCC [PLATFORM]", "optin list [PLATFORM]",
                      "verify RECORD_ID verified|rejected --reason TEXT", "pending"):
            self.assertIn(usage, out)

    def test_3_the_stored_declaration_reads_the_same_through_python(self):
        # What creditctl pushed from CSV is what python3-grpcio reads: not only our printer.
        with harness.channel(S.node.port, "office") as ch:
            resp = S_grpc.GovernmentSharingStub(ch).ListRecords(R.ListRecordsRequest(
                subject=R.SubjectRef(kind=R.SUBJECT_KIND_LEGAL_PERSON, identifier=SU_SUBJECT),
                catalogues=[R.CATALOGUE_SERVICE_UNIT], sections=["GOOD_CONDUCT"], page_size=500),
                timeout=CALL_TIMEOUT)
        by_src = {r.meta.source_record_id: r for r in resp.records}
        self.assertIn("su-e1", by_src, "T1 test_2 stores it")
        self.assertEqual(by_src["su-e1"].declaration.conduct, "line one\nline two, with a comma")
        self.assertEqual(by_src["su-e1"].meta.subject.name, "Edge, \"Quoted\" Co")


if __name__ == "__main__":
    unittest.main()
