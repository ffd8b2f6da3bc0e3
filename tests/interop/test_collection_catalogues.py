"""test_collection_catalogues.py: the three other collecting services through python3-grpcio.

credit.v1.ServiceUnitCollection (declarations of service units, towns, communities and
villages), credit.v1.AssociationCollection (the association platform, for the associations the
office gave it a mandate for; the mandates themselves) and credit.v1.VoluntaryDeclaration
(subjects about themselves, directly or through the portal; pending until the office verifies
them), and what OpenQuery and GovernmentSharing show of their records, as the units of
certs/demo-units.tsv see them over mutual TLS.

For each service: PushBatch and the client-streaming Push (PUSH_OUTCOME_CREATED, PUSH_OUTCOME_UNCHANGED on a repeat,
PUSH_OUTCOME_NEW_VERSION on new content, one result per record with its index, code, field and reason, a
source record twice in one batch refused, an empty batch and one of 1001 refused); who may push
which section; every record rule with the field it names; Correct and Withdraw (only the source
unit, a reason required, never through another catalogue's service). Then the mandates
(RegisterMandate, RevokeMandate, ListMandates: the office registers and revokes, a platform reads
its own), verification (a pending declaration is in no tier, only in the office's ListPending;
Verify and its refusals; a rejection keeps its reason; new content waits again) and sharing (the
`catalogues` and `sections` filters; `categories` alone meaning the public catalogue; each value
shown only to the tiers its dimension allows).

The expectations come from proto/credit/v1/{service_unit,association,voluntary,record,sharing}
.proto, the seed proto/catalogue.textproto (SERVICE_UNIT: GOOD_CONDUCT and BAD_CONDUCT for
UNIT_KIND_SERVICE_UNIT and UNIT_KIND_OFFICE units, BAD_CONDUCT's conduct, basis and outcome AUTHORIZED and its place,
evidence reference and remarks GOVERNMENT; ASSOCIATION: GOVERNANCE and MEMBER for the
UNIT_KIND_ASSOCIATION_PLATFORM and the UNIT_KIND_OFFICE, funds, peer evaluation and rule compliance AUTHORIZED;
VOLUNTARY: CHARITY, AWARD and HONOUR for UNIT_KIND_SUBJECT, UNIT_KIND_PORTAL and UNIT_KIND_OFFICE units, the evidence digest and
reference GOVERNMENT; the legal representative's ID number GOVERNMENT everywhere) and the record
rules of server/rules/record_check.c as documented (rule order source_record_id, section,
responsibility, body, channel, subject, representative, occurred_at, dimensions, body rules; a
missing channel is the unit kind's usual one: SERVICE_WINDOW for service units,
ASSOCIATION_BATCH for the platform, SELF_DECLARATION for subjects and the portal, DIRECT_PUSH for
the office). Identifiers not given in the brief are made here from the standards (GB 32100,
GB 11714, GB 11643), not by the server.

One node per TestCase class; every test uses its own subjects, associations and source record
ids, so the order the tests run in does not matter. Mandates and the verification queue are
node-wide: tests look only at their own entries in them.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_collection_catalogues
"""

import datetime
import hashlib
import re
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT
from harness import MARKET_USCC, REP_ID  # market's own; a legal representative
from harness import legal_ref, pdate, person_subject, tstamp, utc_today

from credit.v1 import association_pb2 as A
from credit.v1 import association_pb2_grpc as A_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import service_unit_pb2 as SU
from credit.v1 import service_unit_pb2_grpc as SU_grpc
from credit.v1 import voluntary_pb2 as V
from credit.v1 import voluntary_pb2_grpc as V_grpc

SC = grpc.StatusCode

STREAM_TIMEOUT = 60.0  # a batch of 1000 records, under AddressSanitizer

# Identifiers from the brief and certs/demo-units.tsv.
ACME_USCC = "91500227MA5UACME5L"     # subj-acme, a UNIT_KIND_SUBJECT unit
OFFICE_USCC = "11500227MB1729565U"   # the office's own
PLATFORM_USCC = "51500227MJP654324C"  # assoc-platform's own
BAD_USCC = "91230500MA1B3N1N2X"      # wrong check character
PLATFORM = "assoc-platform"

# SHA-256 of an evidence document: 64 lower-case hex digits.
DIGEST = hashlib.sha256("捐赠证书 donation certificate".encode("utf-8")).hexdigest()

observe = harness.observe
make_uscc = harness.make_uscc
make_resident_id = harness.make_resident_id
setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

# The brief's identifiers must agree with the helpers, or the helpers are wrong.
assert make_uscc(ACME_USCC[:16]) == ACME_USCC
assert make_uscc(PLATFORM_USCC[:16]) == PLATFORM_USCC
assert make_uscc(OFFICE_USCC[:16]) == OFFICE_USCC
assert make_uscc(BAD_USCC[:16]) != BAD_USCC
assert make_resident_id(REP_ID[:17]) == REP_ID
assert re.match(r"^[0-9a-f]{64}$", DIGEST)

# Companies from 91500227MA500001 on; people born 1981-02-01 .. 1981-02-28.
_fresh = harness.Fresh(uscc_base=500000, born="198102")
fresh_uscc = _fresh.uscc
fresh_person_id = _fresh.person_id
fresh_src = _fresh.src


def fresh_assoc_uscc():
    """A valid USCC no other test uses: a social organisation (51) in the district."""
    return make_uscc("51500227MJ%06d" % (_fresh.number() + 600000))


# --- Dates -------------------------------------------------------------------------------------

def days_ago(n):
    return utc_today() - datetime.timedelta(days=n)


def future_day():
    """A day after today wherever the node's "today" is (it counts in China time, UTC+8)."""
    return utc_today() + datetime.timedelta(days=3)


# --- Records -----------------------------------------------------------------------------------

def legal_subject(uscc, rep_id=REP_ID, name="璧山申报测试有限公司 Declared Test Co"):
    return harness.legal_subject(uscc, rep_id, name)


def acme_subject():
    return legal_subject(ACME_USCC, name="璧山示例科技有限公司 Acme Technology Ltd")


def assoc_name(uscc):
    return "璧山区测试行业协会 Test trade association %s" % uscc[-6:]


def assoc_ref(uscc):
    return R.AssociationRef(name=assoc_name(uscc), uscc=uscc)


def assoc_subject(uscc):
    return R.Subject(kind=R.SUBJECT_KIND_SOCIAL_ORGANISATION, name=assoc_name(uscc), identifier=uscc)


def declaration_input(src, subject, section="GOOD_CONDUCT", when=None):
    """A valid service-unit declaration with every dimension of its section given."""
    when = when or days_ago(20)
    good = section == "GOOD_CONDUCT"
    return SU.ServiceUnitRecordInput(
        source_record_id=src, section=section, subject=subject, occurred_at=tstamp(when),
        declaration=R.Declaration(
            declaring_body="璧城街道东林社区 Donglin community",
            conduct=("义务参加防汛抢险 volunteered in the flood relief" if good
                     else "拖欠物业费十二个月 twelve months of fees unpaid"),
            basis="《东林社区居民公约》第五条 the residents' covenant, article 5",
            evidence_reference="DL-档案-%s" % src,
            conduct_date=pdate(when),
            place="东林社区三栋 Donglin community, block 3",
            outcome=("社区通报表扬 commended by the community" if good
                     else "已补缴 arrears paid since"),
            remarks="备注 remarks of %s" % src))


def governance_input(src, uscc, when=None):
    """A valid GOVERNANCE record of association `uscc`, about the association itself."""
    when = when or days_ago(15)
    return A.AssociationRecordInput(
        source_record_id=src, section="GOVERNANCE", association=assoc_ref(uscc),
        subject=assoc_subject(uscc), occurred_at=tstamp(when),
        governance=R.Governance(
            team="会长 王五, 秘书长 赵六 president Wang Wu, secretary-general Zhao Liu",
            funds="会费收入120万元, 审计意见无保留 fees 1.2m yuan, clean audit opinion",
            rules="《协会章程》(2021年修订) the charter, revised 2021",
            rule_application="本年度警告2家会员 two members warned this year",
            reported_on=pdate(when),
            remarks="备注 remarks of %s" % src))


def member_input(src, uscc, subject, when=None):
    """A valid MEMBER record of association `uscc` about `subject`."""
    when = when or days_ago(15)
    return A.AssociationRecordInput(
        source_record_id=src, section="MEMBER", association=assoc_ref(uscc), subject=subject,
        occurred_at=tstamp(when),
        member=R.MemberInfo(
            rating="AAA", award="2024年度诚信会员 trustworthy member of 2024",
            peer_evaluation="同行评价: 交货及时 peers: delivers on time",
            rule_compliance="警告一次: 价格违规 warned once over prices",
            evaluated_on=pdate(when),
            remarks="备注 remarks of %s" % src))


def claim_input(src, subject, section="CHARITY", when=None):
    """A valid voluntary declaration with its evidence."""
    when = when or days_ago(40)
    return V.VoluntaryRecordInput(
        source_record_id=src, section=section, subject=subject, occurred_at=tstamp(when),
        claim=R.VoluntaryClaim(
            title="2025年防汛救灾捐款 donation to the district flood relief",
            content="捐款人民币5万元 50,000 yuan given",
            claimed_on=pdate(when),
            evidence=R.Evidence(document_digest=DIGEST,
                                issuer="璧山区慈善总会 District charity federation",
                                reference="CERT-%s" % src, issued_on=pdate(when)),
            remarks="备注 remarks of %s" % src))


def licence_input(src, uscc, decision=None):
    """A valid public-catalogue licence as market pushes it."""
    decision = decision or days_ago(40)
    return R.PublicRecordInput(
        source_record_id=src, category=R.CATEGORY_LICENSING, subject=legal_subject(uscc),
        occurred_at=tstamp(decision),
        licence=R.Licence(
            decision_document_name="食品经营许可决定书", decision_document_number="璧市监许〔%s〕" % src,
            licence_category="普通", certificate_name="食品经营许可证", licence_number="LIC-" + src,
            content="预包装食品销售", decision_date=pdate(decision), valid_from=pdate(decision),
            valid_to=pdate(decision + datetime.timedelta(days=1500)), authority="区市场监督管理局",
            authority_uscc=MARKET_USCC, current_status="有效", source_unit_uscc=MARKET_USCC))


def copy_of(msg):
    out = type(msg)()
    out.CopyFrom(msg)
    return out


def text(value):
    return R.ExtraValue(text=value)


# --- Calls -------------------------------------------------------------------------------------

class Calls(harness.Stubs):
    """Stubs for one unit on one node's port (a channel opened per use, closed afterwards): the
    three services' (su, assoc, vol) and harness.Stubs' (the public collection and the tiers:
    push(), list_all())."""

    def __init__(self, port, who):
        super().__init__(port, who)
        self.su = SU_grpc.ServiceUnitCollectionStub(self.ch)
        self.assoc = A_grpc.AssociationCollectionStub(self.ch)
        self.vol = V_grpc.VoluntaryDeclarationStub(self.ch)

    def push_su(self, *records):
        return self.su.PushBatch(SU.ServiceUnitBatchRequest(records=list(records)),
                                 timeout=CALL_TIMEOUT)

    def push_assoc(self, *records):
        return self.assoc.PushBatch(A.AssociationBatchRequest(records=list(records)),
                                    timeout=CALL_TIMEOUT)

    def push_vol(self, *records):
        return self.vol.PushBatch(V.VoluntaryBatchRequest(records=list(records)),
                                  timeout=CALL_TIMEOUT)

    def get(self, tier, rid):
        stub = self.gov if tier == "gov" else self.open
        return stub.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)

    def pending(self, page_size=500):
        """The whole verification queue, following next_page_token."""
        out, token = [], ""
        for _ in range(1000):
            resp = self.vol.ListPending(V.ListPendingRequest(page_size=page_size,
                                                             page_token=token),
                                        timeout=CALL_TIMEOUT)
            out.extend(resp.records)
            token = resp.next_page_token
            if not token:
                return out
        raise AssertionError("ListPending never returned an empty next_page_token")

    # These helpers take `timeout` so that assertRpcFails (which passes one) can call them.
    def verify(self, rid, verified=True, reason="核对证书原件一致 certificate checked",
               timeout=CALL_TIMEOUT):
        return self.vol.Verify(V.VerifyRequest(record_id=rid, verified=verified, reason=reason),
                               timeout=timeout)

    def register(self, uscc, platform=PLATFORM, name=None, timeout=CALL_TIMEOUT):
        ref = R.AssociationRef(name=assoc_name(uscc) if name is None else name, uscc=uscc)
        return self.assoc.RegisterMandate(A.RegisterMandateRequest(platform=platform,
                                                                   association=ref),
                                          timeout=timeout)

    def revoke(self, uscc, platform=PLATFORM, reason="协会退出平台 the association left",
               timeout=CALL_TIMEOUT):
        return self.assoc.RevokeMandate(A.RevokeMandateRequest(platform=platform,
                                                               association_uscc=uscc,
                                                               reason=reason),
                                        timeout=timeout)

    def mandates(self, platform="", timeout=CALL_TIMEOUT):
        return list(self.assoc.ListMandates(A.ListMandatesRequest(platform=platform),
                                            timeout=timeout).mandates)


