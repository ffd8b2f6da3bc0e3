"""test_authorization.py: consent grants and the authorized tier through python3-grpcio.

credit.v1.Authorization and credit.v1.AuthorizedQuery as the demo units use them over mutual
TLS: a lender (bank-a) asks, the subject (subj-acme, its own certificate) or the portal
(relaying, with the signed document's digest) approves, the lender reads the authorized tier
under the grant, the subject sees every use. Every refusal of issue 15 but the portrait's, each
with its status, and each checked to have written nothing (the grant's history and its uses are
unchanged). Concurrent callers never pass a use limit: 32 threads against a limit of 10 get
exactly 10 answers.

The rules come from proto/credit/v1/authorization.proto and the seed catalogue: a public
UTILITY_PAYMENT record's amount_fen is TIER_AUTHORIZED (the open tier never shows it); the
legal representative's ID number is government tier in every tier below it.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_authorization
"""

import calendar
import datetime
import hashlib
import threading
import time

import grpc
from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, SharedNodeCase, legal_ref, legal_subject, pdate, tstamp, unit_pb2

from credit.v1 import authorization_pb2 as A
from credit.v1 import authorization_pb2_grpc as A_grpc
from credit.v1 import industrial_pb2 as I
from credit.v1 import industrial_pb2_grpc as I_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import sync_pb2 as Y
from credit.v1 import sync_pb2_grpc as Y_grpc

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

ACME_USCC = "91500227MA5UACME5L"  # subj-acme's own (certs/demo-units.tsv)
WATER_USCC = "91500227MA5U7A9J1J"  # the water utility's own
OTHER_SUBJECT = "subj-other"  # a SUBJECT unit of another enterprise, registered here
OTHER_BANK = "bank-b"  # a second FINANCE unit, registered here

_fresh = harness.Fresh(uscc_base=500000)
fresh_uscc = _fresh.uscc

DAY = 86400


def digest(text="signed authorization"):
    return hashlib.sha256(("%s-%d" % (text, _fresh.number())).encode()).hexdigest()


def now_ts(offset=0):
    return timestamp_pb2.Timestamp(seconds=int(time.time()) + offset)


def utility_input(src, uscc, amount=123456, day=None):
    """A UTILITY_PAYMENT record of `uscc` as the water utility pushes it, owing `amount` fen
    (TIER_AUTHORIZED), overdue since `day` (default 20 days ago)."""
    day = day or harness.recent_day(20)
    return R.PublicRecordInput(
        source_record_id=src, category=R.CATEGORY_UTILITY_PAYMENT, subject=legal_subject(uscc),
        occurred_at=tstamp(day),
        action=R.Action(title="水费", content="2 个月欠费", amount_fen=amount,
                        decision_date=pdate(day), status="欠费", authority="区自来水公司",
                        authority_uscc=WATER_USCC, source_unit_uscc=WATER_USCC))


