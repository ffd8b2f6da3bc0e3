"""test_creditctl.py: the creditctl command line against the real creditd.

One node for the module (harness.Node, fresh PKI). Records are pushed with python3-grpcio as
the market bureau (the pattern of test_public_records.py); everything else goes through the
creditctl binary, run with subprocess: its exit status (0 ok, 1 an error from the node, 2 a
usage error), its tables for people and its JSON for scripts, which Python's json module must
accept.

The binary is derived from CREDITD: <build>/server/creditd -> <build>/tools/creditctl. Targets
are 127.0.0.1:<port> (the node's certificate has that IP SAN): with a host name gRPC resolves
through c-ares, which leaves a 10-byte allocation that AddressSanitizer reports at exit.

Run (from tests/creditctl/; the harness is tests/interop/harness.py):
  PYTHONPATH=../interop CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_creditctl
"""

import json
import os
import re
import unittest

import harness
from harness import CALL_TIMEOUT, RECORD_ID_RE, CtlCase
from harness import MARKET_USCC, REP_ID  # market's own; a legal representative

from credit.v1 import record_pb2 as R
from credit.v1 import record_pb2_grpc as R_grpc

RFC3339_UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3,9})?Z$")




make_uscc = harness.make_uscc
assert make_uscc("11500227MB160728") == MARKET_USCC

SUBJECT_USCC = make_uscc("91500227MA%06d" % 731001)


def penalty_input(src, uscc):
    """A valid SEVERITY_GENERAL penalty decided 30 days ago, as the market bureau pushes it."""
    return harness.penalty_input(
        src, harness.legal_subject(uscc, name="璧山测试有限公司 \"Quote\" Co"),
        facts="在经营场所发布虚假广告\n\t(line two)")


class _State(harness.CtlModule):
    record_id = None


S = _State("creditctl")
setUpModule = S.setup
tearDownModule = S.teardown


def flags(who="tax"):
    return harness.ctl_flags(S.node.port, who)


def ctl(args, who="tax", env=None, use_flags=True):
    """Runs creditctl as `who` (flags, unless use_flags is off) with `env` added."""
    return harness.run_creditctl((flags(who) if use_flags else []) + list(args),
                                 env=harness.ctl_env(env))


