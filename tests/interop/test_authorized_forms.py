"""test_authorized_forms.py: AuthorizedQuery's pages from the forms prepared at write time.

The subject index keeps, with each record's open-tier form, its authorized-tier form and its
date (README, AuthorizedQuery: "What is prepared at write time"). A page under a grant is sent
from them while they are fresh: the authorized form for a record the grant covers, the open
form for one it does not. Once another catalogue version is in force every form is stale and
the node reads and shapes each record as it did before the forms existed. A lender must never
tell the two apart: this test reads the same pages under two grants (one scoped by category,
one by section) from the forms, then makes every form stale with a catalogue change that does
not touch these records (a portrait template of the finance catalogue), reads them again from
the slow path, and compares the answers byte for byte (the raw response) and field by field.

The subject's records cover what the forms must get right:
  - utility arrears in and out of the grants' range of record dates (the authorized amount
    shown only for the covered one);
  - penalties of two severities (covered by the section-scoped grant only), one withdrawn (in
    neither answer);
  - a legal representative's ID number and a 20-character tax number (which embeds a
    resident identity number): absent from every answer, in every path.
Disputed records are not reachable through the API (no objection is filed through it).

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v \
      test_authorized_forms
"""

import datetime
import time

from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, SharedNodeCase, legal_subject, pdate, tstamp
import test_portraits as tp

from credit.v1 import authorization_pb2 as A
from credit.v1 import catalogue_pb2 as C
from credit.v1 import record_pb2 as R

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=640000)
WATER_USCC = "91500227MA5U7A9J1J"  # the water utility's own (certs/demo-units.tsv)
LIST_PATH = "/credit.v1.AuthorizedQuery/ListRecords"


def utility_input(src, subject, day, amount):
    """A UTILITY_PAYMENT record (its amount_fen TIER_AUTHORIZED) as the water utility pushes
    it, overdue since `day`."""
    return R.PublicRecordInput(
        source_record_id=src, category=R.CATEGORY_UTILITY_PAYMENT, subject=subject,
        occurred_at=tstamp(day),
        action=R.Action(title="水费", content="欠费 %d 分" % amount, amount_fen=amount,
                        decision_date=pdate(day), status="欠费", authority="区自来水公司",
                        authority_uscc=WATER_USCC, source_unit_uscc=WATER_USCC))