class Calls(harness.Stubs):
    """One unit's stubs: the public collection, the tiers, Authorization, AuthorizedQuery."""

    def __init__(self, port, who):
        super().__init__(port, who)
        self.auth = A_grpc.AuthorizationStub(self.ch)
        self.aq = A_grpc.AuthorizedQueryStub(self.ch)

    def request(self, uscc=ACME_USCC, scope=None, data_from=None, data_to=None,
                valid_from=None, valid_until=None, use_limit=5, purpose="LOAN_APPRAISAL",
                text="小微企业信用贷款审批 credit appraisal for a small-business loan",
                timeout=CALL_TIMEOUT):
        req = A.RequestConsentRequest(
            subject=legal_ref(uscc), purpose_code=purpose, purpose_text=text,
            scope=scope if scope is not None else A.GrantScope(
                categories=[R.CATEGORY_UTILITY_PAYMENT]),
            data_from=data_from or pdate(harness.recent_day(365)),
            data_to=data_to or pdate(harness.utc_today()),
            valid_until=valid_until or now_ts(30 * DAY), use_limit=use_limit)
        if valid_from is not None:
            req.valid_from.CopyFrom(valid_from)
        return self.auth.RequestConsent(req, timeout=timeout)

    def approve(self, gid, doc="", timeout=CALL_TIMEOUT):
        return self.auth.ApproveConsent(A.ApproveConsentRequest(grant_id=gid, document_digest=doc),
                                        timeout=timeout)

    def act(self, verb, gid, reason="", timeout=CALL_TIMEOUT):
        return getattr(self.auth, verb)(A.GrantActionRequest(grant_id=gid, reason=reason),
                                        timeout=timeout)

    def grant(self, gid, timeout=CALL_TIMEOUT):
        return self.auth.GetGrant(A.GetGrantRequest(grant_id=gid), timeout=timeout)

    def uses(self, gid):
        return list(self.auth.ListUses(A.ListUsesRequest(grant_id=gid), timeout=CALL_TIMEOUT).uses)

    def alist(self, gid, subject=None, timeout=CALL_TIMEOUT, **kw):
        inner = R.ListRecordsRequest(**kw)
        if subject is not None:
            inner.subject.CopyFrom(subject)
        return self.aq.ListRecords(A.AuthorizedListRecordsRequest(grant_id=gid, request=inner),
                                   timeout=timeout)

    def aget(self, gid, rid, timeout=CALL_TIMEOUT):
        return self.aq.GetRecord(A.AuthorizedGetRecordRequest(
            grant_id=gid, request=R.GetRecordRequest(record_id=rid)), timeout=timeout)