def ids_of(records):
    return sorted(r.meta.record_id for r in records)


class SharedNodeCase(harness.PushAssertions, harness.SharedNodeCase):
    """One node for the whole class, and the assertions on push results."""

    def calls(self, who):
        return Calls(self.node.port, who)

    def assertResult(self, res, index, outcome, version=None, record_id=None):
        """harness.PushAssertions.assertResult, and the result's code is 0."""
        super().assertResult(res, index, outcome, version, record_id)
        self.assertEqual(res.code, 0, "result %d: %s" % (index, res))

    def assertResults(self, resp, batch, expected):
        """expected[i]: (outcome,) or (outcome, version) or (code, field); each checked in a
        subTest of its own, then the accepted and rejected counts."""
        self.assertEqual(len(resp.results), len(batch), resp)
        for i, want in enumerate(expected):
            with self.subTest(record=i, source_record_id=batch[i].source_record_id):
                if isinstance(want[0], grpc.StatusCode):
                    self.assertRejected(resp.results[i], i, *want)
                else:
                    self.assertResult(resp.results[i], i, want[0],
                                      version=want[1] if len(want) > 1 else None)
        with self.subTest("accepted and rejected counts"):
            rejected = sum(1 for w in expected if isinstance(w[0], grpc.StatusCode))
            self.assertEqual((resp.accepted, resp.rejected),
                             (len(expected) - rejected, rejected))


# --- 1. ServiceUnitCollection ------------------------------------------------------------------