class CreditctlTest(CtlCase):

    @classmethod
    def setUpClass(cls):
        if S.record_id is None:
            with harness.channel(S.node.port, "market") as ch:
                stub = R_grpc.PublicCreditCollectionStub(ch)
                resp = stub.PushBatch(R.PushBatchRequest(
                    records=[penalty_input("ctl-pen-1", SUBJECT_USCC)]), timeout=CALL_TIMEOUT)
            res = resp.results[0]
            assert res.outcome == R.PUSH_OUTCOME_CREATED, "push failed: %s" % res
            S.record_id = res.record_id

    def run_ok(self, args, who="tax", **kw):
        return self.assertExit(0, ctl(args, who, **kw), args)

    # --- health, whoami, configuration ---------------------------------------------------------

    def test_health_prints_serving_and_exits_0(self):
        out, _ = self.run_ok(["health"])
        self.assertEqual(out, "SERVING\n")
        out, _ = self.run_ok(["--json", "health"])
        self.assertEqual(json.loads(out), {"service": "", "status": "SERVING"})

    def test_health_of_an_unknown_service_exits_1_with_not_found(self):
        _, err = self.assertExit(1, ctl(["health", "no.such.Service"]), ["health"])
        self.assertIn("creditctl: NOT_FOUND:", err)

    def test_whoami_as_tax_prints_a_table_and_its_json(self):
        out, _ = self.run_ok(["whoami"])
        self.assertIn("tax", out)
        self.assertIn("UNIT_KIND_DEPARTMENT", out)
        self.assertRegex(out, r"(?m)^code +tax$")
        out, _ = self.run_ok(["--json", "whoami"])
        me = json.loads(out)
        self.assertEqual(me["unit"]["code"], "tax")
        self.assertEqual(me["unit"]["kind"], "UNIT_KIND_DEPARTMENT")
        self.assertEqual(me["identity"], "urn:credit:unit:tax")
        self.assertIn("certSubject", me)
        self.assertRegex(me["unit"]["registeredAt"], RFC3339_UTC_RE)

    def test_environment_variables_configure_the_client_and_flags_win(self):
        crt, key = harness.cert_paths("tax")
        env = {"CREDIT_TARGET": "127.0.0.1:%d" % S.node.port,
               "CREDIT_CA": os.path.join(harness.tls_dir(), "ca.crt"),
               "CREDIT_CERT": crt, "CREDIT_KEY": key}
        out, _ = self.run_ok(["whoami", "--json"], env=env, use_flags=False)
        self.assertEqual(json.loads(out)["unit"]["code"], "tax")
        mcrt, mkey = harness.cert_paths("market")
        out, _ = self.run_ok(["--cert", mcrt, "--key", mkey, "whoami", "--json"], env=env,
                             use_flags=False)
        self.assertEqual(json.loads(out)["unit"]["code"], "market")

    def test_missing_cert_exits_2_naming_it(self):
        f = flags("tax")
        i = f.index("--cert")
        args = f[:i] + f[i + 2:] + ["whoami"]
        _, err = self.assertExit(2, ctl(args, use_flags=False), args)
        first = err.splitlines()[0]
        self.assertEqual(first, "creditctl: missing --cert (or CREDIT_CERT)")
        self.assertNotIn("missing --key", err)

    def test_unknown_unit_certificate_is_unauthenticated(self):
        _, err = self.assertExit(1, ctl(["whoami"], who="bad/unknown"), ["whoami"])
        self.assertIn("creditctl: UNAUTHENTICATED:", err)

    def test_usage_errors_exit_2_and_help_exits_0(self):
        out, _ = self.assertExit(0, ctl(["--help"], use_flags=False), ["--help"])
        self.assertIn("usage: creditctl", out)
        for args in (["bogus"], [], ["query", "SUBJECT_KIND_LEGAL_PERSON", SUBJECT_USCC],
                     ["query", "--tier", "secret", "SUBJECT_KIND_LEGAL_PERSON", SUBJECT_USCC],
                     ["query", "--tier", "open", "ROBOT", SUBJECT_USCC],
                     ["query", "--tier", "open", "--category", "NOPE", "SUBJECT_KIND_LEGAL_PERSON", "x"],
                     ["whoami", "extra"], ["units", "--tier", "open"], ["--timeout", "x", "health"],
                     ["--no-such-flag", "health"]):
            _, err = self.assertExit(2, ctl(args), args)
            self.assertIn("usage: creditctl", err)

    # --- units ----------------------------------------------------------------------------------

    def test_units_json_lists_the_12_demo_units(self):
        out, _ = self.run_ok(["units", "--json"])
        units = json.loads(out)
        self.assertIsInstance(units, list)
        demo = harness.demo_units()
        self.assertEqual(len(demo), 12)
        self.assertEqual(sorted(u["code"] for u in units), sorted(d[0] for d in demo))
        kinds = {d[0]: d[1] for d in demo}
        for u in units:
            self.assertEqual(u["kind"], kinds[u["code"]])
            self.assertEqual(u["status"], "UNIT_STATUS_ACTIVE")

    def test_units_table_and_kind_filter(self):
        out, _ = self.run_ok(["units"])
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^CODE +KIND +STATUS +NAME$")
        self.assertEqual(len(lines), 13)
        out, _ = self.run_ok(["units", "--kind", "finance", "--json"])
        self.assertEqual([u["code"] for u in json.loads(out)], ["bank-a"])

    # --- records --------------------------------------------------------------------------------

    def test_open_query_prints_json_lines_without_government_fields(self):
        args = ["query", "--tier", "open", "SUBJECT_KIND_LEGAL_PERSON", SUBJECT_USCC, "--json"]
        out, _ = self.run_ok(args)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        rec = json.loads(lines[0])
        self.assertEqual(rec["meta"]["recordId"], S.record_id)
        self.assertEqual(rec["meta"]["category"], "CATEGORY_PENALTY")
        self.assertEqual(rec["meta"]["sourceUnit"], "market")
        self.assertEqual(rec["penalty"]["fineAmountFen"], "500000")  # int64 as a string
        self.assertRegex(rec["meta"]["occurredAt"], RFC3339_UTC_RE)
        self.assertNotIn("licence", rec)  # only the set member of the oneof
        self.assertNotIn("legalRepresentativeIdNumber", lines[0])
        self.assertNotIn("legalRepresentativeIdNumber", rec["meta"].get("subject", {}))
        # Escaped text comes back intact.
        self.assertEqual(rec["penalty"]["violationFacts"], "在经营场所发布虚假广告\n\t(line two)")
        # Category filter: none of this subject's records is a licence.
        out, _ = self.run_ok(["query", "--tier", "open", "--category", "LICENSING",
                              "--category", "CATEGORY_REWARD", "--json", "SUBJECT_KIND_LEGAL_PERSON",
                              SUBJECT_USCC])
        self.assertEqual(out, "")

    def test_government_query_as_market_shows_the_record(self):
        out, _ = self.run_ok(["query", "--tier", "government", "--category", "PENALTY",
                              "SUBJECT_KIND_LEGAL_PERSON", SUBJECT_USCC], who="market")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^RECORD ID +VERSION +CATEGORY +SOURCE +STATUS +OCCURRED$")
        self.assertEqual(len(lines), 2, out)
        self.assertRegex(lines[1], r"^%s +1 +PENALTY +market +- +\d{4}-" % S.record_id)
        out, _ = self.run_ok(["query", "--tier", "government", "--json", "SUBJECT_KIND_LEGAL_PERSON",
                              SUBJECT_USCC], who="market")
        rec = json.loads(out)
        self.assertEqual(rec["meta"]["subject"]["legalRepresentativeIdNumber"], REP_ID)

    def test_government_query_as_bank_is_permission_denied(self):
        args = ["query", "--tier", "government", "SUBJECT_KIND_LEGAL_PERSON", SUBJECT_USCC]
        _, err = self.assertExit(1, ctl(args, who="bank-a"), args)
        self.assertIn("creditctl: PERMISSION_DENIED:", err)

    def test_get_government_prints_the_record_at_version_1(self):
        self.assertRegex(S.record_id, RECORD_ID_RE)
        out, _ = self.run_ok(["get", "--tier", "government", S.record_id], who="market")
        resp = json.loads(out)
        self.assertEqual(resp["record"]["meta"]["version"], 1)
        self.assertEqual(resp["record"]["meta"]["recordId"], S.record_id)
        self.assertNotIn("history", resp)  # no earlier versions: an empty repeated field
        out, _ = self.run_ok(["get", "--tier", "open", S.record_id])
        self.assertNotIn("legalRepresentativeIdNumber", out)
        self.assertEqual(json.loads(out)["record"]["meta"]["version"], 1)

    def test_get_of_a_missing_record_exits_1_with_not_found(self):
        args = ["get", "--tier", "open", "0" * 32]
        _, err = self.assertExit(1, ctl(args), args)
        self.assertIn("creditctl: NOT_FOUND:", err)


if __name__ == "__main__":
    unittest.main()