class AuthorizedFormsTest(SharedNodeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        port = cls.node.port
        cls.parties = {w: tp.Party(port, w) for w in ("bank-a", "portal", "office", "water",
                                                      "market")}
        # A sole proprietor's code is of type 92 (个体工商户).
        cls.uscc = u = harness.make_uscc("92500227MA%06d" % (640000 + _fresh.number()))
        # A sole proprietor (个体工商户): its tax number may be its owner's identity number.
        plain = legal_subject(u)
        plain.kind = R.SUBJECT_KIND_INDIVIDUAL_BUSINESS
        taxed = R.Subject()
        taxed.CopyFrom(plain)
        taxed.tax_number = harness.REP_ID + "01"  # a resident identity number and two digits
        today = harness.utc_today()
        water = [utility_input(_fresh.src("w"), plain, harness.recent_day(20), 120000),
                 utility_input(_fresh.src("w"), taxed, harness.recent_day(45), 3400),
                 utility_input(_fresh.src("w"), plain, today - datetime.timedelta(days=400),
                               99)]
        market = [harness.penalty_input(_fresh.src("p"), plain),
                  harness.penalty_input(_fresh.src("p"), taxed, severity=R.SEVERITY_SERIOUS,
                                        decision=harness.recent_day(60)),
                  harness.penalty_input(_fresh.src("p"), plain)]
        cls.plain = plain
        cls.ids = {}
        for who, recs in (("water", water), ("market", market)):
            resp = cls.parties[who].collect.PushBatch(R.PushBatchRequest(records=recs),
                                                      timeout=CALL_TIMEOUT)
            assert resp.accepted == len(recs), resp
            cls.ids[who] = [r.record_id for r in resp.results]
        cls.parties["market"].collect.Withdraw(
            R.WithdrawRequest(record_id=cls.ids["market"][2], reason="决定已撤销 revoked"),
            timeout=CALL_TIMEOUT)
        data_from = today - datetime.timedelta(days=365)
        cls.by_category = cls.grant(A.GrantScope(categories=[R.CATEGORY_UTILITY_PAYMENT]),
                                    data_from)
        cls.by_section = cls.grant(A.GrantScope(sections=["PENALTY", "UTILITY_PAYMENT"]),
                                   today - datetime.timedelta(days=40))

    @classmethod
    def tearDownClass(cls):
        for p in getattr(cls, "parties", {}).values():
            p.close()
        super().tearDownClass()

    @classmethod
    def ref(cls):
        return R.SubjectRef(kind=R.SUBJECT_KIND_INDIVIDUAL_BUSINESS, identifier=cls.uscc)

    @classmethod
    def grant(cls, scope, data_from):
        req = A.RequestConsentRequest(
            subject=cls.ref(), purpose_code="LOAN_APPRAISAL",
            purpose_text="流动资金贷款审批 working-capital loan appraisal", scope=scope,
            data_from=pdate(data_from), data_to=pdate(harness.utc_today()), use_limit=100)
        req.valid_until.CopyFrom(timestamp_pb2.Timestamp(seconds=int(time.time()) + 86400))
        g = cls.parties["bank-a"].auth.RequestConsent(req, timeout=CALL_TIMEOUT)
        return cls.parties["portal"].auth.ApproveConsent(
            A.ApproveConsentRequest(grant_id=g.grant_id,
                                    document_digest=tp.digest("doc-" + g.grant_id)),
            timeout=CALL_TIMEOUT).grant_id

    def page(self, gid, **kw):
        """The raw bytes of one AuthorizedQuery.ListRecords answer, and it parsed."""
        req = A.AuthorizedListRecordsRequest(
            grant_id=gid, request=R.ListRecordsRequest(subject=self.ref(), **kw))
        raw = harness.raw_unary(self.parties["bank-a"].ch, LIST_PATH)(
            req.SerializeToString(), timeout=CALL_TIMEOUT)
        return raw, R.ListRecordsResponse.FromString(raw)

    def reads(self):
        """Every page this test compares, by name."""
        return {"category": self.page(self.by_category),
                "section": self.page(self.by_section),
                "section, penalties only": self.page(self.by_section,
                                                      categories=[R.CATEGORY_PENALTY]),
                "category, two a page": self.page(self.by_category, page_size=2)}

    def check_shapes(self, pages):
        """What each grant shows of each record, whichever path answered."""
        water, market = self.ids["water"], self.ids["market"]
        by_id = {r.meta.record_id: r for r in pages["category"][1].records}
        self.assertEqual(sorted(by_id), sorted(water + market[:2]), "withdrawn: absent")
        self.assertEqual(by_id[water[0]].action.amount_fen, 120000, "covered: authorized")
        self.assertEqual(by_id[water[1]].action.amount_fen, 3400, "covered: authorized")
        self.assertEqual(by_id[water[2]].action.amount_fen, 0, "out of date range: open tier")
        by_id = {r.meta.record_id: r for r in pages["section"][1].records}
        self.assertEqual(by_id[water[0]].action.amount_fen, 120000)
        self.assertEqual(by_id[water[1]].action.amount_fen, 0, "before the range: open tier")
        for name, (_raw, resp) in pages.items():
            for r in resp.records:
                s = r.meta.subject
                self.assertEqual((s.legal_representative_id_number, s.tax_number,
                                  s.legal_representative_id_type), ("", "", 0), name)
                self.assertEqual(s.identifier, self.uscc)
        self.assertEqual(len(pages["category, two a page"][1].records), 2)
        self.assertEqual({r.meta.category for r in pages["section, penalties only"][1].records},
                         {R.CATEGORY_PENALTY})

    def test_pages_from_the_prepared_forms_are_byte_for_byte_the_shaped_records(self):
        uses_before = len(list(self.parties["bank-a"].auth.ListUses(
            A.ListUsesRequest(grant_id=self.by_category), timeout=CALL_TIMEOUT).uses))
        fast = self.reads()
        self.check_shapes(fast)
        # Every use says what was read, whichever path answered.
        uses = list(self.parties["bank-a"].auth.ListUses(
            A.ListUsesRequest(grant_id=self.by_category), timeout=CALL_TIMEOUT).uses)
        self.assertEqual(len(uses), uses_before + 2)
        for rid in self.ids["water"]:
            self.assertIn(rid, uses[uses_before].read)

        # A new catalogue version in force: every form prepared so far is stale.
        office = self.parties["office"].gov
        v = office.GetVersion(C.GetVersionRequest(), timeout=CALL_TIMEOUT)
        basic = [s for d in v.catalogues for s in d.sections if s.code == tp.TEMPLATE][0]
        tmpl = C.Section()
        tmpl.CopyFrom(basic)
        tmpl.code = "FORMS_T%d" % _fresh.number()
        tmpl.name = "表单测试画像 forms test portrait"
        done = tp.change_approved(office, C.ProposeChangeRequest(
            catalogue=R.CATALOGUE_FINANCE, section=tmpl.code,
            kind=C.CHANGE_KIND_SET_TEMPLATE, portrait_template=tmpl, justification="测试 test"))
        self.assertEqual(done.state, C.CHANGE_STATE_APPROVED)
        self.assertGreater(done.resulting_version, v.version)

        slow = self.reads()
        self.check_shapes(slow)
        for name in fast:
            fast_raw, fast_resp = fast[name]
            slow_raw, slow_resp = slow[name]
            self.assertGreater(len(fast_resp.records), 0, name)
            # Field by field first (a readable failure), then the bytes sent.
            self.assertEqual([r.meta.record_id for r in fast_resp.records],
                             [r.meta.record_id for r in slow_resp.records], name)
            for a, b in zip(fast_resp.records, slow_resp.records):
                self.assertEqual(a, b, name)
                self.assertEqual(a.meta.catalogue_version, b.meta.catalogue_version, name)
            if name == "category, two a page":
                # Tokens carry the time they were made: compare the records' bytes only.
                fast_resp.next_page_token = slow_resp.next_page_token = ""
                self.assertEqual(fast_resp.SerializeToString(), slow_resp.SerializeToString())
                continue
            self.assertEqual(fast_raw, slow_raw, name)

        # A record pushed under the new version gets fresh forms again, and the same answer.
        rid = self.parties["water"].collect.PushBatch(R.PushBatchRequest(records=[
            utility_input(_fresh.src("w"), self.plain, harness.recent_day(5),
                          777)]), timeout=CALL_TIMEOUT).results[0].record_id
        again = {r.meta.record_id: r for r in self.page(self.by_category)[1].records}
        self.assertEqual(again[rid].action.amount_fen, 777)
        self.assertEqual(again[self.ids["water"][0]],
                         {r.meta.record_id: r for r in slow["category"][1].records}[
                             self.ids["water"][0]])


if __name__ == "__main__":
    import unittest

    unittest.main()