class ServiceUnitCollectionTests(SharedNodeCase):

    def test_push_batch_creates_then_is_unchanged_then_a_changed_one_is_a_new_version(self):
        uscc = fresh_uscc()
        good = declaration_input(fresh_src("su1-good"), legal_subject(uscc), "GOOD_CONDUCT")
        bad = declaration_input(fresh_src("su1-bad"), legal_subject(uscc), "BAD_CONDUCT")
        with self.calls("town-bicheng") as t:
            first = t.push_su(good, bad)
            self.assertResults(first, [good, bad], [(R.PUSH_OUTCOME_CREATED, 1), (R.PUSH_OUTCOME_CREATED, 1)])
            ids = [r.record_id for r in first.results]
            self.assertNotEqual(ids[0], ids[1])
            again = t.push_su(good, bad)
            self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[0])
            self.assertResult(again.results[1], 1, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[1])
            self.assertEqual((again.accepted, again.rejected), (2, 0))
            changed = copy_of(bad)
            changed.declaration.outcome = "已补缴全部欠费 all arrears paid"
            third = t.push_su(good, changed)
            self.assertResult(third.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[0])
            self.assertResult(third.results[1], 1, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=ids[1])
        with self.calls("office") as o:
            got = o.get("gov", ids[1])
            good_got = o.get("gov", ids[0]).record
        m = got.record.meta
        self.assertEqual((m.record_id, m.version, m.source_unit, m.source_record_id),
                         (ids[1], 2, "town-bicheng", bad.source_record_id))
        self.assertEqual((R.Catalogue.Name(m.catalogue), m.section, m.category),
                         ("CATALOGUE_SERVICE_UNIT", "BAD_CONDUCT", R.CATEGORY_UNSPECIFIED))
        self.assertEqual(R.Channel.Name(m.channel), "CHANNEL_SERVICE_WINDOW")
        self.assertEqual(R.Verification.Name(m.status.verification), "VERIFICATION_UNSPECIFIED")
        self.assertGreater(m.reported_at.seconds, 0)
        self.assertEqual(got.record.WhichOneof("body"), "declaration")
        self.assertEqual(got.record.declaration, changed.declaration)
        self.assertEqual([h.meta.version for h in got.history], [1])
        self.assertEqual(got.history[0].declaration, bad.declaration)
        self.assertEqual(good_got.meta.section, "GOOD_CONDUCT")
        self.assertEqual(good_got.meta.subject.legal_representative_id_number, REP_ID)

    def test_client_stream_is_one_call_and_an_empty_stream_is_refused(self):
        uscc = fresh_uscc()
        first = declaration_input(fresh_src("su2-a"), legal_subject(uscc))
        other = declaration_input(fresh_src("su2-b"), legal_subject(uscc), "BAD_CONDUCT")
        changed = copy_of(first)
        changed.declaration.outcome = "区级表彰 commended by the district"
        bad = declaration_input(fresh_src("su2-bad"), legal_subject(uscc))
        bad.section = "NO_SUCH_SECTION"
        records = [first, other, first, bad, changed]
        with self.calls("town-bicheng") as t:
            resp = t.su.Push(iter(records), timeout=CALL_TIMEOUT)
            self.assertResults(resp, records, [(R.PUSH_OUTCOME_CREATED, 1), (R.PUSH_OUTCOME_CREATED, 1),
                                               (SC.INVALID_ARGUMENT, "source_record_id"),
                                               (SC.INVALID_ARGUMENT, "section"),
                                               (SC.INVALID_ARGUMENT, "source_record_id")])
            later = t.su.Push(iter([changed]), timeout=CALL_TIMEOUT)
            self.assertResults(later, [changed], [(R.PUSH_OUTCOME_NEW_VERSION, 2)])
            self.assertEqual(resp.results[0].record_id, later.results[0].record_id)
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.Push, iter([]), contains="records")
            got = t.get("open", resp.results[0].record_id).record
        self.assertEqual(got.declaration.outcome, changed.declaration.outcome)

    def test_batch_rejects_each_bad_record_with_code_and_field_and_stores_only_the_good(self):
        uscc = fresh_uscc()
        subj = legal_subject(uscc)

        def rec(section="GOOD_CONDUCT", prefix="su3"):
            return declaration_input(fresh_src(prefix), subj, section)

        good = rec()
        good_bad_conduct = rec("BAD_CONDUCT")
        no_section = rec()
        no_section.section = ""
        other_catalogues = rec()
        other_catalogues.section = "CHARITY"     # a VOLUNTARY section
        lower_case = rec()
        lower_case.section = "good_conduct"
        municipal = rec()
        municipal.channel = R.CHANNEL_MUNICIPAL_SYNC
        self_declared = rec()
        self_declared.channel = R.CHANNEL_SELF_DECLARATION
        no_conduct = rec()
        no_conduct.declaration.conduct = ""
        blank_conduct = rec("BAD_CONDUCT")
        blank_conduct.declaration.conduct = " \u3000 "
        no_basis = rec()
        no_basis.declaration.basis = ""
        no_evidence = rec("BAD_CONDUCT")       # required for bad conduct only
        no_evidence.declaration.evidence_reference = ""
        good_without_evidence = rec()
        good_without_evidence.declaration.evidence_reference = ""
        no_date = rec()
        no_date.declaration.ClearField("conduct_date")
        future = rec()
        future.declaration.conduct_date.CopyFrom(pdate(future_day()))
        not_a_dimension = rec()
        not_a_dimension.extra["shoe_size"].CopyFrom(text("42"))
        typed_in_extra = rec()
        typed_in_extra.extra["conduct"].CopyFrom(text("given twice"))
        no_body = rec()
        no_body.ClearField("declaration")
        bad_uscc = declaration_input(fresh_src("su3"), legal_subject(BAD_USCC))
        future_occurred = rec()
        future_occurred.occurred_at.CopyFrom(tstamp(future_day()))
        no_src = rec()
        no_src.source_record_id = ""
        dup = rec("BAD_CONDUCT")
        dup.source_record_id = good.source_record_id
        batch = [good, good_bad_conduct, no_section, other_catalogues, lower_case, municipal,
                 self_declared, no_conduct, blank_conduct, no_basis, no_evidence,
                 good_without_evidence, no_date, future, not_a_dimension, typed_in_extra,
                 no_body, bad_uscc, future_occurred, no_src, dup]
        expected = [
            (R.PUSH_OUTCOME_CREATED, 1),
            (R.PUSH_OUTCOME_CREATED, 1),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "channel"),
            (SC.INVALID_ARGUMENT, "channel"),
            (SC.INVALID_ARGUMENT, "declaration.conduct"),
            (SC.INVALID_ARGUMENT, "declaration.conduct"),
            (SC.INVALID_ARGUMENT, "declaration.basis"),
            (SC.INVALID_ARGUMENT, "declaration.evidence_reference"),
            (R.PUSH_OUTCOME_CREATED, 1),
            (SC.INVALID_ARGUMENT, "declaration.conduct_date"),
            (SC.INVALID_ARGUMENT, "declaration.conduct_date"),
            (SC.INVALID_ARGUMENT, "extra.shoe_size"),
            (SC.INVALID_ARGUMENT, "extra.conduct"),
            (SC.INVALID_ARGUMENT, "declaration"),
            (SC.INVALID_ARGUMENT, "subject.identifier"),
            (SC.INVALID_ARGUMENT, "occurred_at"),
            (SC.INVALID_ARGUMENT, "source_record_id"),
            (SC.INVALID_ARGUMENT, "source_record_id"),
        ]
        with self.calls("town-bicheng") as t:
            resp = t.push_su(*batch)
            self.assertResults(resp, batch, expected)
        with self.calls("office") as o:
            stored = o.list_all("gov", legal_ref(uscc))
            # A code that fails its check names no subject: the query is refused.
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.gov.ListRecords,
                                R.ListRecordsRequest(subject=legal_ref(BAD_USCC)),
                                contains="subject.identifier")
        self.assertEqual(ids_of(stored), sorted(resp.results[i].record_id for i in (0, 1, 11)))
        kept = {r.meta.source_record_id: r for r in stored}
        self.assertEqual(kept[good.source_record_id].meta.section, "GOOD_CONDUCT",
                         "the first of two records with one source id is the one stored")
        self.assertIn("future", resp.results[13].reason)

    def test_empty_batch_and_batch_of_1001_are_invalid_argument_naming_records(self):
        uscc = fresh_uscc()
        prefix = fresh_src("su4")
        big = [declaration_input("%s-%04d" % (prefix, i), legal_subject(uscc))
               for i in range(1001)]
        with self.calls("town-bicheng") as t:
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.PushBatch,
                                SU.ServiceUnitBatchRequest(), contains="records")
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.PushBatch,
                                SU.ServiceUnitBatchRequest(records=big), contains="records")
            self.assertEqual(t.list_all("open", legal_ref(uscc)), [])
            # 1000 is the limit, not 1001.
            ok = t.su.PushBatch(SU.ServiceUnitBatchRequest(records=big[:1000]),
                                timeout=STREAM_TIMEOUT)
        self.assertEqual((ok.accepted, ok.rejected), (1000, 0))

    def test_only_service_units_and_the_office_push_declarations(self):
        uscc = fresh_uscc()
        for who in ("market", "bank-a", "assoc-platform", "portal", "subj-acme", "city"):
            for section in ("GOOD_CONDUCT", "BAD_CONDUCT"):
                with self.subTest(unit=who, section=section), self.calls(who) as c:
                    resp = c.push_su(declaration_input(fresh_src("su5-" + who),
                                                       legal_subject(uscc), section))
                    self.assertRejected(resp.results[0], 0, SC.PERMISSION_DENIED, "section")
                    self.assertEqual((resp.accepted, resp.rejected), (0, 1))
        with self.calls("office") as o:
            self.assertEqual(o.list_all("gov", legal_ref(uscc)), [])
            resp = o.push_su(declaration_input(fresh_src("su5-office"), legal_subject(uscc),
                                               "BAD_CONDUCT"))
            self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
            got = o.get("gov", resp.results[0].record_id).record
        self.assertEqual((got.meta.source_unit, R.Channel.Name(got.meta.channel)),
                         ("office", "CHANNEL_DIRECT_PUSH"),
                         "the office's usual channel is DIRECT_PUSH")

    def test_a_missing_channel_is_service_window_and_naming_it_is_the_same_content(self):
        uscc = fresh_uscc()
        rec = declaration_input(fresh_src("su6"), legal_subject(uscc))
        explicit = copy_of(rec)
        explicit.channel = R.CHANNEL_SERVICE_WINDOW
        docked = copy_of(rec)
        docked.channel = R.CHANNEL_SYSTEM_DOCKING
        with self.calls("town-bicheng") as t:
            rid = t.push_su(rec).results[0].record_id
            self.assertEqual(R.Channel.Name(t.get("open", rid).record.meta.channel),
                             "CHANNEL_SERVICE_WINDOW")
            again = t.push_su(explicit)
            self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=rid)
            other = t.push_su(docked)
            self.assertResult(other.results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertEqual(R.Channel.Name(t.get("open", rid).record.meta.channel),
                             "CHANNEL_SYSTEM_DOCKING")

    def test_a_source_record_keeps_its_subject(self):
        rec = declaration_input(fresh_src("su7"), legal_subject(fresh_uscc()))
        moved = copy_of(rec)
        moved.subject.identifier = fresh_uscc()
        with self.calls("town-bicheng") as t:
            self.assertResult(t.push_su(rec).results[0], 0, R.PUSH_OUTCOME_CREATED)
            self.assertRejected(t.push_su(moved).results[0], 0, SC.FAILED_PRECONDITION,
                                "subject")

    def test_a_source_record_id_pushed_to_another_catalogue_leaves_the_declaration_alone(self):
        """The office pushes to every catalogue. Its declaration is a SERVICE_UNIT record, and
        Correct and Withdraw refuse to change it through another catalogue's service; a push
        through another service with the same source_record_id (and subject) must not either:
        it is a record of its own (PUSH_OUTCOME_CREATED, another id) or refused, never a new version that
        moves the declaration into another catalogue."""
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        others = {
            "VoluntaryDeclaration": lambda o, src: o.push_vol(claim_input(src, subj)),
            "PublicCreditCollection": lambda o, src: o.push(
                R.PublicRecordInput(
                    source_record_id=src, category=R.CATEGORY_REWARD, subject=subj,
                    occurred_at=tstamp(days_ago(10)),
                    action=R.Action(document_number="璧信奖〔%s〕" % src, title="诚信示范 award",
                                    content="诚信经营示范单位", decision_date=pdate(days_ago(10)),
                                    authority="区信用联席办公室", authority_uscc=OFFICE_USCC))),
            "AssociationCollection": lambda o, src: o.push_assoc(
                member_input(src, fresh_assoc_uscc(), subj)),
        }
        for service, push in others.items():
            with self.subTest(service=service), self.calls("office") as o:
                decl = declaration_input(fresh_src("su-x"), subj)
                rid = o.push_su(decl).results[0].record_id
                resp = push(o, decl.source_record_id)
                res = resp.results[0]
                observe("office: a %s push with the source_record_id of its declaration: %s %s"
                        " %s" % (service, R.PushOutcome.Name(res.outcome), res.field,
                                 res.reason or res.record_id))
                self.assertNotEqual(res.record_id, rid,
                                    "%s PushBatch made %s version %d of the SERVICE_UNIT "
                                    "declaration %s" % (service, R.PushOutcome.Name(res.outcome),
                                                        res.version, rid))
                if res.outcome != R.PUSH_OUTCOME_REJECTED:
                    self.assertResult(res, 0, R.PUSH_OUTCOME_CREATED, version=1)
                try:
                    got = o.get("gov", rid)
                except grpc.RpcError as e:
                    self.fail("the declaration %s is gone from the government tier: %s %s"
                              % (rid, e.code().name, e.details()))
                m = got.record.meta
                self.assertEqual((R.Catalogue.Name(m.catalogue), m.section, m.version,
                                  got.record.WhichOneof("body")),
                                 ("CATALOGUE_SERVICE_UNIT", "GOOD_CONDUCT", 1, "declaration"))
                self.assertEqual(len(got.history), 0)
                self.assertIn(rid, ids_of(o.list_all("open", legal_ref(uscc),
                                                     catalogues=[R.CATALOGUE_SERVICE_UNIT])))

    def test_correct_only_by_the_source_unit_with_a_reason_through_its_own_service(self):
        uscc = fresh_uscc()
        rec = declaration_input(fresh_src("su8"), legal_subject(uscc), "BAD_CONDUCT")
        fixed = copy_of(rec)
        fixed.declaration.conduct = "拖欠物业费六个月 six months of fees unpaid (corrected)"
        reason = "月数有误 the months were misstated"
        with self.calls("town-bicheng") as t:
            rid = t.push_su(rec).results[0].record_id
        for who in ("market", "office", "assoc-platform"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.su.Correct,
                                    SU.ServiceUnitCorrectRequest(record_id=rid, record=fixed,
                                                                 reason=reason))
        with self.calls("town-bicheng") as t:
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.Correct,
                                SU.ServiceUnitCorrectRequest(record_id=rid, record=fixed),
                                contains="reason")
            other_src = copy_of(fixed)
            other_src.source_record_id = fresh_src("su8-other")
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.Correct,
                                SU.ServiceUnitCorrectRequest(record_id=rid, record=other_src,
                                                             reason=reason),
                                contains="source_record_id")
            future = copy_of(fixed)
            future.declaration.conduct_date.CopyFrom(pdate(future_day()))
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.Correct,
                                SU.ServiceUnitCorrectRequest(record_id=rid, record=future,
                                                             reason=reason),
                                contains="declaration.conduct_date")
            # Through another catalogue's service: refused before its input is even read.
            as_assoc = governance_input(rec.source_record_id, fresh_assoc_uscc())
            self.assertRpcFails(SC.FAILED_PRECONDITION, t.assoc.Correct,
                                A.AssociationCorrectRequest(record_id=rid, record=as_assoc,
                                                            reason=reason))
            as_public = licence_input(rec.source_record_id, uscc)
            self.assertRpcFails(SC.FAILED_PRECONDITION, t.collect.Correct,
                                R.CorrectRequest(record_id=rid, record=as_public, reason=reason))
            res = t.su.Correct(SU.ServiceUnitCorrectRequest(record_id=rid, record=fixed,
                                                            reason=reason),
                               timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertRpcFails(SC.FAILED_PRECONDITION, t.su.Correct,
                                SU.ServiceUnitCorrectRequest(record_id=rid, record=fixed,
                                                             reason=reason))
        with self.calls("office") as o:
            got = o.get("gov", rid)
        self.assertEqual((got.record.meta.version, got.record.meta.change_reason),
                         (2, reason))
        self.assertEqual(got.record.declaration.conduct, fixed.declaration.conduct)
        self.assertEqual(got.history[0].declaration.conduct, rec.declaration.conduct)
        # A public record is not corrected through the service-unit service either.
        pub = licence_input(fresh_src("su8-pub"), uscc)
        with self.calls("market") as m:
            pid = m.push(pub).results[0].record_id
            self.assertRpcFails(SC.FAILED_PRECONDITION, m.su.Correct,
                                SU.ServiceUnitCorrectRequest(
                                    record_id=pid, reason=reason,
                                    record=declaration_input(pub.source_record_id,
                                                             legal_subject(uscc))))

    def test_withdraw_only_by_the_source_unit_with_a_reason_through_its_own_service(self):
        uscc = fresh_uscc()
        rec = declaration_input(fresh_src("su9"), legal_subject(uscc))
        reason = "重复申报 declared twice"
        with self.calls("town-bicheng") as t:
            rid = t.push_su(rec).results[0].record_id
        for who in ("market", "office"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.su.Withdraw,
                                    R.WithdrawRequest(record_id=rid, reason=reason))
        with self.calls("town-bicheng") as t:
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.Withdraw,
                                R.WithdrawRequest(record_id=rid), contains="reason")
            for stub in (t.vol, t.assoc, t.collect):
                with self.subTest(service=type(stub).__name__):
                    self.assertRpcFails(SC.FAILED_PRECONDITION, stub.Withdraw,
                                        R.WithdrawRequest(record_id=rid, reason=reason))
            res = t.su.Withdraw(R.WithdrawRequest(record_id=rid, reason=reason),
                                timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertRpcFails(SC.FAILED_PRECONDITION, t.su.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason=reason))
            self.assertRpcFails(SC.NOT_FOUND, t.open.GetRecord,
                                R.GetRecordRequest(record_id=rid))
            self.assertEqual(t.list_all("open", legal_ref(uscc)), [])
        with self.calls("office") as o:
            got = o.get("gov", rid).record
        self.assertTrue(got.meta.status.withdrawn)
        self.assertEqual(got.meta.change_reason, reason)
        # Pushed again, it stays withdrawn: only Reinstate, with a reason, brings it back.
        with self.calls("town-bicheng") as t:
            again = t.push_su(rec)
            self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=2, record_id=rid)
            self.assertTrue(again.results[0].status.withdrawn)
            self.assertEqual(again.results[0].matched_version, 2)  # the withdrawal's content
            self.assertRpcFails(SC.NOT_FOUND, t.open.GetRecord, R.GetRecordRequest(record_id=rid))
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.su.Reinstate,
                                R.ReinstateRequest(record_id=rid), contains="reason")
            res = t.su.Reinstate(R.ReinstateRequest(record_id=rid, reason="误撤回 withdrawn by mistake"),
                                 timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3, record_id=rid)
            self.assertFalse(res.status.withdrawn)
            self.assertFalse(t.get("open", rid).record.meta.status.withdrawn)
            self.assertRpcFails(SC.FAILED_PRECONDITION, t.su.Reinstate,
                                R.ReinstateRequest(record_id=rid, reason="again"))


# --- 2. AssociationCollection ------------------------------------------------------------------