class AuthorizationTest(SharedNodeCase):

    NODE_FLAGS = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        port = cls.node.port
        with harness.channel(port, "office") as ch:
            reg = harness.registry(ch)
            reg.RegisterUnit(unit_pb2.RegisterUnitRequest(
                code=OTHER_BANK, name="乙银行 Bank B", kind=unit_pb2.UNIT_KIND_FINANCE),
                timeout=CALL_TIMEOUT)
            reg.RegisterUnit(unit_pb2.RegisterUnitRequest(
                code=OTHER_SUBJECT, name="另一企业 Another firm", kind=unit_pb2.UNIT_KIND_SUBJECT,
                uscc=fresh_uscc()), timeout=CALL_TIMEOUT)
        for code in (OTHER_BANK, OTHER_SUBJECT):
            harness.issue_cert(code, "urn:credit:unit:" + code)
        cls.bank = Calls(port, "bank-a")
        cls.acme = Calls(port, "subj-acme")
        cls.portal = Calls(port, "portal")
        cls.water = Calls(port, "water")
        cls.bank_b = Calls(port, "extra/" + OTHER_BANK)
        cls.other = Calls(port, "extra/" + OTHER_SUBJECT)
        # ACME's records: a utility arrear (covered by the usual scope) and a penalty (not).
        res = cls.water.push(utility_input(_fresh.src("water"), ACME_USCC)).results[0]
        assert res.outcome == R.PUSH_OUTCOME_CREATED, res
        cls.acme_utility = res.record_id
        with Calls(port, "market") as market:
            res = market.push(harness.penalty_input(_fresh.src("pen"),
                                                    legal_subject(ACME_USCC))).results[0]
        assert res.outcome == R.PUSH_OUTCOME_CREATED, res
        cls.acme_penalty = res.record_id

    @classmethod
    def tearDownClass(cls):
        for c in ("bank", "acme", "portal", "water", "bank_b", "other"):
            if getattr(cls, c, None):
                getattr(cls, c).close()
        super().tearDownClass()

    def active_grant(self, **kw):
        g = self.bank.request(**kw)
        self.assertEqual(g.status, A.GRANT_STATUS_REQUESTED)
        return self.acme.approve(g.grant_id, digest())

    def assertUnchanged(self, gid, before):
        """Nothing of the grant was written since `before` (a Grant as GetGrant gave it)."""
        now = self.bank.grant(gid)
        self.assertEqual(list(now.history), list(before.history))
        self.assertEqual(now.uses, before.uses)
        self.assertEqual(len(self.bank.uses(gid)), before.uses)

    # --- The lender's flow ------------------------------------------------------------------

    def test_the_subject_approves_and_the_lender_reads_the_authorized_tier(self):
        g = self.bank.request()
        self.assertRegex(g.grant_id, harness.RECORD_ID_RE)
        self.assertEqual(g.grantee, "bank-a")
        self.assertEqual([A.GrantStatus.Name(t.status) for t in g.history],
                         ["GRANT_STATUS_REQUESTED"])
        doc = digest()
        g = self.acme.approve(g.grant_id, doc)
        self.assertEqual(g.status, A.GRANT_STATUS_ACTIVE)
        self.assertEqual(g.document_digest, doc)
        self.assertEqual(g.approved_by, "subj-acme")
        self.assertEqual([(A.GrantStatus.Name(t.status), t.by) for t in g.history],
                         [("GRANT_STATUS_REQUESTED", "bank-a"), ("GRANT_STATUS_ACTIVE", "subj-acme")])

        recs = {r.meta.record_id: r for r in self.bank.alist(g.grant_id).records}
        util, pen = recs[self.acme_utility], recs[self.acme_penalty]
        self.assertEqual(util.action.amount_fen, 123456, "covered: the authorized tier")
        self.assertEqual(pen.subject if False else pen.meta.subject.legal_representative_id_number,
                         "", "the representative's ID number stays government tier")
        self.assertEqual(util.meta.subject.legal_representative_id_number, "")
        # The open tier never shows the amount.
        open_util = self.bank.open.GetRecord(R.GetRecordRequest(record_id=self.acme_utility),
                                             timeout=CALL_TIMEOUT).record
        self.assertEqual(open_util.action.amount_fen, 0)
        one = self.bank.aget(g.grant_id, self.acme_utility).record
        self.assertEqual(one.action.amount_fen, 123456)

        got = self.acme.grant(g.grant_id)
        self.assertEqual(got.uses, 2)
        uses = self.acme.uses(g.grant_id)
        self.assertEqual([(u.number, u.used_by) for u in uses], [(1, "bank-a"), (2, "bank-a")])
        self.assertEqual(uses[0].method, "credit.v1.AuthorizedQuery/ListRecords")
        self.assertIn(self.acme_utility, uses[0].read)
        self.assertEqual(uses[1].method, "credit.v1.AuthorizedQuery/GetRecord")
        self.assertIn(self.acme_utility, uses[1].read)
        # Both parties list it.
        self.assertIn(g.grant_id, [x.grant_id for x in self.bank.auth.ListGrants(
            A.ListGrantsRequest(), timeout=CALL_TIMEOUT).grants])
        self.assertIn(g.grant_id, [x.grant_id for x in self.acme.auth.ListGrants(
            A.ListGrantsRequest(), timeout=CALL_TIMEOUT).grants])

    def test_the_portal_relays_an_approval_with_the_documents_digest(self):
        uscc = fresh_uscc()
        g = self.bank.request(uscc=uscc)
        err = self.assertRpcFails(SC.INVALID_ARGUMENT, self.portal.approve, g.grant_id, "",
                                  contains="document_digest")
        self.assertEqual(self.bank.grant(g.grant_id).status, A.GRANT_STATUS_REQUESTED, err)
        doc = digest()
        a = self.portal.approve(g.grant_id, doc)
        self.assertEqual((a.status, a.approved_by, a.document_digest),
                         (A.GRANT_STATUS_ACTIVE, "portal", doc))
        listed = self.portal.auth.ListGrants(A.ListGrantsRequest(subject=legal_ref(uscc)),
                                             timeout=CALL_TIMEOUT).grants
        self.assertEqual([x.grant_id for x in listed], [g.grant_id])

    def test_pause_resume_and_revoke_keep_every_transition(self):
        g = self.active_grant()
        self.acme.act("PauseGrant", g.grant_id, "贷款暂缓 loan on hold")
        before = self.bank.grant(g.grant_id)
        self.assertEqual(before.status, A.GRANT_STATUS_PAUSED)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id, contains="paused")
        self.assertUnchanged(g.grant_id, before)
        self.acme.act("ResumeGrant", g.grant_id)
        self.bank.alist(g.grant_id)
        self.acme.act("RevokeGrant", g.grant_id, "撤回 withdrawn")
        before = self.bank.grant(g.grant_id)
        # A replay after revocation.
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id, contains="revoked")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aget, g.grant_id, self.acme_utility,
                            contains="revoked")
        self.assertUnchanged(g.grant_id, before)
        self.assertEqual([(A.GrantStatus.Name(t.status), t.by, t.reason) for t in before.history],
                         [("GRANT_STATUS_REQUESTED", "bank-a", ""),
                          ("GRANT_STATUS_ACTIVE", "subj-acme", ""),
                          ("GRANT_STATUS_PAUSED", "subj-acme", "贷款暂缓 loan on hold"),
                          ("GRANT_STATUS_ACTIVE", "subj-acme", ""),
                          ("GRANT_STATUS_REVOKED", "subj-acme", "撤回 withdrawn")])
        self.assertRpcFails(SC.FAILED_PRECONDITION, self.acme.act, "ResumeGrant", g.grant_id,
                            contains="GRANT_STATUS_REVOKED")
        self.assertUnchanged(g.grant_id, before)

    def test_a_grant_expires_by_itself(self):
        g = self.active_grant(valid_until=now_ts(3))
        self.bank.alist(g.grant_id)
        time.sleep(4)
        got = self.acme.grant(g.grant_id)
        self.assertEqual(got.status, A.GRANT_STATUS_EXPIRED)
        self.assertEqual(got.history[-1].status, A.GRANT_STATUS_EXPIRED)
        self.assertEqual(got.history[-1].by, "")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id, contains="expired")
        self.assertUnchanged(g.grant_id, got)

    def test_a_requested_or_rejected_grant_is_not_active(self):
        g = self.bank.request()
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id,
                            contains="not active")
        r = self.acme.act("RejectConsent", g.grant_id, "不同意 no")
        self.assertEqual(r.status, A.GRANT_STATUS_REJECTED)
        self.assertRpcFails(SC.FAILED_PRECONDITION, self.acme.approve, g.grant_id, digest(),
                            contains="GRANT_STATUS_REJECTED")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id,
                            contains="not active")
        self.assertEqual(self.bank.grant(g.grant_id).uses, 0)

    def test_a_grant_not_yet_valid_is_refused(self):
        g = self.active_grant(valid_from=now_ts(DAY), valid_until=now_ts(2 * DAY))
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id,
                            contains="not yet valid")

    # --- Bad input and abuse ----------------------------------------------------------------

    def test_a_grant_is_read_only_for_its_own_subject(self):
        g = self.active_grant()
        other = fresh_uscc()
        res = self.water.push(utility_input(_fresh.src("water"), other)).results[0]
        before = self.bank.grant(g.grant_id)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id, legal_ref(other),
                            contains="another subject")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aget, g.grant_id, res.record_id,
                            contains="another subject")
        self.assertUnchanged(g.grant_id, before)

    def test_only_the_subject_or_the_portal_approves(self):
        g = self.bank.request()
        self.assertRpcFails(SC.PERMISSION_DENIED, self.other.approve, g.grant_id, digest(),
                            contains="not the subject")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.approve, g.grant_id, digest(),
                            contains="authorization.grant")
        # Neither another subject nor another bank sees it; the water utility may read no grant.
        for c, code in ((self.other, SC.NOT_FOUND), (self.bank_b, SC.NOT_FOUND),
                        (self.water, SC.PERMISSION_DENIED)):
            self.assertRpcFails(code, c.grant, g.grant_id)
        got = self.bank.grant(g.grant_id)
        self.assertEqual(got.status, A.GRANT_STATUS_REQUESTED)
        self.assertEqual(len(got.history), 1)

    def test_another_grantees_grant_is_no_grant(self):
        g = self.active_grant()
        before = self.bank.grant(g.grant_id)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank_b.alist, g.grant_id,
                            contains="no grant")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank_b.aget, g.grant_id,
                            self.acme_utility, contains="no grant")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, "0" * 32, contains="no grant")
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.alist, "not-a-grant",
                            contains="grant_id")
        self.assertUnchanged(g.grant_id, before)

    def test_a_scope_must_name_what_the_catalogue_has(self):
        cases = [
            (SC.INVALID_ARGUMENT, A.GrantScope(catalogues=[99]), "scope.catalogues[0]"),
            (SC.INVALID_ARGUMENT, A.GrantScope(catalogues=[R.CATALOGUE_FINANCE]),
             "scope.catalogues[0]"),
            (SC.INVALID_ARGUMENT, A.GrantScope(categories=[999]), "scope.categories[0]"),
            (SC.NOT_FOUND, A.GrantScope(sections=["NO_SUCH_SECTION"]), "scope.sections[0]"),
            (SC.NOT_FOUND, A.GrantScope(portrait_template="no-such-template"),
             "scope.portrait_template"),
            (SC.INVALID_ARGUMENT, A.GrantScope(), "scope"),
            (SC.INVALID_ARGUMENT, A.GrantScope(portrait_template="x",
                                               catalogues=[R.CATALOGUE_PUBLIC]),
             "scope.portrait_template"),
        ]
        before = len(self.bank.auth.ListGrants(A.ListGrantsRequest(), timeout=CALL_TIMEOUT).grants)
        for code, scope, field in cases:
            with self.subTest(scope=str(scope)):
                self.assertRpcFails(code, self.bank.request, scope=scope, contains=field)
        after = len(self.bank.auth.ListGrants(A.ListGrantsRequest(), timeout=CALL_TIMEOUT).grants)
        self.assertEqual(before, after, "a refused request wrote a grant")

    def test_a_validity_window_must_end_after_it_starts_and_within_the_maximum(self):
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.request, valid_from=now_ts(2 * DAY),
                            valid_until=now_ts(DAY), contains="valid_until")
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.request, valid_until=now_ts(366 * DAY),
                            contains="365 days")
        self.bank.request(valid_until=now_ts(364 * DAY))
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.request,
                            data_from=pdate(harness.utc_today()),
                            data_to=pdate(harness.recent_day(30)), contains="data_to")
        for bad in (0, 1000001):
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.request, use_limit=bad,
                                contains="use_limit")
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.request, purpose="loan appraisal",
                            contains="purpose_code")
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.request, text="",
                            contains="purpose_text")

    def test_out_of_scope_and_out_of_date_range_are_refused(self):
        g = self.active_grant()
        before = self.bank.grant(g.grant_id)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aget, g.grant_id, self.acme_penalty,
                            contains="out of scope")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id,
                            catalogues=[R.CATALOGUE_INDUSTRIAL], contains="out of scope")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id,
                            categories=[R.CATEGORY_PENALTY], contains="out of scope")
        self.assertUnchanged(g.grant_id, before)
        old = self.active_grant(data_from=pdate(datetime.date(2020, 1, 1)),
                                data_to=pdate(datetime.date(2020, 12, 31)))
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aget, old.grant_id,
                            self.acme_utility, contains="out of date range")
        # Listing under it: the record is outside the dates, so only its open values.
        recs = {r.meta.record_id: r for r in self.bank.alist(old.grant_id).records}
        self.assertEqual(recs[self.acme_utility].action.amount_fen, 0)
        series = A.AuthorizedSeriesRequest(grant_id=old.grant_id, request=I.SeriesRequest(
            enterprise_uscc=ACME_USCC, section="ENERGY_USE", metric="electricity_kwh"))
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aq.GetSeries, series,
                            timeout=CALL_TIMEOUT, contains="out of scope")

    def test_series_under_a_grant_serve_authorized_metrics_within_the_dates(self):
        """electricity_kwh is TIER_AUTHORIZED: the open tier refuses it, a grant of the
        INDUSTRIAL catalogue serves it, narrowed to the grant's record dates."""
        uscc = fresh_uscc()
        day = harness.recent_day(10)
        base = calendar.timegm(day.timetuple())
        with harness.channel(self.node.port, "ind-platform") as ch:
            ind = I_grpc.IndustrialDataCollectionStub(ch)
            ind.RegisterOptIn(I.RegisterOptInRequest(enterprise_uscc=uscc,
                                                     consent_digest=digest()),
                              timeout=CALL_TIMEOUT)
            summary = ind.PushSamples(iter([I.Sample(
                enterprise_uscc=uscc, section="ENERGY_USE", metric="electricity_kwh",
                period_start=timestamp_pb2.Timestamp(seconds=base + h * 3600),
                period_seconds=3600, value=1.5) for h in range(3)]), timeout=CALL_TIMEOUT)
            self.assertEqual(summary.accepted, 3, summary)
        inner = I.SeriesRequest(enterprise_uscc=uscc, section="ENERGY_USE",
                                metric="electricity_kwh")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.open.GetSeries, inner,
                            contains="TIER_AUTHORIZED")
        g = self.bank.request(uscc=uscc, scope=A.GrantScope(catalogues=[R.CATALOGUE_INDUSTRIAL]))
        self.portal.approve(g.grant_id, digest())
        got = self.bank.aq.GetSeries(A.AuthorizedSeriesRequest(grant_id=g.grant_id,
                                                               request=inner),
                                     timeout=CALL_TIMEOUT)
        self.assertEqual([p.value for p in got.points], [1.5, 1.5, 1.5])
        uses = self.portal.uses(g.grant_id)
        self.assertEqual(uses[0].read, "series ENERGY_USE/electricity_kwh: 3 points")
        # Another enterprise's series under it, and a range outside its dates.
        other = I.SeriesRequest(enterprise_uscc=ACME_USCC, section="ENERGY_USE",
                                metric="electricity_kwh")
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aq.GetSeries,
                            A.AuthorizedSeriesRequest(grant_id=g.grant_id, request=other),
                            contains="another subject")
        early = I.SeriesRequest(enterprise_uscc=uscc, section="ENERGY_USE",
                                metric="electricity_kwh")
        early.to.CopyFrom(timestamp_pb2.Timestamp(seconds=calendar.timegm(
            harness.recent_day(400).timetuple())))
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.aq.GetSeries,
                            A.AuthorizedSeriesRequest(grant_id=g.grant_id, request=early),
                            contains="out of date range")
        self.assertEqual(len(self.portal.uses(g.grant_id)), 1)

    def test_a_use_limit_is_never_exceeded(self):
        g = self.active_grant(use_limit=2)
        self.bank.alist(g.grant_id)
        self.bank.aget(g.grant_id, self.acme_utility)
        before = self.bank.grant(g.grant_id)
        self.assertEqual(before.uses, 2)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.bank.alist, g.grant_id,
                            contains="use limit reached")
        self.assertUnchanged(g.grant_id, before)

    def test_concurrent_callers_never_pass_the_use_limit(self):
        g = self.active_grant(use_limit=10)
        port = self.node.port
        results, lock = [], threading.Lock()
        start = threading.Barrier(32)

        def caller():
            with Calls(port, "bank-a") as c:
                start.wait(timeout=60)
                try:
                    c.alist(g.grant_id)
                    out = "ok"
                except grpc.RpcError as e:
                    out = (e.code(), e.details())
            with lock:
                results.append(out)

        threads = [threading.Thread(target=caller) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(len(results), 32)
        ok = [r for r in results if r == "ok"]
        refused = [r for r in results if r != "ok"]
        self.assertEqual(len(ok), 10, results)
        for code, details in refused:
            self.assertEqual(code, SC.PERMISSION_DENIED, details)
            self.assertIn("use limit reached", details)
        uses = self.acme.uses(g.grant_id)
        self.assertEqual([u.number for u in uses], list(range(1, 11)))
        self.assertEqual(self.acme.grant(g.grant_id).uses, 10)

    # --- Listings in pages ------------------------------------------------------------------

    def test_uses_and_grants_are_listed_in_pages(self):
        g = self.active_grant(use_limit=5)
        for _ in range(5):
            self.bank.alist(g.grant_id)
        pages, token = [], ""
        while True:
            resp = self.bank.auth.ListUses(A.ListUsesRequest(grant_id=g.grant_id, page_size=2,
                                                             page_token=token),
                                           timeout=CALL_TIMEOUT)
            pages.append([u.number for u in resp.uses])
            token = resp.next_page_token
            if not token:
                break
        self.assertEqual(pages, [[1, 2], [3, 4], [5]])
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.auth.ListUses,
                            A.ListUsesRequest(grant_id=g.grant_id, page_size=1001),
                            timeout=CALL_TIMEOUT, contains="page_size")
        # A token is good only for the listing it was given for.
        first = self.bank.auth.ListUses(A.ListUsesRequest(grant_id=g.grant_id, page_size=1),
                                        timeout=CALL_TIMEOUT)
        other = self.active_grant(use_limit=1)
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.bank.auth.ListUses,
                            A.ListUsesRequest(grant_id=other.grant_id, page_size=1,
                                              page_token=first.next_page_token),
                            timeout=CALL_TIMEOUT, contains="page_token")
        everything = [x.grant_id for x in self.bank.auth.ListGrants(
            A.ListGrantsRequest(page_size=1000), timeout=CALL_TIMEOUT).grants]
        walked, token = [], ""
        while True:
            resp = self.bank.auth.ListGrants(A.ListGrantsRequest(page_size=1, page_token=token),
                                             timeout=CALL_TIMEOUT)
            self.assertLessEqual(len(resp.grants), 1)
            walked.extend(x.grant_id for x in resp.grants)
            token = resp.next_page_token
            if not token:
                break
        self.assertGreaterEqual(len(everything), 2)
        self.assertEqual(walked, everything)

    # --- The change feed --------------------------------------------------------------------

    def feed_grants(self, who, cursor):
        """The FEED_KIND_GRANT changes after `cursor` up to the feed's head, as `who` gets them."""
        with harness.channel(self.node.port, who) as ch:
            call = Y_grpc.SyncStub(ch).Subscribe(
                Y.SubscribeRequest(cursor=cursor, kinds=[Y.FEED_KIND_GRANT]), timeout=20)
            got = []
            try:
                for resp in call:
                    got.extend(resp.changes)
                    if resp.position >= resp.head:
                        break
            finally:
                call.cancel()
            return got

    def feed_head(self):
        with harness.channel(self.node.port, "office") as ch:
            call = Y_grpc.SyncStub(ch).Subscribe(
                Y.SubscribeRequest(cursor=0, kinds=[Y.FEED_KIND_GRANT]), timeout=20)
            try:
                return next(iter(call)).head
            finally:
                call.cancel()

    def test_every_transition_enters_the_feed_for_the_replica_only(self):
        start = self.feed_head()
        g = self.bank.request()
        self.acme.approve(g.grant_id, digest())
        self.acme.act("PauseGrant", g.grant_id, "暂停")
        self.acme.act("RevokeGrant", g.grant_id, "撤销")
        replica = [c for c in self.feed_grants("office", start) if c.grant.grant_id == g.grant_id]
        self.assertEqual([c.grant.status for c in replica],
                         [A.GRANT_STATUS_REQUESTED, A.GRANT_STATUS_ACTIVE, A.GRANT_STATUS_PAUSED,
                          A.GRANT_STATUS_REVOKED])
        seqs = [c.sequence for c in replica]
        self.assertEqual(seqs, sorted(seqs))
        for c in replica:
            self.assertEqual(c.kind, Y.FEED_KIND_GRANT)
            self.assertEqual(c.subject, ACME_USCC)
            self.assertEqual(c.grant.grantee, "bank-a")
        self.assertEqual(len(replica[-1].grant.history), 4)
        # The city platform sees no grant: no query shows it one.
        self.assertEqual(self.feed_grants("city", start), [])


class ShorterMaximumTest(SharedNodeCase):
    """--max-grant-days sets the longest validity window the node allows."""

    NODE_FLAGS = ("--max-grant-days", "30")

    def test_a_window_longer_than_the_configured_maximum_is_refused(self):
        with Calls(self.node.port, "bank-a") as bank:
            self.assertRpcFails(SC.INVALID_ARGUMENT, bank.request, valid_until=now_ts(31 * DAY),
                                contains="30 days")
            g = bank.request(valid_until=now_ts(29 * DAY))
            self.assertEqual(g.status, A.GRANT_STATUS_REQUESTED)
            listed = bank.auth.ListGrants(A.ListGrantsRequest(), timeout=CALL_TIMEOUT).grants
            self.assertEqual([x.grant_id for x in listed], [g.grant_id])


if __name__ == "__main__":
    import unittest
    unittest.main()
