"""test_portraits.py: credit-finance portraits (credit.v1.CreditFinance) against the real creditd.

A lender (bank-a, UNIT_KIND_FINANCE) asks subj-acme for consent to a portrait template, the
subject approves it, and the lender gets the portrait: its items as the template says (penalties
by severity with those in publicity listed, monthly sales totals), each with its provenance,
when it was made and under which template version, signed with the node's key. The signature
is checked offline with `creditctl portrait verify` against the key the node publishes, and a
changed byte fails. The refusals, each with its status and no use of the grant counted: no
grant, another grantee's grant (bank-b, registered here), a grant of another subject, out of
scope (another template, or a grant of catalogues), the use limit reached, a replay after
revocation, an unknown template, a template not for the subject's kind, a unit kind without
portrait.read. Templates change through
CatalogueGovernance (CHANGE_KIND_SET_TEMPLATE), filed only by holders of portrait.template.

One node for the module; every test uses grants of its own.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_portraits
"""

import datetime
import hashlib
import os
import re
import stat
import time

import grpc
from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, InteropCase, Node, R, legal_ref, pdate

from credit.v1 import authorization_pb2 as A
from credit.v1 import authorization_pb2_grpc as A_grpc
from credit.v1 import catalogue_pb2 as C
from credit.v1 import catalogue_pb2_grpc as C_grpc
from credit.v1 import finance_pb2 as F
from credit.v1 import finance_pb2_grpc as F_grpc
from credit.v1 import industrial_pb2 as I
from credit.v1 import industrial_pb2_grpc as I_grpc

SC = grpc.StatusCode

ACME_USCC = "91500227MA5UACME5L"  # subj-acme's own (certs/demo-units.tsv)
TEMPLATE = "SMALL_MICRO_BASIC"