class AssociationCollectionTests(SharedNodeCase):

    def test_a_mandate_lets_the_platform_push_and_its_revocation_stops_it(self):
        uscc = fresh_assoc_uscc()
        rec = governance_input(fresh_src("as1"), uscc)
        with self.calls(PLATFORM) as p:
            resp = p.push_assoc(rec)
            self.assertRejected(resp.results[0], 0, SC.PERMISSION_DENIED, "association.uscc")
        with self.calls("office") as o:
            self.assertEqual(o.list_all("gov", R.SubjectRef(kind=R.SUBJECT_KIND_SOCIAL_ORGANISATION,
                                                            identifier=uscc)), [])
            m = o.register(uscc)
            self.assertEqual((m.platform, m.association.uscc, m.association.name,
                              m.registered_by, m.revoked),
                             (PLATFORM, uscc, assoc_name(uscc), "office", False))
            self.assertGreater(m.registered_at.seconds, 0)
            self.assertRpcFails(SC.ALREADY_EXISTS, o.assoc.RegisterMandate,
                                A.RegisterMandateRequest(platform=PLATFORM,
                                                         association=assoc_ref(uscc)))
        with self.calls(PLATFORM) as p:
            first = p.push_assoc(rec)
            self.assertResult(first.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
            rid = first.results[0].record_id
            self.assertResult(p.push_assoc(rec).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1,
                              record_id=rid)
            changed = copy_of(rec)
            changed.governance.rule_application = "本年度警告3家会员 three members warned"
            self.assertResult(p.push_assoc(changed).results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=2,
                              record_id=rid)
        with self.calls("office") as o:
            got = o.get("gov", rid)
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.assoc.RevokeMandate,
                                A.RevokeMandateRequest(platform=PLATFORM, association_uscc=uscc),
                                contains="reason")
            revoked = o.revoke(uscc, reason="协会注销 the association was dissolved")
            self.assertEqual((revoked.platform, revoked.association.uscc, revoked.revoked,
                              revoked.reason),
                             (PLATFORM, uscc, True, "协会注销 the association was dissolved"))
            self.assertGreater(revoked.revoked_at.seconds, 0)
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.assoc.RevokeMandate,
                                A.RevokeMandateRequest(platform=PLATFORM, association_uscc=uscc,
                                                       reason="again"))
        meta = got.record.meta
        self.assertEqual((R.Catalogue.Name(meta.catalogue), meta.section, meta.source_unit,
                          R.Channel.Name(meta.channel), meta.version),
                         ("CATALOGUE_ASSOCIATION", "GOVERNANCE", PLATFORM,
                          "CHANNEL_ASSOCIATION_BATCH", 2))
        self.assertEqual(meta.association, assoc_ref(uscc))
        self.assertEqual(got.record.governance, changed.governance)
        self.assertEqual([h.meta.version for h in got.history], [1])
        with self.calls(PLATFORM) as p:
            later = governance_input(fresh_src("as1-later"), uscc)
            self.assertRejected(p.push_assoc(later).results[0], 0, SC.PERMISSION_DENIED,
                                "association.uscc")
            again = copy_of(changed)
            again.governance.remarks = "撤销后 after the revocation"
            self.assertRejected(p.push_assoc(again).results[0], 0, SC.PERMISSION_DENIED,
                                "association.uscc")
        # A revoked mandate may be registered again.
        with self.calls("office") as o:
            renewed = o.register(uscc)
            self.assertFalse(renewed.revoked)
        with self.calls(PLATFORM) as p:
            self.assertResult(p.push_assoc(later).results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)

    def test_a_revoked_mandate_stays_listed_when_the_mandate_is_registered_again(self):
        """mandates.h and the README: a revoked mandate stays, marked revoked, with why; the
        history of who acted for whom is kept. Registering the mandate again later must not
        erase the earlier one and its revocation."""
        uscc = fresh_assoc_uscc()
        reason = "会员大会决议更换平台 the general assembly chose another platform"
        with self.calls("office") as o:
            first = o.register(uscc)
            o.revoke(uscc, reason=reason)
            renewed = o.register(uscc)
            listed = [m for m in o.mandates() if m.association.uscc == uscc]
        with self.calls(PLATFORM) as p:
            own = [m for m in p.mandates() if m.association.uscc == uscc]
        self.assertFalse(renewed.revoked)
        for who, ms in (("office", listed), ("platform", own)):
            with self.subTest(reader=who):
                states = sorted((m.revoked, m.reason, m.registered_at.seconds) for m in ms)
                self.assertIn((False, "", renewed.registered_at.seconds), states)
                self.assertIn((True, reason, first.registered_at.seconds), states,
                              "the revoked mandate (registered %d, revoked: %r) is no longer "
                              "listed: %s" % (first.registered_at.seconds, reason, states))

    def test_mandates_are_registered_and_revoked_by_the_office_alone_with_their_codes(self):
        uscc = fresh_assoc_uscc()
        for who in ("market", "town-bicheng", PLATFORM, "bank-a", "portal", "city"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.register, uscc)
                self.assertRpcFails(SC.PERMISSION_DENIED, c.revoke, uscc)
        with self.calls("office") as o:
            self.assertEqual([m for m in o.mandates() if m.association.uscc == uscc], [],
                             "a refused RegisterMandate left a mandate")
            for platform in ("town-bicheng", "market", "office", "portal"):
                with self.subTest(platform=platform):
                    self.assertRpcFails(SC.FAILED_PRECONDITION, o.register, uscc,
                                        platform=platform, contains="UNIT_KIND_ASSOCIATION_PLATFORM")
            self.assertRpcFails(SC.NOT_FOUND, o.register, uscc, platform="no-such-platform")
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.register, BAD_USCC,
                                contains="association.uscc")
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.register, "", contains="association.uscc")
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.register, uscc, name="",
                                contains="association.name")
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.assoc.RegisterMandate,
                                A.RegisterMandateRequest(platform=PLATFORM),
                                contains="association")
            for bad in ("", "Assoc-Platform", "assoc platform"):
                with self.subTest(platform=bad):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, o.register, uscc, platform=bad,
                                        contains="platform")
            self.assertRpcFails(SC.NOT_FOUND, o.revoke, uscc)
            self.assertEqual([m for m in o.mandates() if m.association.uscc == uscc], [])
            o.register(uscc)
            self.assertRpcFails(SC.ALREADY_EXISTS, o.register, uscc)
            o.revoke(uscc)
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.revoke, uscc)

    def test_list_mandates_office_sees_all_a_platform_its_own_others_nothing(self):
        live, gone = fresh_assoc_uscc(), fresh_assoc_uscc()
        with self.calls("office") as o:
            o.register(live)
            o.register(gone)
            o.revoke(gone, reason="平台协议终止 agreement ended")
            everything = o.mandates()
            filtered = o.mandates(PLATFORM)
            self.assertEqual(o.mandates("town-bicheng"), [])
        mine = {m.association.uscc: m for m in everything if m.association.uscc in (live, gone)}
        self.assertEqual(set(mine), {live, gone})
        self.assertFalse(mine[live].revoked)
        self.assertTrue(mine[gone].revoked)
        self.assertEqual(mine[gone].reason, "平台协议终止 agreement ended")
        self.assertEqual({m.platform for m in filtered}, {PLATFORM})
        self.assertTrue({live, gone} <= {m.association.uscc for m in filtered})
        with self.calls(PLATFORM) as p:
            own = p.mandates()
            self.assertEqual({m.platform for m in own}, {PLATFORM})
            self.assertTrue({live, gone} <= {m.association.uscc for m in own})
            self.assertEqual(len(p.mandates(PLATFORM)), len(own))
            self.assertRpcFails(SC.PERMISSION_DENIED, p.mandates, "ind-platform")
        for who in ("market", "town-bicheng", "bank-a", "portal", "subj-acme"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.mandates)
                self.assertRpcFails(SC.PERMISSION_DENIED, c.mandates, PLATFORM)

    def test_only_the_platform_and_the_office_push_association_records(self):
        uscc = fresh_assoc_uscc()
        member = legal_subject(fresh_uscc())
        with self.calls("office") as o:
            o.register(uscc)
        for who in ("town-bicheng", "market", "bank-a", "portal", "subj-acme", "ind-platform"):
            with self.subTest(unit=who), self.calls(who) as c:
                resp = c.push_assoc(governance_input(fresh_src("as4-" + who), uscc),
                                    member_input(fresh_src("as4-" + who), uscc, member))
                self.assertRejected(resp.results[0], 0, SC.PERMISSION_DENIED, "section")
                self.assertRejected(resp.results[1], 1, SC.PERMISSION_DENIED, "section")
        # The office needs no mandate, for this association or any other.
        other = fresh_assoc_uscc()
        recs = [governance_input(fresh_src("as4-office"), other),
                member_input(fresh_src("as4-office"), other, member)]
        with self.calls("office") as o:
            resp = o.push_assoc(*recs)
            self.assertResults(resp, recs, [(R.PUSH_OUTCOME_CREATED, 1), (R.PUSH_OUTCOME_CREATED, 1)])
            got = o.get("gov", resp.results[1].record_id).record
        self.assertEqual((got.meta.source_unit, R.Channel.Name(got.meta.channel),
                          got.meta.section), ("office", "CHANNEL_DIRECT_PUSH", "MEMBER"))
        self.assertEqual(got.meta.association, assoc_ref(other))

    def test_batch_rejects_each_bad_record_with_code_and_field_and_stores_only_the_good(self):
        uscc = fresh_assoc_uscc()
        no_mandate = fresh_assoc_uscc()
        member_uscc = fresh_uscc()
        member = legal_subject(member_uscc)
        with self.calls("office") as o:
            o.register(uscc)

        def gov(prefix="as5"):
            return governance_input(fresh_src(prefix), uscc)

        def mem(prefix="as5"):
            return member_input(fresh_src(prefix), uscc, member)

        good_gov, good_mem = gov(), mem()
        gov_with_member = gov()
        gov_with_member.member.CopyFrom(mem().member)           # the oneof switches body
        mem_with_gov = mem()
        mem_with_gov.governance.CopyFrom(gov().governance)
        public_section = gov()
        public_section.section = "PENALTY"
        su_section = mem()
        su_section.section = "GOOD_CONDUCT"
        no_section = gov()
        no_section.section = ""
        no_team = gov()
        no_team.governance.team = ""
        no_rules = gov()
        no_rules.governance.rules = "\n"
        future_report = gov()
        future_report.governance.reported_on.CopyFrom(pdate(future_day()))
        future_eval = mem()
        future_eval.member.evaluated_on.CopyFrom(pdate(future_day()))
        no_eval = mem()
        no_eval.member.ClearField("evaluated_on")
        bad_assoc = mem()
        bad_assoc.association.uscc = BAD_USCC
        short_assoc = mem()
        short_assoc.association.uscc = "51500227MJ"
        no_assoc_name = gov()
        no_assoc_name.association.name = ""
        municipal = gov()
        municipal.channel = R.CHANNEL_MUNICIPAL_SYNC
        window = mem()
        window.channel = R.CHANNEL_SERVICE_WINDOW
        docked = mem()
        docked.channel = R.CHANNEL_SYSTEM_DOCKING                # open to the platform
        not_a_dimension = mem()
        not_a_dimension.extra["favourite_colour"].CopyFrom(text("blue"))
        no_body = gov()
        no_body.ClearField("governance")
        unmandated = member_input(fresh_src("as5"), no_mandate, member)
        dup = mem()
        dup.source_record_id = good_mem.source_record_id
        batch = [good_gov, good_mem, gov_with_member, mem_with_gov, public_section, su_section,
                 no_section, no_team, no_rules, future_report, future_eval, no_eval, bad_assoc,
                 short_assoc, no_assoc_name, municipal, window, docked, not_a_dimension,
                 no_body, unmandated, dup]
        expected = [
            (R.PUSH_OUTCOME_CREATED, 1),
            (R.PUSH_OUTCOME_CREATED, 1),
            (SC.INVALID_ARGUMENT, "member"),
            (SC.INVALID_ARGUMENT, "governance"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "governance.team"),
            (SC.INVALID_ARGUMENT, "governance.rules"),
            (SC.INVALID_ARGUMENT, "governance.reported_on"),
            (SC.INVALID_ARGUMENT, "member.evaluated_on"),
            (SC.INVALID_ARGUMENT, "member.evaluated_on"),
            (SC.INVALID_ARGUMENT, "association.uscc"),
            (SC.INVALID_ARGUMENT, "association.uscc"),
            (SC.INVALID_ARGUMENT, "association.name"),
            (SC.INVALID_ARGUMENT, "channel"),
            (SC.INVALID_ARGUMENT, "channel"),
            (R.PUSH_OUTCOME_CREATED, 1),
            (SC.INVALID_ARGUMENT, "extra.favourite_colour"),
            (SC.INVALID_ARGUMENT, "governance"),
            (SC.PERMISSION_DENIED, "association.uscc"),
            (SC.INVALID_ARGUMENT, "source_record_id"),
        ]
        with self.calls(PLATFORM) as p:
            resp = p.push_assoc(*batch)
            self.assertResults(resp, batch, expected)
        with self.calls("office") as o:
            assoc_recs = o.list_all("gov", R.SubjectRef(kind=R.SUBJECT_KIND_SOCIAL_ORGANISATION,
                                                        identifier=uscc))
            member_recs = o.list_all("gov", legal_ref(member_uscc))
        self.assertEqual(ids_of(assoc_recs), [resp.results[0].record_id])
        self.assertEqual(ids_of(member_recs),
                         sorted([resp.results[1].record_id, resp.results[17].record_id]))
        channels = {r.meta.record_id: R.Channel.Name(r.meta.channel) for r in member_recs}
        self.assertEqual(channels[resp.results[1].record_id], "CHANNEL_ASSOCIATION_BATCH")
        self.assertEqual(channels[resp.results[17].record_id], "CHANNEL_SYSTEM_DOCKING")

    def test_empty_batch_and_batch_of_1001_are_invalid_argument_and_a_stream_is_one_call(self):
        uscc, other = fresh_assoc_uscc(), fresh_assoc_uscc()
        with self.calls("office") as o:
            o.register(uscc)
        prefix = fresh_src("as6")
        big = [governance_input("%s-%04d" % (prefix, i), uscc) for i in range(1001)]
        member = legal_subject(fresh_uscc())
        first = member_input(fresh_src("as6-s"), uscc, member)
        changed = copy_of(first)
        changed.member.rating = "AA"
        unmandated = member_input(fresh_src("as6-s"), other, member)
        records = [first, unmandated, first, changed]
        with self.calls(PLATFORM) as p:
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.PushBatch,
                                A.AssociationBatchRequest(), contains="records")
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.PushBatch,
                                A.AssociationBatchRequest(records=big), contains="records")
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.Push, iter([]), contains="records")
            self.assertEqual(p.list_all("open", R.SubjectRef(kind=R.SUBJECT_KIND_SOCIAL_ORGANISATION,
                                                             identifier=uscc)), [])
            resp = p.assoc.Push(iter(records), timeout=CALL_TIMEOUT)
        # A source record appears once per call: the repeats are refused, whatever they hold.
        self.assertResults(resp, records, [(R.PUSH_OUTCOME_CREATED, 1),
                                           (SC.PERMISSION_DENIED, "association.uscc"),
                                           (SC.INVALID_ARGUMENT, "source_record_id"),
                                           (SC.INVALID_ARGUMENT, "source_record_id")])

    def test_correct_and_withdraw_only_by_the_source_unit_through_its_own_service(self):
        uscc = fresh_assoc_uscc()
        member = legal_subject(fresh_uscc())
        rec = member_input(fresh_src("as7"), uscc, member)
        fixed = copy_of(rec)
        fixed.member.rule_compliance = "无违规 no violation (the warning was set aside)"
        reason = "警告已撤销 the warning was set aside"
        with self.calls("office") as o:
            o.register(uscc)
        with self.calls(PLATFORM) as p:
            rid = p.push_assoc(rec).results[0].record_id
        for who in ("office", "town-bicheng", "market"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.assoc.Correct,
                                    A.AssociationCorrectRequest(record_id=rid, record=fixed,
                                                                reason=reason))
                self.assertRpcFails(SC.PERMISSION_DENIED, c.assoc.Withdraw,
                                    R.WithdrawRequest(record_id=rid, reason=reason))
        with self.calls(PLATFORM) as p:
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.Correct,
                                A.AssociationCorrectRequest(record_id=rid, record=fixed),
                                contains="reason")
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.Correct,
                                A.AssociationCorrectRequest(record_id=rid, reason=reason),
                                contains="record")
            future = copy_of(fixed)
            future.member.evaluated_on.CopyFrom(pdate(future_day()))
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.Correct,
                                A.AssociationCorrectRequest(record_id=rid, record=future,
                                                            reason=reason),
                                contains="member.evaluated_on")
            self.assertRpcFails(SC.FAILED_PRECONDITION, p.su.Correct,
                                SU.ServiceUnitCorrectRequest(
                                    record_id=rid, reason=reason,
                                    record=declaration_input(rec.source_record_id, member)))
            self.assertRpcFails(SC.FAILED_PRECONDITION, p.su.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason=reason))
            self.assertRpcFails(SC.FAILED_PRECONDITION, p.vol.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason=reason))
            res = p.assoc.Correct(A.AssociationCorrectRequest(record_id=rid, record=fixed,
                                                              reason=reason),
                                  timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.assoc.Withdraw,
                                R.WithdrawRequest(record_id=rid), contains="reason")
            res = p.assoc.Withdraw(R.WithdrawRequest(record_id=rid, reason="会员退会 left"),
                                   timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3, record_id=rid)
            self.assertRpcFails(SC.NOT_FOUND, p.open.GetRecord, R.GetRecordRequest(record_id=rid))
        with self.calls("office") as o:
            got = o.get("gov", rid)
        self.assertEqual(got.record.member.rule_compliance, fixed.member.rule_compliance)
        self.assertTrue(got.record.meta.status.withdrawn)
        self.assertEqual([(h.meta.version, h.meta.change_reason) for h in got.history],
                         [(1, ""), (2, reason)])

    def test_a_correction_needs_a_live_mandate(self):
        uscc = fresh_assoc_uscc()
        rec = governance_input(fresh_src("as8"), uscc)
        fixed = copy_of(rec)
        fixed.governance.team = "会长 王五 president Wang Wu (secretary-general left)"
        with self.calls("office") as o:
            o.register(uscc)
        with self.calls(PLATFORM) as p:
            rid = p.push_assoc(rec).results[0].record_id
        with self.calls("office") as o:
            o.revoke(uscc)
        with self.calls(PLATFORM) as p:
            self.assertRpcFails(SC.PERMISSION_DENIED, p.assoc.Correct,
                                A.AssociationCorrectRequest(record_id=rid, record=fixed,
                                                            reason="人员变动 staff change"),
                                contains="association.uscc")


