"""test_creditctl_portrait.py: the README's lender flow with creditctl, portraits included.

The README's "A lender's flow, end to end" run as written, with the demo units: bank-a files
the consent request of the README's consent.json (its validity window moved to now, so the
test does not age), subj-acme approves it, bank-a fetches the node's key (`portrait key`) and
gets the portrait into a file (`portrait get`), which `portrait verify` checks offline — no
--target, no certificate — and refuses once a byte is changed; subj-acme sees the use and
revokes the grant, after which `portrait get` is refused with exit 1 and the reason.

Run (from tests/creditctl/, PYTHONPATH=../interop):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> PYTHONPATH=../interop \
      /usr/bin/python3 -m unittest -v test_creditctl_portrait
"""

import datetime
import json
import os
import re
import time

import harness
from harness import CtlCase, CtlModule, creditctl_as

M = CtlModule("ctl-portrait")
ACME_USCC = "91500227MA5UACME5L"
TEMPLATE = "SMALL_MICRO_BASIC"


def setUpModule():
    M.setup()


def tearDownModule():
    M.teardown()


def readme_consent_json():
    """consent.json as the README's lender flow writes it."""
    with open(os.path.join(harness.SOURCE_DIR, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("### A lender's flow, end to end"):]
    m = re.search(r"cat > consent\.json <<'EOF'\n(.*?)\nEOF\n", section, re.S)
    return json.loads(m.group(1))


class PortraitCommandsTest(CtlCase):

    def ctl(self, who, *args, want=0):
        return self.assertExit(want, creditctl_as(M.node.port, who, args), args, who)

    def offline(self, *args, want=0):
        return self.assertExit(want, harness.run_creditctl(list(args)), args)

    def test_the_readmes_lender_flow_with_a_portrait(self):
        with harness.Stubs(M.node.port, "market") as market:
            res = market.push(harness.penalty_input(
                "ctl-portrait-1", harness.legal_subject(ACME_USCC, name="璧山示例科技有限公司")))
        rid = res.results[0].record_id
        req = readme_consent_json()
        self.assertEqual(req["scope"], {"portrait_template": TEMPLATE})
        today = harness.utc_today()
        req["data_to"] = harness.json_date(today + datetime.timedelta(days=1))
        req["valid_until"] = datetime.datetime.fromtimestamp(
            int(time.time()) + 30 * 86400, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        path = os.path.join(M.tmp, "consent.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(req, f, ensure_ascii=False)
        out, _ = self.ctl("bank-a", "--json", "consent", "request", path)
        gid = json.loads(out)["grantId"]
        self.ctl("subj-acme", "consent", "approve", gid)

        key = os.path.join(M.tmp, "node-signing.pem")
        out, _ = self.ctl("bank-a", "portrait", "key", key)
        self.assertRegex(out, r"^ECDSA_P256_SHA256 [0-9a-f]{64}\n$")
        portrait = os.path.join(M.tmp, "acme.portrait")
        out, _ = self.ctl("bank-a", "portrait", "get", "legal_person", ACME_USCC, TEMPLATE, gid,
                          portrait)
        self.assertRegex(out, r"^portrait [0-9a-f]{32}: %s v1, \d+ items, signed by key "
                              r"[0-9a-f]{64}\n" % TEMPLATE)
        self.assertRegex(out, r"\n  penalties +1\n")
        out, _ = self.ctl("bank-a", "--json", "portrait", "get", "legal_person", ACME_USCC,
                          TEMPLATE, gid, portrait)
        items = {i["code"]: i for i in json.loads(out)["items"]}
        self.assertEqual(items["penalties"]["entries"][0]["provenance"]["recordId"], rid)

        out, _ = self.offline("portrait", "verify", portrait, key)
        self.assertEqual(out, "%s: the signature verifies\n" % portrait)
        with open(portrait, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 3] ^= 0x20
        changed = os.path.join(M.tmp, "changed.portrait")
        with open(changed, "wb") as f:
            f.write(bytes(data))
        _, err = self.offline("portrait", "verify", changed, key, want=1)
        self.assertRegex(err, "DATA_LOSS|INVALID_ARGUMENT")
        _, err = self.offline("portrait", "verify", portrait, want=2)  # no key, no node
        self.assertIn("--target", err)

        out, _ = self.ctl("subj-acme", "consent", "uses", gid)
        self.assertEqual(len(out.splitlines()), 3, out)  # the header and the two portraits
        self.assertIn("credit.v1.CreditFinance/GetPortrait", out)
        self.ctl("subj-acme", "consent", "revoke", gid, "--reason", "loan declined")
        _, err = self.ctl("bank-a", "portrait", "get", "legal_person", ACME_USCC, TEMPLATE, gid,
                          os.path.join(M.tmp, "again.portrait"), want=1)
        self.assertIn("PERMISSION_DENIED", err)
        self.assertIn("revoked", err)

    def test_usage_errors(self):
        self.ctl("bank-a", "portrait", want=2)
        self.ctl("bank-a", "portrait", "get", "legal_person", ACME_USCC, want=2)
        self.ctl("bank-a", "portrait", "frame", "x", want=2)
        _, err = self.ctl("bank-a", "portrait", "get", "martian", ACME_USCC, TEMPLATE, "g", "f",
                          want=2)
        self.assertIn("martian", err)
        _, err = self.offline("portrait", "verify", os.path.join(M.tmp, "none"), "none.pem",
                              want=1)
        self.assertIn("none", err)
