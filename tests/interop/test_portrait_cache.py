"""test_portrait_cache.py: GetPortrait's cache of computed portraits, seen only by behaviour.

The node keeps what a portrait says of its subject (README, CreditFinance: "The portrait
cache"). A lender must never see that: every change to the subject's data or to the catalogue
shows in the very next portrait, and a portrait answered from the cache is the one computed
afresh, field for field, but for what is made per call (portrait_id, made_at, the signature).
Each test asks for a portrait twice before a change (the second one is the cached one), makes
the change, and asks again:
  - a record pushed, corrected (a new severity), withdrawn, reinstated;
  - an industrial sample pushed;
  - the template changed through CatalogueGovernance;
and a node started with --portrait-cache-mb 0 answers the same.

One node for the module; every test has a subject of its own.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_portrait_cache
"""

import datetime
import os
import time

from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, InteropCase, Node, R, legal_ref, pdate
import test_portraits as tp

from credit.v1 import authorization_pb2 as A
from credit.v1 import catalogue_pb2 as C
from credit.v1 import finance_pb2 as F
from credit.v1 import industrial_pb2 as I

TEMPLATE = tp.TEMPLATE
PER_CALL = ("portrait_id", "made_at", "signature")

_fresh = harness.Fresh(uscc_base=620000)

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module


def without_per_call(p):
    """The portrait less its per-call fields, serialized deterministically."""
    q = F.Portrait()
    q.CopyFrom(p)
    for f in PER_CALL:
        q.ClearField(f)
    return q.SerializeToString(deterministic=True)


class Lender:
    """A node and the parties that talk to it, with the lender's flow for one subject."""

    def __init__(self, node):
        self.node = node
        self.parties = {}

    def party(self, who):
        if who not in self.parties:
            self.parties[who] = tp.Party(self.node.port, who)
        return self.parties[who]

    def close(self):
        for p in self.parties.values():
            p.close()

    def push(self, *recs):
        resp = self.party("market").collect.PushBatch(R.PushBatchRequest(records=list(recs)),
                                                       timeout=CALL_TIMEOUT)
        assert resp.accepted == len(recs), resp
        return [r.record_id for r in resp.results]

    def samples(self, uscc, value, months_ago=0, days=(0,)):
        t, name = tp.month_start(months_ago)
        out = []
        for day in days:
            s = I.Sample(enterprise_uscc=uscc, section="SALES", metric="sales_amount_fen",
                         period_seconds=86400, value=value)
            s.period_start.CopyFrom(timestamp_pb2.Timestamp(seconds=t + day * 86400))
            out.append(s)
        summary = self.party("ind-platform").ind.PushSamples(iter(out), timeout=CALL_TIMEOUT)
        assert summary.accepted == len(out), summary
        return name

    def opt_in(self, uscc):
        self.party("ind-platform").ind.RegisterOptIn(
            I.RegisterOptInRequest(enterprise_uscc=uscc, consent_digest=tp.digest("in-" + uscc)),
            timeout=CALL_TIMEOUT)

    def grant(self, uscc, template=TEMPLATE, data_from=datetime.date(2020, 1, 1)):
        now = int(time.time())
        req = A.RequestConsentRequest(
            subject=legal_ref(uscc), purpose_code="LOAN_APPRAISAL",
            purpose_text="流动资金贷款审批 working-capital loan appraisal",
            scope=A.GrantScope(portrait_template=template), data_from=pdate(data_from),
            data_to=pdate(harness.utc_today() + datetime.timedelta(days=1)), use_limit=100)
        req.valid_until.CopyFrom(timestamp_pb2.Timestamp(seconds=now + 30 * 86400))
        g = self.party("bank-a").auth.RequestConsent(req, timeout=CALL_TIMEOUT)
        return self.party("portal").auth.ApproveConsent(
            A.ApproveConsentRequest(grant_id=g.grant_id,
                                    document_digest=tp.digest("doc-" + g.grant_id)),
            timeout=CALL_TIMEOUT).grant_id

    def portrait(self, uscc, grant_id, template=TEMPLATE):
        return self.party("bank-a").fin.GetPortrait(
            F.GetPortraitRequest(subject=legal_ref(uscc), template=template, grant_id=grant_id),
            timeout=CALL_TIMEOUT)


def items(p):
    return {i.code: i for i in p.items}