# --- 3. VoluntaryDeclaration -------------------------------------------------------------------

class VoluntaryDeclarationTests(SharedNodeCase):

    def pending_by_id(self):
        with self.calls("office") as o:
            return {r.meta.record_id: r for r in o.pending()}

    def test_a_subject_declares_only_about_itself(self):
        own = claim_input(fresh_src("vd1-own"), acme_subject())
        other = claim_input(fresh_src("vd1-other"), legal_subject(fresh_uscc()))
        person = claim_input(fresh_src("vd1-person"), person_subject(fresh_person_id()), "AWARD")
        window = claim_input(fresh_src("vd1-window"), acme_subject(), "HONOUR")
        window.channel = R.CHANNEL_SERVICE_WINDOW
        batch = [own, other, person, window]
        with self.calls("subj-acme") as s:
            resp = s.push_vol(*batch)
        self.assertResults(resp, batch, [(R.PUSH_OUTCOME_CREATED, 1),
                                         (SC.PERMISSION_DENIED, "subject.identifier"),
                                         (SC.PERMISSION_DENIED, "subject.identifier"),
                                         (SC.INVALID_ARGUMENT, "channel")])
        pending = self.pending_by_id()
        got = pending.get(resp.results[0].record_id)
        self.assertIsNotNone(got, "the declaration is not in the office's ListPending")
        self.assertEqual((R.Catalogue.Name(got.meta.catalogue), got.meta.section,
                          got.meta.source_unit, R.Channel.Name(got.meta.channel),
                          R.Verification.Name(got.meta.status.verification)),
                         ("CATALOGUE_VOLUNTARY", "CHARITY", "subj-acme",
                          "CHANNEL_SELF_DECLARATION", "VERIFICATION_PENDING"))
        self.assertEqual(got.claim, own.claim)

    def test_the_portal_declares_for_anyone_and_the_office_may_too(self):
        company = claim_input(fresh_src("vd2-co"), legal_subject(fresh_uscc()))
        pid = fresh_person_id()
        person = claim_input(fresh_src("vd2-person"), person_subject(pid), "AWARD")
        acme = claim_input(fresh_src("vd2-acme"), acme_subject(), "HONOUR")
        window = claim_input(fresh_src("vd2-window"), legal_subject(fresh_uscc()))
        window.channel = R.CHANNEL_SERVICE_WINDOW
        direct = claim_input(fresh_src("vd2-direct"), legal_subject(fresh_uscc()))
        direct.channel = R.CHANNEL_DIRECT_PUSH
        batch = [company, person, acme, window, direct]
        with self.calls("portal") as p:
            resp = p.push_vol(*batch)
        self.assertResults(resp, batch, [(R.PUSH_OUTCOME_CREATED, 1), (R.PUSH_OUTCOME_CREATED, 1), (R.PUSH_OUTCOME_CREATED, 1),
                                         (R.PUSH_OUTCOME_CREATED, 1), (SC.INVALID_ARGUMENT, "channel")])
        office_rec = claim_input(fresh_src("vd2-office"), legal_subject(fresh_uscc()))
        with self.calls("office") as o:
            oresp = o.push_vol(office_rec)
        self.assertResult(oresp.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
        pending = self.pending_by_id()
        channels = {i: R.Channel.Name(pending[resp.results[i].record_id].meta.channel)
                    for i in range(4) if resp.results[i].record_id in pending}
        self.assertEqual(channels, {0: "CHANNEL_SELF_DECLARATION", 1: "CHANNEL_SELF_DECLARATION",
                                    2: "CHANNEL_SELF_DECLARATION", 3: "CHANNEL_SERVICE_WINDOW"})
        self.assertEqual(pending[resp.results[1].record_id].meta.subject.identifier, pid)
        self.assertEqual(R.Channel.Name(pending[oresp.results[0].record_id].meta.channel),
                         "CHANNEL_DIRECT_PUSH")

    def test_no_other_unit_declares(self):
        uscc = fresh_uscc()
        for who in ("market", "town-bicheng", "bank-a", PLATFORM, "city"):
            for section in ("CHARITY", "AWARD", "HONOUR"):
                with self.subTest(unit=who, section=section), self.calls(who) as c:
                    resp = c.push_vol(claim_input(fresh_src("vd3-" + who), legal_subject(uscc),
                                                  section))
                    self.assertRejected(resp.results[0], 0, SC.PERMISSION_DENIED, "section")

    def test_push_batch_and_stream_created_unchanged_new_version_and_batch_limits(self):
        subj = legal_subject(fresh_uscc())
        a = claim_input(fresh_src("vd4-a"), subj)
        b = claim_input(fresh_src("vd4-b"), subj, "AWARD")
        with self.calls("portal") as p:
            first = p.push_vol(a, b)
            self.assertResults(first, [a, b], [(R.PUSH_OUTCOME_CREATED, 1), (R.PUSH_OUTCOME_CREATED, 1)])
            ids = [r.record_id for r in first.results]
            again = p.push_vol(a, b)
            self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[0])
            self.assertResult(again.results[1], 1, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[1])
            changed = copy_of(b)
            changed.claim.content = "区级二等奖 second prize, district level"
            dup = copy_of(a)
            dup.claim.remarks = "重复 repeated"
            third = p.push_vol(a, changed, dup)
            self.assertResults(third, [a, changed, dup],
                               [(R.PUSH_OUTCOME_UNCHANGED, 1), (R.PUSH_OUTCOME_NEW_VERSION, 2),
                                (SC.INVALID_ARGUMENT, "source_record_id")])
            c = claim_input(fresh_src("vd4-c"), subj, "HONOUR")
            c2 = copy_of(c)
            c2.claim.title = "璧山区文明单位 district civilised unit"
            stream = [c, c, c2, a]
            resp = p.vol.Push(iter(stream), timeout=CALL_TIMEOUT)
            self.assertResults(resp, stream, [(R.PUSH_OUTCOME_CREATED, 1),
                                              (SC.INVALID_ARGUMENT, "source_record_id"),
                                              (SC.INVALID_ARGUMENT, "source_record_id"),
                                              (R.PUSH_OUTCOME_UNCHANGED, 1)])
            self.assertEqual(resp.results[3].record_id, ids[0])
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.vol.Push, iter([]), contains="records")
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.vol.PushBatch, V.VoluntaryBatchRequest(),
                                contains="records")
            big = [claim_input(fresh_src("vd4-big"), subj) for _ in range(1001)]
            self.assertRpcFails(SC.INVALID_ARGUMENT, p.vol.PushBatch,
                                V.VoluntaryBatchRequest(records=big), contains="records")
        pending = self.pending_by_id()
        self.assertEqual(pending[ids[1]].meta.version, 2)
        self.assertEqual(pending[ids[1]].claim.content, changed.claim.content)
        self.assertFalse(any(r.meta.source_record_id.startswith("vd4-big")
                             for r in pending.values()))

    def test_batch_rejects_each_bad_record_with_code_and_field(self):
        subj = legal_subject(fresh_uscc())

        def rec(section="CHARITY"):
            return claim_input(fresh_src("vd5"), subj, section)

        good = rec()
        future = rec()
        future.claim.claimed_on.CopyFrom(pdate(future_day()))
        upper = rec("AWARD")
        upper.claim.evidence.document_digest = DIGEST.upper()
        short = rec()
        short.claim.evidence.document_digest = DIGEST[:63]
        not_hex = rec()
        not_hex.claim.evidence.document_digest = "g" + DIGEST[1:]
        spaced = rec()
        spaced.claim.evidence.document_digest = DIGEST[:32] + " " + DIGEST[33:]
        no_digest = rec()
        no_digest.claim.evidence.document_digest = ""
        no_issuer = rec("HONOUR")
        no_issuer.claim.evidence.issuer = ""
        no_evidence = rec()
        no_evidence.claim.ClearField("evidence")
        future_issue = rec()
        future_issue.claim.evidence.issued_on.CopyFrom(pdate(future_day()))
        no_title = rec()
        no_title.claim.title = ""
        no_date = rec()
        no_date.claim.ClearField("claimed_on")
        su_section = rec()
        su_section.section = "GOOD_CONDUCT"
        no_section = rec()
        no_section.section = ""
        no_body = rec()
        no_body.ClearField("claim")
        not_a_dimension = rec()
        not_a_dimension.extra["amount_yuan"].CopyFrom(R.ExtraValue(integer=50000))
        bad_uscc = claim_input(fresh_src("vd5"), legal_subject(BAD_USCC))
        dup = rec("AWARD")
        dup.source_record_id = good.source_record_id
        batch = [good, future, upper, short, not_hex, spaced, no_digest, no_issuer, no_evidence,
                 future_issue, no_title, no_date, su_section, no_section, no_body,
                 not_a_dimension, bad_uscc, dup]
        expected = [
            (R.PUSH_OUTCOME_CREATED, 1),
            (SC.INVALID_ARGUMENT, "claim.claimed_on"),
            (SC.INVALID_ARGUMENT, "claim.evidence.document_digest"),
            (SC.INVALID_ARGUMENT, "claim.evidence.document_digest"),
            (SC.INVALID_ARGUMENT, "claim.evidence.document_digest"),
            (SC.INVALID_ARGUMENT, "claim.evidence.document_digest"),
            (SC.INVALID_ARGUMENT, "claim.evidence.document_digest"),
            (SC.INVALID_ARGUMENT, "claim.evidence.issuer"),
            (SC.INVALID_ARGUMENT, "claim.evidence.document_digest"),
            (SC.INVALID_ARGUMENT, "claim.evidence.issued_on"),
            (SC.INVALID_ARGUMENT, "claim.title"),
            (SC.INVALID_ARGUMENT, "claim.claimed_on"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "section"),
            (SC.INVALID_ARGUMENT, "claim"),
            (SC.INVALID_ARGUMENT, "extra.amount_yuan"),
            (SC.INVALID_ARGUMENT, "subject.identifier"),
            (SC.INVALID_ARGUMENT, "source_record_id"),
        ]
        with self.calls("portal") as p:
            resp = p.push_vol(*batch)
        self.assertResults(resp, batch, expected)
        stored = [r for r in self.pending_by_id().values()
                  if r.meta.subject.identifier == subj.identifier]
        self.assertEqual(ids_of(stored), [resp.results[0].record_id])

    def test_a_pending_declaration_is_shared_nowhere_until_the_office_verifies_it(self):
        uscc = fresh_uscc()
        rec = claim_input(fresh_src("vd6"), legal_subject(uscc))
        with self.calls("portal") as p:
            rid = p.push_vol(rec).results[0].record_id
        with self.calls("office") as o:
            for tier in ("open", "gov"):
                with self.subTest(tier=tier):
                    self.assertRpcFails(SC.NOT_FOUND, (o.gov if tier == "gov" else o.open)
                                        .GetRecord, R.GetRecordRequest(record_id=rid))
                    self.assertEqual(o.list_all(tier, legal_ref(uscc)), [])
                    self.assertEqual(o.list_all(tier, legal_ref(uscc),
                                                catalogues=[R.CATALOGUE_VOLUNTARY]), [])
            queued = {r.meta.record_id: r for r in o.pending()}
            self.assertIn(rid, queued)
            self.assertEqual(R.Verification.Name(queued[rid].meta.status.verification),
                             "VERIFICATION_PENDING")
            self.assertEqual(queued[rid].meta.subject.legal_representative_id_number, REP_ID)
        with self.calls("bank-a") as b:
            self.assertRpcFails(SC.NOT_FOUND, b.open.GetRecord, R.GetRecordRequest(record_id=rid))
        for who in ("portal", "subj-acme", "market", "bank-a", "city", "town-bicheng"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.vol.ListPending,
                                    V.ListPendingRequest())
                self.assertRpcFails(SC.PERMISSION_DENIED, c.verify, rid)
        with self.calls("office") as o:
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.verify, rid, reason="",
                                contains="reason")
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.verify, rid, reason=" \n ",
                                contains="reason")
            reason = "核对慈善总会收据原件一致 receipt checked against the original"
            res = o.verify(rid, True, reason)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertNotIn(rid, {r.meta.record_id for r in o.pending()})
            err = self.assertRpcFails(SC.FAILED_PRECONDITION, o.verify, rid,
                                      contains="VERIFICATION_VERIFIED")
            observe("Verify of a verified declaration: %r" % err.details())
            gov = o.get("gov", rid)
            gov_list = o.list_all("gov", legal_ref(uscc))
        with self.calls("bank-a") as b:
            opened = b.get("open", rid).record
            open_list = b.list_all("open", legal_ref(uscc))
        for what, r in (("open GetRecord", opened), ("gov GetRecord", gov.record)):
            with self.subTest(what):
                st = r.meta.status
                self.assertEqual((R.Verification.Name(st.verification), st.verification_reason,
                                  st.verified_by),
                                 ("VERIFICATION_VERIFIED", reason, "office"))
                self.assertEqual((r.meta.version, r.meta.section), (2, "CHARITY"))
                self.assertEqual(r.claim.title, rec.claim.title)
        self.assertEqual(ids_of(gov_list), [rid])
        self.assertEqual(ids_of(open_list), [rid])
        self.assertEqual([(h.meta.version, R.Verification.Name(h.meta.status.verification))
                          for h in gov.history], [(1, "VERIFICATION_PENDING")])
        # The same content again changes nothing; new content waits for the office again.
        with self.calls("portal") as p:
            self.assertResult(p.push_vol(rec).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=2,
                              record_id=rid)
            self.assertEqual(p.get("open", rid).record.meta.version, 2)
            changed = copy_of(rec)
            changed.claim.content = "捐款人民币8万元 80,000 yuan given"
            self.assertResult(p.push_vol(changed).results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=3,
                              record_id=rid)
        with self.calls("office") as o:
            for tier in ("open", "gov"):
                with self.subTest("new content", tier=tier):
                    self.assertRpcFails(SC.NOT_FOUND, (o.gov if tier == "gov" else o.open)
                                        .GetRecord, R.GetRecordRequest(record_id=rid))
                    self.assertEqual(o.list_all(tier, legal_ref(uscc)), [])
            queued = {r.meta.record_id: r for r in o.pending()}
            self.assertIn(rid, queued)
            self.assertEqual((queued[rid].meta.version,
                              R.Verification.Name(queued[rid].meta.status.verification)),
                             (3, "VERIFICATION_PENDING"))

    def test_a_rejected_declaration_stays_hidden_and_keeps_its_reason(self):
        uscc = fresh_uscc()
        rec = claim_input(fresh_src("vd7"), legal_subject(uscc), "AWARD")
        reason = "证书编号查无此证 no certificate with that number"
        with self.calls("portal") as p:
            rid = p.push_vol(rec).results[0].record_id
        with self.calls("office") as o:
            res = o.verify(rid, False, reason)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertNotIn(rid, {r.meta.record_id for r in o.pending()})
            for tier in ("open", "gov"):
                with self.subTest(tier=tier):
                    self.assertRpcFails(SC.NOT_FOUND, (o.gov if tier == "gov" else o.open)
                                        .GetRecord, R.GetRecordRequest(record_id=rid))
                    self.assertEqual(o.list_all(tier, legal_ref(uscc)), [])
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.verify, rid, True, "second thoughts",
                                contains="VERIFICATION_REJECTED")
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.verify, rid, False, "again",
                                contains="VERIFICATION_REJECTED")
        with self.calls("portal") as p:
            # The same content stays rejected; new content is a new declaration to verify.
            self.assertResult(p.push_vol(rec).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=2,
                              record_id=rid)
            with self.calls("office") as o:
                self.assertNotIn(rid, {r.meta.record_id for r in o.pending()})
            fixed = copy_of(rec)
            fixed.claim.evidence.reference = "CERT-2025-0042"
            self.assertResult(p.push_vol(fixed).results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=3,
                              record_id=rid)
        with self.calls("office") as o:
            self.assertIn(rid, {r.meta.record_id for r in o.pending()})
            o.verify(rid, True, "新证书编号核对一致 the new number checks out")
            got = o.get("gov", rid)
        self.assertEqual(got.record.meta.version, 4)
        # The government tier keeps every version: the rejection with its reason.
        hist = [(h.meta.version, R.Verification.Name(h.meta.status.verification),
                 h.meta.status.verification_reason, h.meta.status.verified_by)
                for h in got.history]
        self.assertEqual(hist, [(1, "VERIFICATION_PENDING", "", ""),
                                (2, "VERIFICATION_REJECTED", reason, "office"),
                                (3, "VERIFICATION_PENDING", "", "")])

    def test_verify_refuses_what_is_not_a_pending_declaration(self):
        with self.calls("town-bicheng") as t:
            su_id = t.push_su(declaration_input(fresh_src("vd8-su"),
                                                legal_subject(fresh_uscc()))).results[0].record_id
        with self.calls("office") as o:
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.verify, su_id)
            self.assertRpcFails(SC.NOT_FOUND, o.verify, "0" * 32)
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.verify, "not-a-record-id",
                                contains="record_id")
            for size in (-1, 501):
                self.assertRpcFails(SC.INVALID_ARGUMENT, o.vol.ListPending,
                                    V.ListPendingRequest(page_size=size), contains="page_size")
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.vol.ListPending,
                                V.ListPendingRequest(page_token="not-a-token"),
                                contains="page_token")

    def test_list_pending_pages_through_the_whole_queue(self):
        subj = legal_subject(fresh_uscc())
        recs = [claim_input(fresh_src("vd9"), subj) for _ in range(5)]
        with self.calls("portal") as p:
            ids = [r.record_id for r in p.push_vol(*recs).results]
        with self.calls("office") as o:
            whole = o.pending(page_size=500)
            paged = o.pending(page_size=2)
        self.assertEqual([r.meta.record_id for r in paged], [r.meta.record_id for r in whole])
        self.assertEqual(len({r.meta.record_id for r in paged}), len(paged), "a page repeats")
        self.assertTrue(set(ids) <= {r.meta.record_id for r in paged})

    def test_withdraw_only_by_the_source_unit_and_a_withdrawn_declaration_is_not_pending(self):
        own = claim_input(fresh_src("vd10-own"), acme_subject())
        shown = claim_input(fresh_src("vd10-shown"), acme_subject(), "HONOUR")
        reason = "申报有误 declared by mistake"
        with self.calls("subj-acme") as s:
            resp = s.push_vol(own, shown)
            rid, shown_id = [r.record_id for r in resp.results]
        with self.calls("office") as o:
            o.verify(shown_id)
        for who in ("portal", "office", "market"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.vol.Withdraw,
                                    R.WithdrawRequest(record_id=rid, reason=reason))
        with self.calls("subj-acme") as s:
            self.assertRpcFails(SC.INVALID_ARGUMENT, s.vol.Withdraw,
                                R.WithdrawRequest(record_id=rid), contains="reason")
            self.assertRpcFails(SC.FAILED_PRECONDITION, s.su.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason=reason))
            res = s.vol.Withdraw(R.WithdrawRequest(record_id=rid, reason=reason),
                                 timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertRpcFails(SC.FAILED_PRECONDITION, s.vol.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason=reason))
            res = s.vol.Withdraw(R.WithdrawRequest(record_id=shown_id, reason=reason),
                                 timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3, record_id=shown_id)
        with self.calls("office") as o:
            self.assertNotIn(rid, {r.meta.record_id for r in o.pending()})
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.verify, rid)
            self.assertRpcFails(SC.NOT_FOUND, o.open.GetRecord,
                                R.GetRecordRequest(record_id=shown_id))
            got = o.get("gov", shown_id).record
        self.assertTrue(got.meta.status.withdrawn)
        self.assertEqual(R.Verification.Name(got.meta.status.verification),
                         "VERIFICATION_VERIFIED")
        # Declared again, it stays withdrawn; reinstated, it waits for the office again.
        with self.calls("subj-acme") as s:
            self.assertResult(s.push_vol(own).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=2,
                              record_id=rid)
            changed = copy_of(own)
            changed.claim.content = own.claim.content + " (amended)"
            self.assertRejected(s.push_vol(changed).results[0], 0, SC.FAILED_PRECONDITION,
                                "source_record_id")
            res = s.vol.Reinstate(R.ReinstateRequest(record_id=rid, reason="declared again"),
                                  timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3, record_id=rid)
        with self.calls("office") as o:
            self.assertIn(rid, {r.meta.record_id for r in o.pending()})

    # What became of a declaration: its declarant and the office read it in every state.

    def status_of(self, who, rid, tier="open"):
        """(verification, reason, verified_by, withdrawn, version) of `who`'s GetRecord."""
        with self.calls(who) as c:
            m = c.get(tier, rid).record.meta
        return (R.Verification.Name(m.status.verification), m.status.verification_reason,
                m.status.verified_by, m.status.withdrawn, m.version)

    def listed(self, verification, page_size=500):
        """Every declaration ListPending gives the office for `verification`, by record id."""
        out, token = {}, ""
        with self.calls("office") as o:
            for _ in range(1000):
                resp = o.vol.ListPending(V.ListPendingRequest(verification=verification,
                                                              page_size=page_size,
                                                              page_token=token),
                                         timeout=CALL_TIMEOUT)
                out.update((r.meta.record_id, r) for r in resp.records)
                token = resp.next_page_token
                if not token:
                    return out
        raise AssertionError("ListPending never returned an empty next_page_token")

    def assertHiddenFrom(self, rid, uscc, units):
        """Nobody of `units` reads the declaration, in either tier they may use, nor finds it
        listed under its subject."""
        for who in units:
            tiers = ("open", "gov") if who in ("office", "market", "city") else ("open",)
            for tier in tiers:
                with self.subTest(unit=who, tier=tier), self.calls(who) as c:
                    self.assertRpcFails(SC.NOT_FOUND, (c.gov if tier == "gov" else c.open)
                                        .GetRecord, R.GetRecordRequest(record_id=rid))
                    self.assertEqual(c.list_all(tier, legal_ref(uscc)), [])

    def test_the_declarant_reads_its_declaration_and_why_it_was_rejected_nobody_else_does(self):
        portal_uscc = fresh_uscc()
        relayed = claim_input(fresh_src("vd11-portal"), legal_subject(portal_uscc), "AWARD")
        own = claim_input(fresh_src("vd11-own"), acme_subject(), "HONOUR")
        with self.calls("portal") as p:
            p_id = p.push_vol(relayed).results[0].record_id
        with self.calls("subj-acme") as s:
            s_id = s.push_vol(own).results[0].record_id
        # Pending: the declarant sees it waiting; nobody else, not the other declarant.
        self.assertEqual(self.status_of("portal", p_id),
                         ("VERIFICATION_PENDING", "", "", False, 1))
        self.assertEqual(self.status_of("subj-acme", s_id),
                         ("VERIFICATION_PENDING", "", "", False, 1))
        with self.calls("portal") as p:
            got = p.get("open", p_id).record
            self.assertEqual((got.claim.title, got.meta.source_unit),
                             (relayed.claim.title, "portal"))
            self.assertRpcFails(SC.NOT_FOUND, p.open.GetRecord, R.GetRecordRequest(record_id=s_id))
        with self.calls("subj-acme") as s:
            self.assertRpcFails(SC.NOT_FOUND, s.open.GetRecord, R.GetRecordRequest(record_id=p_id))
        self.assertHiddenFrom(p_id, portal_uscc, ("office", "market", "bank-a", "city"))
        # Rejected: the declarant reads the verdict, its reason and who gave it.
        p_reason = "证书编号查无此证 no certificate with that number"
        s_reason = "颁奖单位未确认 the awarding body did not confirm it"
        with self.calls("office") as o:
            o.verify(p_id, False, p_reason)
            o.verify(s_id, False, s_reason)
        self.assertEqual(self.status_of("portal", p_id),
                         ("VERIFICATION_REJECTED", p_reason, "office", False, 2))
        self.assertEqual(self.status_of("subj-acme", s_id),
                         ("VERIFICATION_REJECTED", s_reason, "office", False, 2))
        # Only verified declarations are shared: the rejected one stays hidden from the rest,
        # and the declarant's own ListRecords is the tier's, without it.
        self.assertHiddenFrom(p_id, portal_uscc, ("office", "market", "bank-a", "city"))
        with self.calls("portal") as p:
            self.assertEqual(p.list_all("open", legal_ref(portal_uscc)), [])
            self.assertRpcFails(SC.NOT_FOUND, p.open.GetRecord, R.GetRecordRequest(record_id=s_id))
        # Withdrawn after the rejection: still its declarant's to read, with both facts.
        with self.calls("subj-acme") as s:
            s.vol.Withdraw(R.WithdrawRequest(record_id=s_id, reason="不再申报 no longer declared"),
                           timeout=CALL_TIMEOUT)
        self.assertEqual(self.status_of("subj-acme", s_id),
                         ("VERIFICATION_REJECTED", s_reason, "office", True, 3))
        # The office's own declaration: it is its declarant too, in the government tier.
        office_rec = claim_input(fresh_src("vd11-office"), legal_subject(fresh_uscc()))
        with self.calls("office") as o:
            o_id = o.push_vol(office_rec).results[0].record_id
        self.assertEqual(self.status_of("office", o_id, "gov"),
                         ("VERIFICATION_PENDING", "", "", False, 1))
        with self.calls("market") as m:
            self.assertRpcFails(SC.NOT_FOUND, m.gov.GetRecord, R.GetRecordRequest(record_id=o_id))

    def test_the_office_lists_declarations_by_verification_with_their_reasons(self):
        uscc = fresh_uscc()
        recs = [claim_input(fresh_src("vd12"), legal_subject(uscc)) for _ in range(4)]
        with self.calls("portal") as p:
            ids = [r.record_id for r in p.push_vol(*recs).results]
        reasons = ["核对一致 checked", "查无此证 no such certificate", "伪造 forged receipt"]
        with self.calls("office") as o:
            o.verify(ids[0], True, reasons[0])
            o.verify(ids[1], False, reasons[1])
            o.verify(ids[2], False, reasons[2])
        with self.calls("portal") as p:
            p.vol.Withdraw(R.WithdrawRequest(record_id=ids[2], reason="撤回 withdrawn"),
                           timeout=CALL_TIMEOUT)
        pending = self.listed(R.VERIFICATION_PENDING)
        unspecified = self.listed(R.VERIFICATION_UNSPECIFIED)
        verified = self.listed(R.VERIFICATION_VERIFIED)
        rejected = self.listed(R.VERIFICATION_REJECTED)
        mine = set(ids)
        self.assertEqual(mine & set(pending), {ids[3]})
        self.assertEqual(mine & set(unspecified), {ids[3]})
        self.assertEqual(mine & set(verified), {ids[0]})
        self.assertEqual(mine & set(rejected), {ids[1], ids[2]})
        for rid, reason, withdrawn in ((ids[1], reasons[1], False), (ids[2], reasons[2], True)):
            st = rejected[rid].meta.status
            self.assertEqual((st.verification_reason, st.verified_by, st.withdrawn),
                             (reason, "office", withdrawn))
        # The office's lists are the government tier's view: nothing sealed is left out.
        self.assertEqual(rejected[ids[1]].meta.subject.legal_representative_id_number, REP_ID)
        for r in list(verified.values()) + list(rejected.values()):
            self.assertEqual(R.Catalogue.Name(r.meta.catalogue), "CATALOGUE_VOLUNTARY")
        # Paged, the rejected list is the same.
        self.assertEqual(sorted(self.listed(R.VERIFICATION_REJECTED, page_size=1)),
                         sorted(rejected))
        with self.calls("office") as o:
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.vol.ListPending,
                                V.ListPendingRequest(verification=99), contains="verification")
        for who in ("portal", "subj-acme", "market", "city"):
            with self.subTest(unit=who), self.calls(who) as c:
                self.assertRpcFails(SC.PERMISSION_DENIED, c.vol.ListPending,
                                    V.ListPendingRequest(verification=R.VERIFICATION_REJECTED))


