"""test_creditctl_portrait.py: the README's lender flow with creditctl, portraits included.

The README's "A lender's flow, end to end" run as written, with the demo units: bank-a files
the consent request of the README's consent.json (its validity window moved to now, so the
test does not age), subj-acme approves it, bank-a fetches the node's key (`portrait key`) and
gets the portrait into a file (`portrait get`), which `portrait verify` checks offline — no
--target, no certificate — and refuses once a byte is changed; subj-acme sees the use and
revokes the grant, after which `portrait get` is refused with exit 1 and the reason. Under
LANG=zh_CN.UTF-8 what get and verify print and the usage errors are in Chinese; English is the
default (the runs that assert English say so in their environment).

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
ZH = harness.ctl_env({"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
EN = harness.ctl_env({"LANG": "C", "LC_ALL": "", "LANGUAGE": ""})  # the default: English
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

    def ctl(self, who, *args, want=0, env=EN):
        return self.assertExit(want, creditctl_as(M.node.port, who, args, env=env), args, who)

    def offline(self, *args, want=0, env=EN):
        return self.assertExit(want, harness.run_creditctl(list(args), env=env), args)

    def approved_readme_grant(self):
        """bank-a's grant of the README's consent.json (its window moved to now), approved by
        subj-acme: its id."""
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
        return gid

    def test_the_readmes_lender_flow_with_a_portrait(self):
        with harness.Stubs(M.node.port, "market") as market:
            res = market.push(harness.penalty_input(
                "ctl-portrait-1", harness.legal_subject(ACME_USCC, name="璧山示例科技有限公司")))
        rid = res.results[0].record_id
        gid = self.approved_readme_grant()

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
        self.assertRegex(err, r"^creditctl: %s: not verified\n"
                              r"creditctl: (DATA_LOSS|INVALID_ARGUMENT): " % re.escape(changed))
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

    def test_portrait_get_and_verify_speak_chinese_under_zh_cn(self):
        # The words in Chinese; the id, template, counts and key id are the node's.
        gid = self.approved_readme_grant()
        key = os.path.join(M.tmp, "zh-signing.pem")
        self.ctl("bank-a", "portrait", "key", key, env=ZH)
        portrait = os.path.join(M.tmp, "zh.portrait")
        out, _ = self.ctl("bank-a", "portrait", "get", "legal_person", ACME_USCC, TEMPLATE, gid,
                          portrait, env=ZH)
        self.assertRegex(out, r"^画像 [0-9a-f]{32}：%s 第 1 版，共 \d+ 项，签名密钥 [0-9a-f]{64}\n"
                         % TEMPLATE)
        self.assertNotIn("items", out)
        out, _ = self.offline("portrait", "verify", portrait, key, env=ZH)
        self.assertEqual(out, "%s：验签通过\n" % portrait)
        changed = os.path.join(M.tmp, "zh-changed.portrait")
        with open(portrait, "rb") as f, open(changed, "wb") as g:
            data = bytearray(f.read())
            data[len(data) // 3] ^= 0x20
            g.write(bytes(data))
        _, err = self.offline("portrait", "verify", changed, key, want=1, env=ZH)
        self.assertTrue(err.startswith("creditctl: %s：验签未通过\n" % changed), err)

    def test_usage_errors_follow_the_locale(self):
        _, err = self.offline("portrait", want=2)
        self.assertIn("creditctl: portrait: expected a subcommand (key, get, verify)", err)
        _, err = self.offline("portrait", want=2, env=ZH)
        self.assertIn("creditctl: portrait：应为 一个子命令（key、get、verify）", err)
        self.assertIn("用法：creditctl", err)
        # The node is never reached: the arguments are refused first.
        flags = ["--target", "127.0.0.1:1", "--ca", "a", "--cert", "b", "--key", "c"]
        _, err = self.offline(*flags, "portrait", "verify", want=2, env=ZH)
        self.assertIn("portrait verify：应为 FILE [KEY_FILE]", err)
        _, err = self.offline(*flags, "portrait", "get", "martian", ACME_USCC, TEMPLATE, "g", "f",
                              want=2, env=ZH)
        self.assertIn("未知的主体类型“martian”", err)
