"""test_creditctl_consent.py: the lender's flow with creditctl and the demo units.

bank-a files a consent request (`creditctl consent request FILE`), subj-acme approves it with its
own certificate (`consent approve`), bank-a reads under it (`query --grant`, `get --grant`),
subj-acme sees every use (`consent uses`) and revokes (`consent revoke`), after which a read is
refused with exit 1 and the reason. The portal relays an approval only with a document digest.
A grant's field names, the tables' headings and the usage errors come out in Chinese under
LANG=zh_CN.UTF-8 and in English by default; the node's values are the same in both.

Run (from tests/creditctl/, PYTHONPATH=../interop):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> PYTHONPATH=../interop \
      /usr/bin/python3 -m unittest -v test_creditctl_consent
"""

import datetime
import json
import time

import harness
from harness import CtlCase, CtlModule, creditctl_as, legal_subject, pdate, tstamp

from credit.v1 import record_pb2 as R

M = CtlModule("ctl-consent")
ZH = harness.ctl_env({"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
EN = harness.ctl_env({"LANG": "C", "LC_ALL": "", "LANGUAGE": ""})  # the default: English
ACME_USCC = "91500227MA5UACME5L"
WATER_USCC = "91500227MA5U7A9J1J"
DIGEST = "ab" * 32


def setUpModule():
    M.setup()


def tearDownModule():
    M.teardown()


def request_json(uscc=ACME_USCC):
    today = harness.utc_today()
    until = int(time.time()) + 30 * 86400
    return json.dumps({
        "subject": {"kind": "SUBJECT_KIND_LEGAL_PERSON", "identifier": uscc},
        "purposeCode": "LOAN_APPRAISAL",
        "purposeText": "小微企业信用贷款审批",
        "scope": {"categories": ["CATEGORY_UTILITY_PAYMENT"]},
        "dataFrom": harness.json_date(today - datetime.timedelta(days=365)),
        "dataTo": harness.json_date(today),
        "validUntil": datetime.datetime.fromtimestamp(until, datetime.timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%SZ"),
        "useLimit": 5,
    })


class ConsentCommandsTest(CtlCase):

    def ctl(self, who, *args, want=0, stdin_text=None, env=EN):
        return self.assertExit(want, creditctl_as(M.node.port, who, args, env=env,
                                                  stdin_text=stdin_text), args, who)

    def test_the_lenders_flow_end_to_end(self):
        day = harness.recent_day(20)
        with harness.Stubs(M.node.port, "water") as water:
            res = water.push(R.PublicRecordInput(
                source_record_id="ctl-consent-1", category=R.CATEGORY_UTILITY_PAYMENT,
                subject=legal_subject(ACME_USCC), occurred_at=tstamp(day),
                action=R.Action(title="水费", amount_fen=98765, decision_date=pdate(day),
                                status="欠费", authority="区自来水公司",
                                authority_uscc=WATER_USCC, source_unit_uscc=WATER_USCC)))
        rid = res.results[0].record_id
        out, _ = self.ctl("bank-a", "--json", "consent", "request", "-",
                          stdin_text=request_json())
        grant = json.loads(out)
        gid = grant["grantId"]
        self.assertEqual(grant["status"], "GRANT_STATUS_REQUESTED")
        out, _ = self.ctl("subj-acme", "consent", "approve", gid, DIGEST)
        self.assertIn("ACTIVE", out)
        self.assertIn("REQUESTED by bank-a", out)
        self.assertIn("ACTIVE by subj-acme", out)
        out, _ = self.ctl("bank-a", "--json", "query", "--grant", gid, "LEGAL_PERSON", ACME_USCC)
        recs = {r["meta"]["recordId"]: r for r in map(json.loads, out.splitlines())}
        self.assertEqual(recs[rid]["action"]["amountFen"], "98765")
        out, _ = self.ctl("bank-a", "--json", "get", "--grant", gid, rid)
        self.assertEqual(json.loads(out)["record"]["action"]["amountFen"], "98765")
        # The open tier never shows the amount.
        out, _ = self.ctl("bank-a", "get", "--tier", "open", rid)
        self.assertNotIn("amountFen", out)
        out, _ = self.ctl("subj-acme", "consent", "uses", gid)
        lines = out.splitlines()
        self.assertEqual(len(lines), 3, out)  # the header and two uses
        self.assertIn("credit.v1.AuthorizedQuery/ListRecords", lines[1])
        self.assertIn("credit.v1.AuthorizedQuery/GetRecord", lines[2])
        out, _ = self.ctl("bank-a", "consent", "list")
        self.assertIn(gid, out)
        self.ctl("subj-acme", "consent", "revoke", gid, "--reason", "贷款已结清")
        _, err = self.ctl("bank-a", "get", "--grant", gid, rid, want=1)
        self.assertIn("PERMISSION_DENIED", err)
        self.assertIn("revoked", err)
        out, _ = self.ctl("bank-a", "consent", "show", gid)
        self.assertIn("REVOKED by subj-acme: 贷款已结清", out)
        self.assertIn("2 of 5", out)

    def test_the_portal_needs_the_documents_digest(self):
        uscc = harness.make_uscc("91500227MA%06d" % 700001)
        out, _ = self.ctl("bank-a", "--json", "consent", "request", "-",
                          stdin_text=request_json(uscc))
        gid = json.loads(out)["grantId"]
        _, err = self.ctl("portal", "consent", "approve", gid, want=1)
        self.assertIn("INVALID_ARGUMENT", err)
        self.assertIn("document_digest", err)
        out, _ = self.ctl("portal", "consent", "approve", gid, DIGEST)
        approved = [l for l in out.splitlines() if l.startswith("approved by")]
        self.assertEqual([l.split()[-1] for l in approved], ["portal"], out)
        out, _ = self.ctl("portal", "consent", "list", "LEGAL_PERSON", uscc)
        self.assertIn(gid, out)

    def test_consent_output_follows_the_locale_and_english_is_the_default(self):
        # The names, headings and words in the reader's language; the values (ids, statuses,
        # units, codes, the reason given) are the node's in both.
        uscc = harness.make_uscc("91500227MA%06d" % 700002)
        out, _ = self.ctl("bank-a", "--json", "consent", "request", "-",
                          stdin_text=request_json(uscc))
        gid = json.loads(out)["grantId"]
        self.ctl("portal", "consent", "reject", gid, "--reason", "材料不全")
        for env, lines, foreign in (
                (ZH, ["授权编号 +" + gid, "被授权方 +bank-a", "授权范围 +类别 UTILITY_PAYMENT",
                      "使用次数 +已用 0 次（上限 5 次）", r"  \S+ REQUESTED，操作方 bank-a",
                      r"  \S+ REJECTED，操作方 portal：材料不全"], "grantee"),
                (EN, ["grant +" + gid, "grantee +bank-a", "scope +categories UTILITY_PAYMENT",
                      "uses +0 of 5", r"  \S+ REQUESTED by bank-a",
                      r"  \S+ REJECTED by portal: 材料不全"], "授权")):
            out, _ = self.ctl("bank-a", "consent", "show", gid, env=env)
            for line in lines:
                self.assertRegex(out, "(?m)^%s$" % line)
            self.assertNotIn(foreign, out)
        out, _ = self.ctl("bank-a", "consent", "uses", gid, env=ZH)
        self.assertEqual(out.split(), ["序号", "时间", "使用方", "调用方法", "读取内容"])
        out, _ = self.ctl("bank-a", "consent", "uses", gid)
        self.assertEqual(out.split(), ["USE", "AT", "USED", "BY", "METHOD", "READ"])
        _, err = self.ctl("bank-a", "consent", "list", "LEGAL_PERSON", want=2, env=ZH)
        self.assertIn("creditctl: consent list：应为 不带参数，或 SUBJECT_KIND IDENTIFIER", err)
        _, err = self.ctl("bank-a", "consent", "list", "LEGAL_PERSON", want=2)
        self.assertIn("creditctl: consent list: expected no arguments, or SUBJECT_KIND "
                      "IDENTIFIER", err)

    def test_usage_errors(self):
        _, err = self.ctl("bank-a", "query", "--grant", "x" * 32, "--tier", "open",
                          "LEGAL_PERSON", ACME_USCC, want=2)
        self.assertIn("--grant", err)
        self.ctl("bank-a", "consent", "approve", want=2)
        self.ctl("bank-a", "consent", "list", "LEGAL_PERSON", want=2)