# --- 4. Sharing --------------------------------------------------------------------------------

class SharingTests(SharedNodeCase):

    def populate(self, uscc, tag):
        """A subject with a record in each catalogue: a licence from market, good and bad
        conduct from town-bicheng, a member record from the platform (under a mandate), a
        verified charity declaration and a pending award from the portal.
        Returns {name: (record id, input)}."""
        assoc = fresh_assoc_uscc()
        subj = legal_subject(uscc)
        out = {}
        lic = licence_input(fresh_src(tag + "-lic"), uscc)
        with self.calls("market") as m:
            out["licence"] = (m.push(lic).results[0].record_id, lic)
        good = declaration_input(fresh_src(tag + "-good"), subj, "GOOD_CONDUCT")
        bad = declaration_input(fresh_src(tag + "-bad"), subj, "BAD_CONDUCT")
        with self.calls("town-bicheng") as t:
            resp = t.push_su(good, bad)
        self.assertEqual(resp.accepted, 2, resp)
        out["good"] = (resp.results[0].record_id, good)
        out["bad"] = (resp.results[1].record_id, bad)
        member = member_input(fresh_src(tag + "-member"), assoc, subj)
        with self.calls("office") as o:
            o.register(assoc)
        with self.calls(PLATFORM) as p:
            resp = p.push_assoc(member)
        self.assertEqual(resp.accepted, 1, resp)
        out["member"] = (resp.results[0].record_id, member)
        charity = claim_input(fresh_src(tag + "-charity"), subj, "CHARITY")
        award = claim_input(fresh_src(tag + "-award"), subj, "AWARD")
        with self.calls("portal") as p:
            resp = p.push_vol(charity, award)
        self.assertEqual(resp.accepted, 2, resp)
        out["charity"] = (resp.results[0].record_id, charity)
        out["award"] = (resp.results[1].record_id, award)
        with self.calls("office") as o:
            o.verify(out["charity"][0])
        return out

    def test_catalogues_and_sections_filters_and_categories_alone_mean_the_public_catalogue(self):
        uscc = fresh_uscc()
        recs = self.populate(uscc, "sh1")
        rid = {k: v[0] for k, v in recs.items()}

        def want(*names):
            return sorted(rid[n] for n in names)

        cases = [
            ("everything shared", {}, want("licence", "good", "bad", "member", "charity")),
            ("SERVICE_UNIT", {"catalogues": [R.CATALOGUE_SERVICE_UNIT]}, want("good", "bad")),
            ("ASSOCIATION", {"catalogues": [R.CATALOGUE_ASSOCIATION]}, want("member")),
            ("VOLUNTARY", {"catalogues": [R.CATALOGUE_VOLUNTARY]}, want("charity")),
            ("PUBLIC", {"catalogues": [R.CATALOGUE_PUBLIC]}, want("licence")),
            ("INDUSTRIAL", {"catalogues": [R.CATALOGUE_INDUSTRIAL]}, []),
            ("SERVICE_UNIT and VOLUNTARY",
             {"catalogues": [R.CATALOGUE_SERVICE_UNIT, R.CATALOGUE_VOLUNTARY]},
             want("good", "bad", "charity")),
            ("section BAD_CONDUCT", {"sections": ["BAD_CONDUCT"]}, want("bad")),
            ("sections MEMBER and CHARITY", {"sections": ["MEMBER", "CHARITY"]},
             want("member", "charity")),
            ("section AWARD (pending only)", {"sections": ["AWARD"]}, []),
            ("section LICENSING", {"sections": ["LICENSING"]}, want("licence")),
            ("SERVICE_UNIT, section GOOD_CONDUCT",
             {"catalogues": [R.CATALOGUE_SERVICE_UNIT], "sections": ["GOOD_CONDUCT"]},
             want("good")),
            ("ASSOCIATION, section GOOD_CONDUCT",
             {"catalogues": [R.CATALOGUE_ASSOCIATION], "sections": ["GOOD_CONDUCT"]}, []),
            ("categories alone", {"categories": [R.CATEGORY_LICENSING]}, want("licence")),
            ("categories alone, one the subject lacks", {"categories": [R.CATEGORY_PENALTY]},
             []),
            ("categories narrow only the public catalogue",
             {"catalogues": [R.CATALOGUE_PUBLIC, R.CATALOGUE_SERVICE_UNIT],
              "categories": [R.CATEGORY_LICENSING]}, want("licence", "good", "bad")),
            ("categories do not narrow another catalogue",
             {"catalogues": [R.CATALOGUE_SERVICE_UNIT], "categories": [R.CATEGORY_PENALTY]},
             want("good", "bad")),
        ]
        for tier, who in (("gov", "office"), ("open", "bank-a")):
            with self.calls(who) as c:
                for what, kw, expected in cases:
                    with self.subTest(tier=tier, case=what):
                        got = c.list_all(tier, legal_ref(uscc), **kw)
                        self.assertEqual(ids_of(got), expected)
                with self.subTest(tier=tier, case="paged by one"):
                    got = c.list_all(tier, legal_ref(uscc), page_size=1,
                                     catalogues=[R.CATALOGUE_SERVICE_UNIT,
                                                 R.CATALOGUE_ASSOCIATION])
                    self.assertEqual(ids_of(got), want("good", "bad", "member"))
                stub = c.gov if tier == "gov" else c.open
                for bad_req, field in (
                        (R.ListRecordsRequest(subject=legal_ref(uscc), catalogues=[0]),
                         "catalogues"),
                        (R.ListRecordsRequest(subject=legal_ref(uscc), catalogues=[99]),
                         "catalogues"),
                        (R.ListRecordsRequest(subject=legal_ref(uscc), sections=[""]),
                         "sections"),
                        (R.ListRecordsRequest(subject=legal_ref(uscc), sections=["X" * 65]),
                         "sections")):
                    with self.subTest(tier=tier, refused=field):
                        self.assertRpcFails(SC.INVALID_ARGUMENT, stub.ListRecords, bad_req,
                                            contains=field)
        with self.calls("office") as o:
            listed = {r.meta.record_id: r for r in o.list_all("gov", legal_ref(uscc))}
        sections = {k: (R.Catalogue.Name(listed[rid[k]].meta.catalogue),
                        listed[rid[k]].meta.section)
                    for k in ("licence", "good", "bad", "member", "charity")}
        self.assertEqual(sections, {
            "licence": ("CATALOGUE_PUBLIC", "LICENSING"),
            "good": ("CATALOGUE_SERVICE_UNIT", "GOOD_CONDUCT"),
            "bad": ("CATALOGUE_SERVICE_UNIT", "BAD_CONDUCT"),
            "member": ("CATALOGUE_ASSOCIATION", "MEMBER"),
            "charity": ("CATALOGUE_VOLUNTARY", "CHARITY"),
        })
        self.assertEqual(listed[rid["member"]].meta.association,
                         recs["member"][1].association)
        self.assertFalse(listed[rid["good"]].meta.HasField("association"))

    def test_bad_conduct_shows_only_its_open_dimensions_in_the_open_tier(self):
        uscc = fresh_uscc()
        good = declaration_input(fresh_src("sh2-good"), legal_subject(uscc), "GOOD_CONDUCT")
        bad = declaration_input(fresh_src("sh2-bad"), legal_subject(uscc), "BAD_CONDUCT")
        with self.calls("town-bicheng") as t:
            good_id, bad_id = [r.record_id for r in t.push_su(good, bad).results]
        with self.calls("bank-a") as b:
            open_get = {rid: b.get("open", rid).record for rid in (good_id, bad_id)}
            open_list = {r.meta.record_id: r for r in b.list_all("open", legal_ref(uscc))}
        with self.calls("market") as m:
            gov_get = {rid: m.get("gov", rid).record for rid in (good_id, bad_id)}
            gov_list = {r.meta.record_id: r for r in m.list_all("gov", legal_ref(uscc))}
        bad_open = R.Declaration(declaring_body=bad.declaration.declaring_body,
                                 conduct_date=bad.declaration.conduct_date)
        good_open = copy_of(good.declaration)
        good_open.evidence_reference = ""
        for how, got in (("GetRecord", open_get), ("ListRecords", open_list)):
            with self.subTest("open tier", call=how):
                self.assertEqual(got[bad_id].declaration, bad_open,
                                 "BAD_CONDUCT in the open tier: only declaring_body and"
                                 " conduct_date are open dimensions")
                self.assertEqual(got[good_id].declaration, good_open,
                                 "GOOD_CONDUCT in the open tier: all but evidence_reference")
                for rid in (good_id, bad_id):
                    s = got[rid].meta.subject
                    self.assertEqual((s.legal_representative_id_number,
                                      s.legal_representative_id_type), ("", 0))
                    self.assertEqual((s.identifier, s.name, s.legal_representative),
                                     (uscc, good.subject.name, good.subject.legal_representative))
        for how, got in (("GetRecord", gov_get), ("ListRecords", gov_list)):
            with self.subTest("government tier", call=how):
                self.assertEqual(got[bad_id].declaration, bad.declaration)
                self.assertEqual(got[good_id].declaration, good.declaration)
                for rid in (good_id, bad_id):
                    self.assertEqual(got[rid].meta.subject, good.subject)

    def test_association_values_above_the_open_tier_are_cleared_there(self):
        assoc = fresh_assoc_uscc()
        member_uscc = fresh_uscc()
        gov_rec = governance_input(fresh_src("sh3-gov"), assoc)
        mem_rec = member_input(fresh_src("sh3-mem"), assoc, legal_subject(member_uscc))
        with self.calls("office") as o:
            o.register(assoc)
        with self.calls(PLATFORM) as p:
            gov_id, mem_id = [r.record_id for r in p.push_assoc(gov_rec, mem_rec).results]
            open_gov = p.get("open", gov_id).record
            open_mem = p.get("open", mem_id).record
            open_list = p.list_all("open", legal_ref(member_uscc),
                                   catalogues=[R.CATALOGUE_ASSOCIATION])
        with self.calls("city") as c:
            full_gov = c.get("gov", gov_id).record
            full_mem = c.get("gov", mem_id).record
        want_gov = copy_of(gov_rec.governance)
        want_gov.funds = ""
        want_mem = copy_of(mem_rec.member)
        want_mem.peer_evaluation = ""
        want_mem.rule_compliance = ""
        self.assertEqual(open_gov.governance, want_gov, "funds are AUTHORIZED")
        self.assertEqual(open_mem.member, want_mem,
                         "peer evaluation and rule compliance are AUTHORIZED")
        self.assertEqual([r.member for r in open_list], [want_mem])
        self.assertEqual(full_gov.governance, gov_rec.governance)
        self.assertEqual(full_mem.member, mem_rec.member)
        for what, r in (("open", open_gov), ("open", open_mem), ("gov", full_gov),
                        ("gov", full_mem)):
            with self.subTest(tier=what, section=r.meta.section):
                self.assertEqual(r.meta.association, assoc_ref(assoc))
        self.assertEqual(open_mem.meta.subject.legal_representative_id_number, "")
        self.assertEqual(full_mem.meta.subject.legal_representative_id_number, REP_ID)
        self.assertEqual(open_gov.meta.subject, gov_rec.subject)

    def test_a_verified_declaration_shows_its_evidence_digest_only_to_the_government_tier(self):
        uscc = fresh_uscc()
        rec = claim_input(fresh_src("sh4"), legal_subject(uscc), "HONOUR")
        with self.calls("portal") as p:
            rid = p.push_vol(rec).results[0].record_id
        with self.calls("office") as o:
            o.verify(rid)
            full = o.get("gov", rid).record
        with self.calls("subj-acme") as s:
            opened = s.get("open", rid).record
            listed = s.list_all("open", legal_ref(uscc))
        want = copy_of(rec.claim)
        want.evidence.document_digest = ""
        want.evidence.reference = ""
        self.assertEqual(opened.claim, want, "the digest and the reference are GOVERNMENT")
        self.assertEqual([r.claim for r in listed], [want])
        self.assertEqual(full.claim, rec.claim)
        self.assertEqual(opened.meta.subject.legal_representative_id_number, "")
        self.assertEqual(full.meta.subject.legal_representative_id_number, REP_ID)

    def test_a_natural_persons_number_and_a_representatives_never_reach_the_open_tier(self):
        pid = fresh_person_id()
        uscc = fresh_uscc()
        person_ref = R.SubjectRef(kind=R.SUBJECT_KIND_NATURAL_PERSON, identifier=pid)
        su_person = declaration_input(fresh_src("sh5-p"), person_subject(pid))
        su_company = declaration_input(fresh_src("sh5-c"), legal_subject(uscc))
        vol_person = claim_input(fresh_src("sh5-vp"), person_subject(pid), "AWARD")
        with self.calls("town-bicheng") as t:
            su_ids = [r.record_id for r in t.push_su(su_person, su_company).results]
        with self.calls("portal") as p:
            vol_id = p.push_vol(vol_person).results[0].record_id
        with self.calls("office") as o:
            o.verify(vol_id)
            gov_person = o.list_all("gov", person_ref)
        with self.calls("bank-a") as b:
            open_person = b.list_all("open", person_ref)
            open_company = b.list_all("open", legal_ref(uscc))
            got = [b.get("open", rid).record for rid in su_ids + [vol_id]]
        self.assertEqual(ids_of(open_person), sorted([su_ids[0], vol_id]))
        self.assertEqual(ids_of(gov_person), sorted([su_ids[0], vol_id]))
        for r in open_person + open_company + got:
            with self.subTest(record=r.meta.record_id, section=r.meta.section):
                text_form = str(r)
                self.assertNotIn(pid, text_form)
                self.assertNotIn(REP_ID, text_form)
        for r in gov_person:
            self.assertEqual(r.meta.subject.identifier, pid)


if __name__ == "__main__":
    unittest.main()