def severities(p):
    return {s.severity: (s.count, s.in_publicity) for s in items(p)["penalties"].by_severity}


class PortraitCacheCase(InteropCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(name="portrait-cache")
        cls.lender = Lender(cls.node)

    @classmethod
    def tearDownClass(cls):
        cls.lender.close()
        cls.node.stop()

    def subject(self):
        """A fresh subject with two penalties and sales samples, and a grant for it."""
        u = _fresh.uscc()
        subject = harness.legal_subject(u, name="缓存测试有限公司 Cache Test Co")
        ids = self.lender.push(
            harness.penalty_input(_fresh.src("pc"), subject, severity=R.SEVERITY_SERIOUS),
            harness.penalty_input(_fresh.src("pc"), subject, severity=R.SEVERITY_GENERAL))
        self.lender.opt_in(u)
        self.lender.samples(u, 100.0, months_ago=1, days=(0, 1))
        return u, subject, ids, self.lender.grant(u)

    def twice(self, u, g, template=TEMPLATE):
        """The portrait asked for twice (the second from the cache); both the same."""
        first = self.lender.portrait(u, g, template)
        second = self.lender.portrait(u, g, template)
        self.assertNotEqual(first.portrait_id, second.portrait_id)
        self.assertEqual(without_per_call(first), without_per_call(second))
        return second

    def test_a_cached_portrait_is_the_fresh_one_but_for_the_per_call_fields(self):
        u, subject, _ids, g = self.subject()
        fresh = self.lender.portrait(u, g)
        cached = self.lender.portrait(u, g)
        # A penalty decided before the grant's dates: the subject's data changed (the entry is
        # computed again) but nothing the grant covers.
        self.lender.push(harness.penalty_input(_fresh.src("old"), subject,
                                               decision=datetime.date(2019, 6, 1)))
        again = self.lender.portrait(u, g)
        for p in (cached, again):
            for f in F.Portrait.DESCRIPTOR.fields:
                if f.name in PER_CALL:
                    continue
                with self.subTest(field=f.name):
                    self.assertEqual(getattr(p, f.name), getattr(fresh, f.name))
            self.assertEqual(without_per_call(p), without_per_call(fresh))
        self.assertEqual(items(fresh)["penalties"].count, 2)
        self.assertEqual(len({fresh.portrait_id, cached.portrait_id, again.portrait_id}), 3)
        self.assertLessEqual(fresh.made_at.seconds, cached.made_at.seconds)

        # The cached one's signature verifies against the node's key, as a fresh one's does.
        key = self.lender.party("bank-a").fin.GetSigningKey(F.GetSigningKeyRequest(),
                                                           timeout=CALL_TIMEOUT)
        tmp = harness.new_dir("portrait-cache")
        key_file = os.path.join(tmp, "node.pem")
        with open(key_file, "w") as f:
            f.write(key.public_key_pem)
        for name, p in (("cached", cached), ("fresh", fresh)):
            path = os.path.join(tmp, name + ".bin")
            with open(path, "wb") as f:
                f.write(p.SerializeToString())
            rc, out, err = harness.run_creditctl(["portrait", "verify", path, key_file])
            self.assertEqual(rc, 0, "%s: %s" % (name, err))

    def test_records_pushed_corrected_withdrawn_and_reinstated_show_at_once(self):
        u, subject, ids, g = self.subject()
        p = self.twice(u, g)
        self.assertEqual(items(p)["penalties"].count, 2)
        self.assertEqual(items(p)["licences"].count, 0)

        # Pushed.
        src = _fresh.src("new")
        rid = self.lender.push(harness.penalty_input(src, subject,
                                                     severity=R.SEVERITY_GENERAL))[0]
        p = self.lender.portrait(u, g)
        self.assertEqual(items(p)["penalties"].count, 3)
        self.assertEqual(severities(p)[R.SEVERITY_GENERAL], (2, 2))
        self.assertIn(rid, [e.provenance.record_id for e in items(p)["penalties"].entries])
        p = self.twice(u, g)

        # Corrected: the same record, now serious, its second version.
        fixed = harness.penalty_input(src, subject, severity=R.SEVERITY_SERIOUS)
        self.lender.party("market").collect.Correct(
            R.CorrectRequest(record_id=rid, record=fixed, reason="严重程度认定有误"),
            timeout=CALL_TIMEOUT)
        p = self.lender.portrait(u, g)
        self.assertEqual(severities(p)[R.SEVERITY_GENERAL], (1, 1))
        self.assertEqual(severities(p)[R.SEVERITY_SERIOUS], (2, 2))
        entry = [e for e in items(p)["penalties"].entries if e.provenance.record_id == rid]
        self.assertEqual([(e.severity, e.provenance.record_version) for e in entry],
                         [(R.SEVERITY_SERIOUS, 2)])

        # Withdrawn: counted nowhere; reinstated: counted again.
        collect = self.lender.party("market").collect
        for change, count, listed in (
                (lambda: collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="决定已撤销"),
                                          timeout=CALL_TIMEOUT), 2, False),
                (lambda: collect.Reinstate(R.ReinstateRequest(record_id=rid, reason="撤销决定有误"),
                                           timeout=CALL_TIMEOUT), 3, True)):
            self.twice(u, g)
            change()
            p = self.lender.portrait(u, g)
            self.assertEqual(items(p)["penalties"].count, count)
            self.assertEqual(rid in [e.provenance.record_id for e in items(p)["penalties"].entries],
                             listed)
        self.assertEqual(len(ids), 2)

    def test_a_sample_pushed_shows_in_the_next_monthly_total(self):
        u, _subject, _ids, g = self.subject()
        p = self.twice(u, g)
        month = tp.month_start(1)[1]
        got = {m.month: (m.total, m.samples) for m in items(p)["sales_monthly"].months}
        self.assertEqual(got, {month: (200.0, 2)})
        self.lender.samples(u, 50.0, months_ago=1, days=(2,))
        this = self.lender.samples(u, 7.0, months_ago=0, days=(0,))
        p = self.lender.portrait(u, g)
        got = {m.month: (m.total, m.samples) for m in items(p)["sales_monthly"].months}
        self.assertEqual(got, {month: (250.0, 3), this: (7.0, 1)})

    def test_a_template_changed_through_governance_shows_in_the_next_portrait(self):
        u, _subject, _ids, _g = self.subject()
        office = self.lender.party("office").gov
        v = office.GetVersion(C.GetVersionRequest(), timeout=CALL_TIMEOUT)
        basic = [s for d in v.catalogues for s in d.sections if s.code == TEMPLATE][0]
        code = "CACHE_T%d" % _fresh.number()

        def set_template(n_items):
            tmpl = C.Section()
            tmpl.CopyFrom(basic)
            tmpl.code = code
            tmpl.name = "缓存测试画像 cache test portrait"
            del tmpl.portrait.items[n_items:]
            done = tp.change_approved(office, C.ProposeChangeRequest(
                catalogue=R.CATALOGUE_FINANCE, section=code, kind=C.CHANGE_KIND_SET_TEMPLATE,
                portrait_template=tmpl, justification="测试 test"))
            self.assertEqual(done.state, C.CHANGE_STATE_APPROVED)
            return done.resulting_version, [i.code for i in tmpl.portrait.items]

        v1, codes1 = set_template(4)
        g = self.lender.grant(u, template=code)
        p = self.twice(u, g, template=code)
        self.assertEqual((p.template_version, [i.code for i in p.items]), (v1, codes1))
        v2, codes2 = set_template(2)
        p = self.lender.portrait(u, g, template=code)
        self.assertEqual((p.template_version, [i.code for i in p.items]), (v2, codes2))
        self.assertGreater(v2, v1)


class NoCacheCase(InteropCase):
    def test_a_node_without_a_cache_answers_the_same(self):
        with Node(name="portrait-nocache", extra=["--portrait-cache-mb", "0"]) as node:
            lender = Lender(node)
            try:
                u = _fresh.uscc()
                subject = harness.legal_subject(u)
                lender.push(harness.penalty_input(_fresh.src("nc"), subject))
                g = lender.grant(u)
                a, b = lender.portrait(u, g), lender.portrait(u, g)
                self.assertEqual(without_per_call(a), without_per_call(b))
                self.assertEqual(items(a)["penalties"].count, 1)
                lender.push(harness.penalty_input(_fresh.src("nc"), subject))
                self.assertEqual(items(lender.portrait(u, g))["penalties"].count, 2)
            finally:
                lender.close()