_fresh = harness.Fresh(uscc_base=610000)

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def month_start(months_ago):
    """Unix time of 00:00 China time on the first day of the month `months_ago` before this one
    (China time), plus a day, so that a sample there is inside that month."""
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    y, m = now.year, now.month - months_ago
    while m < 1:
        y, m = y - 1, m + 12
    first = datetime.datetime(y, m, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    return int(first.timestamp()) + 86400, "%04d-%02d" % (y, m)


def change_approved(office, req):
    """Files the change request `req` with the office's CatalogueGovernance stub, passes its
    review and approves it; returns the decided ChangeRequest."""
    cr = office.ProposeChange(req, timeout=CALL_TIMEOUT)
    office.ReviewChange(C.ReviewChangeRequest(id=cr.id, passed=True, reasons="合规"),
                        timeout=CALL_TIMEOUT)
    return office.DecideChange(C.DecideChangeRequest(id=cr.id, approve=True,
                                                     reasons="联席会议通过"),
                               timeout=CALL_TIMEOUT)


class Party:
    """One unit's stubs over its own channel."""

    def __init__(self, port, who):
        self.ch = harness.channel(port, who)
        self.auth = A_grpc.AuthorizationStub(self.ch)
        self.fin = F_grpc.CreditFinanceStub(self.ch)
        self.gov = C_grpc.CatalogueGovernanceStub(self.ch)
        self.ind = I_grpc.IndustrialDataCollectionStub(self.ch)
        self.collect = harness.R_grpc.PublicCreditCollectionStub(self.ch)

    def close(self):
        self.ch.close()


class PortraitCase(InteropCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(name="portraits")
        cls.tmp = harness.new_dir("portraits")
        cls.parties = {}
        with harness.channel(cls.node.port, "office") as ch:
            harness.registry(ch).RegisterUnit(harness.unit_pb2.RegisterUnitRequest(
                code="bank-b", name="乙银行 Bank B", kind=harness.unit_pb2.UNIT_KIND_FINANCE),
                timeout=CALL_TIMEOUT)
        harness.issue_cert("bank-b", "urn:credit:unit:bank-b")
        cls.seed_acme()

    @classmethod
    def tearDownClass(cls):
        for p in cls.parties.values():
            p.close()
        cls.node.stop()

    @classmethod
    def party(cls, who):
        if who not in cls.parties:
            cls.parties[who] = Party(cls.node.port, who)
        return cls.parties[who]

    @classmethod
    def seed_acme(cls):
        """subj-acme's data: three penalties (one past its publicity) and sales samples over
        the last three months."""
        market = cls.party("market")
        subject = harness.legal_subject(ACME_USCC, name="璧山示例科技有限公司 Acme Technology Ltd")
        old = datetime.date(2019, 3, 1)
        recs = [harness.penalty_input("acme-pen-1", subject, severity=R.SEVERITY_SERIOUS),
                harness.penalty_input("acme-pen-2", subject, severity=R.SEVERITY_GENERAL),
                harness.penalty_input("acme-pen-old", subject, severity=R.SEVERITY_GENERAL,
                                      decision=old)]
        resp = market.collect.PushBatch(R.PushBatchRequest(records=recs), timeout=CALL_TIMEOUT)
        assert resp.accepted == 3, resp
        cls.penalty_ids = {r.record_id for r in resp.results}
        ind = cls.party("ind-platform")
        ind.ind.RegisterOptIn(I.RegisterOptInRequest(enterprise_uscc=ACME_USCC,
                                                     consent_digest=digest("acme-optin")),
                              timeout=CALL_TIMEOUT)
        samples, cls.months = [], {}
        for ago in (2, 1, 0):
            t, name = month_start(ago)
            for day in range(2):
                s = I.Sample(enterprise_uscc=ACME_USCC, section="SALES",
                             metric="sales_amount_fen", period_seconds=86400,
                             value=1000.0 * (ago + 1))
                s.period_start.CopyFrom(timestamp_pb2.Timestamp(seconds=t + day * 86400))
                samples.append(s)
            cls.months[name] = 2000.0 * (ago + 1)
        summary = ind.ind.PushSamples(iter(samples), timeout=CALL_TIMEOUT)
        assert summary.accepted == len(samples), summary

    # --- Grants ----------------------------------------------------------------------------

    def request(self, scope, uscc=ACME_USCC, use_limit=10, who="bank-a"):
        now = int(time.time())
        req = A.RequestConsentRequest(
            subject=legal_ref(uscc), purpose_code="LOAN_APPRAISAL",
            purpose_text="小微企业流动资金贷款审批 working-capital loan appraisal", scope=scope,
            data_from=R.Date(year=2000, month=1, day=1),
            data_to=pdate(harness.utc_today() + datetime.timedelta(days=1)),
            use_limit=use_limit)
        req.valid_until.CopyFrom(timestamp_pb2.Timestamp(seconds=now + 30 * 86400))
        return self.party(who).auth.RequestConsent(req, timeout=CALL_TIMEOUT)

    def grant(self, template=TEMPLATE, uscc=ACME_USCC, use_limit=10, approver="subj-acme"):
        g = self.request(A.GrantScope(portrait_template=template), uscc, use_limit)
        return self.party(approver).auth.ApproveConsent(
            A.ApproveConsentRequest(grant_id=g.grant_id,
                                    document_digest=digest("doc-" + g.grant_id)),
            timeout=CALL_TIMEOUT)

    def uses(self, grant_id):
        return list(self.party("subj-acme").auth.ListUses(
            A.ListUsesRequest(grant_id=grant_id), timeout=CALL_TIMEOUT).uses)

    def portrait(self, grant_id, template=TEMPLATE, uscc=ACME_USCC, who="bank-a", raw=False,
                 timeout=CALL_TIMEOUT):
        req = F.GetPortraitRequest(subject=legal_ref(uscc), template=template, grant_id=grant_id)
        if raw:  # the bytes as sent, for the signature
            call = self.party(who).ch.unary_unary("/credit.v1.CreditFinance/GetPortrait",
                                                  request_serializer=lambda m: m.SerializeToString(),
                                                  response_deserializer=lambda b: b)
            return call(req, timeout=timeout)
        return self.party(who).fin.GetPortrait(req, timeout=timeout)

    def ctl(self, args, who="bank-a"):
        return harness.creditctl_as(self.node.port, who, args)

    # --- The tests -------------------------------------------------------------------------

    def test_a_lender_gets_a_signed_portrait_that_verifies_offline(self):
        g = self.grant()
        before = time.time()
        raw = self.portrait(g.grant_id, raw=True)
        p = F.Portrait.FromString(raw)
        self.assertRegex(p.portrait_id, r"^[0-9a-f]{32}$")
        self.assertEqual((p.subject.kind, p.subject.identifier),
                         (R.SUBJECT_KIND_LEGAL_PERSON, ACME_USCC))
        self.assertEqual(p.subject_name, "璧山示例科技有限公司 Acme Technology Ltd")
        self.assertEqual((p.template, p.template_version, p.grant_id, p.grantee),
                         (TEMPLATE, 1, g.grant_id, "bank-a"))
        self.assertLessEqual(abs(p.made_at.seconds - before), 60)
        items = {i.code: i for i in p.items}
        pen = items["penalties"]
        self.assertEqual(pen.aggregate, C.AGGREGATE_BY_SEVERITY)
        self.assertEqual(pen.count, 3)
        sev = {s.severity: (s.count, s.in_publicity) for s in pen.by_severity}
        self.assertEqual(sev[R.SEVERITY_SERIOUS], (1, 1))
        self.assertEqual(sev[R.SEVERITY_GENERAL], (2, 1))  # the 2019 one is past its publicity
        self.assertEqual(len(pen.entries), 2)
        for e in pen.entries:
            self.assertIn(e.provenance.record_id, self.penalty_ids)
            self.assertEqual((e.provenance.source_unit, e.provenance.record_version,
                              e.provenance.catalogue_version), ("market", 1, 1))
            self.assertTrue(e.in_publicity)
            self.assertFalse(e.disputed)
        sales = items["sales_monthly"]
        self.assertEqual(sales.metric, "sales_amount_fen")
        got = {m.month: (m.total, m.samples, m.provenance.source_unit) for m in sales.months}
        self.assertEqual(got, {k: (v, 2, "ind-platform") for k, v in self.months.items()})
        self.assertEqual(items["licences"].count, 0)

        # One use of the grant, seen by the subject: who, which grant, what was read.
        uses = self.uses(g.grant_id)
        self.assertEqual(len(uses), 1)
        self.assertEqual(uses[0].used_by, "bank-a")
        self.assertIn(TEMPLATE, uses[0].read)

        # The published key checks it offline; any changed byte fails.
        key = self.party("subj-acme").fin.GetSigningKey(F.GetSigningKeyRequest(),
                                                        timeout=CALL_TIMEOUT)
        self.assertEqual(key.algorithm, "ECDSA_P256_SHA256")
        self.assertEqual(key.key_id, p.key_id)
        self.assertIn("-----BEGIN PUBLIC KEY-----", key.public_key_pem)
        key_file = os.path.join(self.tmp, "node.pem")
        with open(key_file, "w") as f:
            f.write(key.public_key_pem)
        good = os.path.join(self.tmp, "portrait.bin")
        with open(good, "wb") as f:
            f.write(raw)
        rc, out, err = harness.run_creditctl(["portrait", "verify", good, key_file])
        self.assertEqual(rc, 0, err)
        self.assertIn("the signature verifies", out)
        for at in (5, len(raw) // 2, len(raw) - 80):
            bad = bytearray(raw)
            bad[at] ^= 0x01
            path = os.path.join(self.tmp, "changed-%d.bin" % at)
            with open(path, "wb") as f:
                f.write(bytes(bad))
            rc, _out, err = harness.run_creditctl(["portrait", "verify", path, key_file])
            self.assertEqual(rc, 1, "a changed byte at %d verified" % at)
            self.assertRegex(err, "does not match|no signature|names key|not a credit")

    def test_creditctl_gets_a_portrait_file_that_verifies(self):
        g = self.grant()
        out_file = os.path.join(self.tmp, "ctl-portrait.bin")
        key_file = os.path.join(self.tmp, "ctl-key.pem")
        rc, out, err = self.ctl(["portrait", "key", key_file])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^ECDSA_P256_SHA256 [0-9a-f]{64}\n$")
        rc, out, err = self.ctl(["portrait", "get", "legal_person", ACME_USCC, TEMPLATE,
                                 g.grant_id, out_file])
        self.assertEqual(rc, 0, err)
        self.assertIn("penalties", out)
        rc, out, err = harness.run_creditctl(["portrait", "verify", out_file, key_file])
        self.assertEqual(rc, 0, err)
        # Without a key file: the node's key, fetched first.
        rc, out, err = self.ctl(["portrait", "verify", out_file], who="office")
        self.assertEqual(rc, 0, err)

    def test_a_portrait_needs_a_grant_that_allows_it(self):
        g = self.grant()
        other = _fresh.uscc()
        other_grant = self.grant(uscc=other, approver="portal")
        catalogues = self.request(A.GrantScope(catalogues=[R.CATALOGUE_PUBLIC]))
        catalogues = self.party("subj-acme").auth.ApproveConsent(
            A.ApproveConsentRequest(grant_id=catalogues.grant_id,
                                    document_digest=digest("doc-cat")), timeout=CALL_TIMEOUT)
        cases = [
            (SC.PERMISSION_DENIED, dict(grant_id="0" * 32), "no grant"),
            (SC.PERMISSION_DENIED, dict(grant_id=other_grant.grant_id), "another subject"),
            (SC.PERMISSION_DENIED, dict(grant_id=catalogues.grant_id), "out of scope"),
            (SC.PERMISSION_DENIED, dict(grant_id=g.grant_id, who="office"), "portrait.read"),
            (SC.PERMISSION_DENIED, dict(grant_id=g.grant_id, who="extra/bank-b"), "no grant"),
            (SC.NOT_FOUND, dict(grant_id=g.grant_id, template="NO_SUCH_TEMPLATE"),
             "NO_SUCH_TEMPLATE"),
            (SC.INVALID_ARGUMENT, dict(grant_id=g.grant_id, template="SOLE_PROPRIETOR"),
             "SUBJECT_KIND_LEGAL_PERSON"),
            (SC.INVALID_ARGUMENT, dict(grant_id=g.grant_id, template=""), "template"),
            (SC.INVALID_ARGUMENT, dict(grant_id=g.grant_id, uscc=""), "subject.identifier"),
            (SC.INVALID_ARGUMENT, dict(grant_id="not-a-grant"), "grant_id"),
            (SC.PERMISSION_DENIED, dict(grant_id=g.grant_id, uscc="91500227MA5UACME5X"),
             "another subject"),
        ]
        for code, kw, words in cases:
            with self.subTest(kw=kw):
                self.assertRpcFails(code, self.portrait, contains=(words,), **kw)
        self.assertEqual(self.uses(g.grant_id), [])

    def test_use_limit_and_revocation_end_a_grants_portraits(self):
        g = self.grant(use_limit=1)
        self.portrait(g.grant_id)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.portrait, g.grant_id,
                            contains=("use limit",))
        g2 = self.grant()
        self.portrait(g2.grant_id)
        self.party("subj-acme").auth.RevokeGrant(A.GrantActionRequest(grant_id=g2.grant_id),
                                                 timeout=CALL_TIMEOUT)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.portrait, g2.grant_id,
                            contains=("revoked",))
        self.assertEqual(len(self.uses(g2.grant_id)), 1)

    def test_templates_change_through_governance(self):
        basic = None
        v = self.party("office").gov.GetVersion(C.GetVersionRequest(), timeout=CALL_TIMEOUT)
        for d in v.catalogues:
            for s in d.sections:
                if s.code == TEMPLATE:
                    basic = s
        self.assertIsNotNone(basic)
        tmpl = C.Section()
        tmpl.CopyFrom(basic)
        tmpl.code = "AGRI_LOAN"
        tmpl.name = "涉农贷款画像 agricultural loan portrait"
        del tmpl.portrait.items[3:]
        req = C.ProposeChangeRequest(catalogue=R.CATALOGUE_FINANCE, section="AGRI_LOAN",
                                     kind=C.CHANGE_KIND_SET_TEMPLATE, portrait_template=tmpl,
                                     justification="涉农贷款模型 agreed with the lenders")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.party("market").gov.ProposeChange, req,
                            timeout=CALL_TIMEOUT, contains=("portrait.template",))
        bad = C.ProposeChangeRequest()
        bad.CopyFrom(req)
        bad.portrait_template.portrait.items[0].section = "NO_SUCH"
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.party("office").gov.ProposeChange, bad,
                            timeout=CALL_TIMEOUT, contains=("no section NO_SUCH",))
        done = change_approved(self.party("office").gov, req)
        self.assertEqual(done.state, C.CHANGE_STATE_APPROVED)
        g = self.grant(template="AGRI_LOAN")
        p = self.portrait(g.grant_id, template="AGRI_LOAN")
        self.assertEqual(p.template_version, done.resulting_version)
        self.assertEqual([i.code for i in p.items], [i.code for i in tmpl.portrait.items])

    def test_the_signing_key_file_is_private_and_kept(self):
        path = os.path.join(harness.tls_dir(), "signing.key")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            self.assertIn("PRIVATE KEY", f.read())
        a = self.party("bank-a").fin.GetSigningKey(F.GetSigningKeyRequest(), timeout=CALL_TIMEOUT)
        b = self.party("portal").fin.GetSigningKey(F.GetSigningKeyRequest(), timeout=CALL_TIMEOUT)
        self.assertEqual(a.key_id, b.key_id)
        self.assertRegex(a.key_id, re.compile(r"^[0-9a-f]{64}$"))
