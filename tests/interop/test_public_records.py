"""test_public_records.py: public-credit collection and tiered queries through python3-grpcio.

PublicCreditCollection (PushBatch, the client-streaming Push, Correct, Withdraw), OpenQuery and
GovernmentSharing, as the units of certs/demo-units.tsv see them over mutual TLS: per-record
checking and atomicity of a batch, idempotency by source record id, versions and history, who
may push what and read which tier, what each tier shows, paging, personal identity numbers
sealed at rest under the node's privacy key, and durability across kill -9.

The expectations come from proto/credit/v1/record.proto, ../shared/DOMAIN.md and the record
rules (required fields; channel by unit kind; USCC and resident-ID checks; dates; publicity
window by severity: SEVERITY_MINOR 0-3 months, SEVERITY_GENERAL 3-12, SEVERITY_SERIOUS 12-36 from the decision date;
default end = decision + maximum). Identifiers not given in the brief are made here from the
standards (GB 32100, GB 11714, GB 11643), not by the server.

Nodes are shared per TestCase class; every test uses its own subjects and source record ids,
so the order the tests run in does not matter. Tests that stop, kill or re-key a node start
their own.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_public_records
"""

import datetime
import os
import stat
import time
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, RECORD_ID_RE, InteropCase, Node
from harness import MARKET_USCC, REP_ID  # market's own; a legal representative
from harness import (legal_ref, legal_subject, pdate, penalty_input, person_subject, recent_day,
                     tstamp, utc_today)

from credit.v1 import record_pb2 as R
from credit.v1 import record_pb2_grpc as R_grpc

SC = grpc.StatusCode

STREAM_TIMEOUT = 60.0  # the 600-record stream, under AddressSanitizer

# Identifiers from the brief.
USCC_A = "91230500MA1B3N1N2M"
USCC_B = "11230500001755309F"
USCC_C = "92310115183FQEFL3W"
PERSON_ID = "500120195201020262"    # a natural person
LISTED_PERSON_ID = "500120198506071232"  # another, only in the listing-versus-GetRecord test
BAD_USCC = "91230500MA1B3N1N2X"     # wrong check character
BAD_PERSON_ID = "500120199310080296"  # wrong check character

TAX_USCC = "11500227MB0T1LN73R"

observe = harness.observe
make_uscc = harness.make_uscc
make_resident_id = harness.make_resident_id
setUpModule = harness.setup_module
tearDownModule = harness.teardown_module


# --- Identifiers, written from the standards ---------------------------------------------------

# The brief's examples must agree with the helpers, or the helpers are wrong.
assert make_uscc(USCC_A[:16]) == USCC_A and make_uscc(USCC_C[:16]) == USCC_C
assert make_uscc(BAD_USCC[:16]) != BAD_USCC
assert make_resident_id(REP_ID[:17]) == REP_ID and make_resident_id(PERSON_ID[:17]) == PERSON_ID
assert make_resident_id(BAD_PERSON_ID[:17]) != BAD_PERSON_ID

# Companies from 91500227MA100001 on; people born 1980-01-01 .. 1980-01-28.
_fresh = harness.Fresh(uscc_base=100000, born="198001")
fresh_uscc = _fresh.uscc
fresh_person_id = _fresh.person_id
fresh_src = _fresh.src


# --- Dates -------------------------------------------------------------------------------------

def add_months(d, months):
    y, m = divmod(d.month - 1 + months, 12)
    return datetime.date(d.year + y, m + 1, min(d.day, 28))


def ddate(p):
    return datetime.date(p.year, p.month, p.day)


# --- Records -----------------------------------------------------------------------------------

def licence_input(src, subject, unit_uscc=MARKET_USCC, decision=None, number=None):
    decision = decision or recent_day(40)
    number = number or "LIC-" + src
    return R.PublicRecordInput(
        source_record_id=src, category=R.CATEGORY_LICENSING, subject=subject,
        occurred_at=tstamp(decision),
        licence=R.Licence(
            decision_document_name="食品经营许可决定书", decision_document_number="璧市监许〔%s〕" % src,
            licence_category="普通", certificate_name="食品经营许可证", licence_number=number,
            content="预包装食品销售", decision_date=pdate(decision), valid_from=pdate(decision),
            valid_to=pdate(add_months(decision, 60)), authority="区市场监督管理局",
            authority_uscc=unit_uscc, current_status="有效", source_unit_uscc=unit_uscc))


def tax_penalty_input(src, subject):
    return penalty_input(src, subject, unit_uscc=TAX_USCC, authority="区税务局")


def person_ref(resident_id):
    return R.SubjectRef(kind=R.SUBJECT_KIND_NATURAL_PERSON, identifier=resident_id)


def snappy_streams(data, min_out=16, max_out=1 << 20):
    """Every byte string that a Snappy raw stream starting at some offset of `data` decodes
    to. RocksDB compresses SST data blocks with Snappy, where a number sharing a prefix with
    earlier bytes would be split by a back-reference; trying every offset is cheap for the
    small SST files of a test node and needs no knowledge of the table format."""
    outs = []
    n = len(data)
    for start in range(n):
        i, want, shift = start, 0, 0
        while i < n and shift < 35:  # the varint of the uncompressed length
            b = data[i]
            i += 1
            want |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                break
        else:
            continue
        if want < min_out or want > max_out:
            continue
        out = bytearray()
        while len(out) < want and i < n:
            tag = data[i]
            i += 1
            if tag & 3 == 0:  # literal
                ln = tag >> 2
                if ln >= 60:
                    k = ln - 59
                    ln = int.from_bytes(data[i:i + k], "little")
                    i += k
                ln += 1
                if i + ln > n or len(out) + ln > want:
                    break
                out += data[i:i + ln]
                i += ln
                continue
            if tag & 3 == 1:
                ln, off = 4 + ((tag >> 2) & 7), ((tag >> 5) << 8) | (data[i] if i < n else 0)
                i += 1
            else:
                k = 2 if tag & 3 == 2 else 4
                ln, off = (tag >> 2) + 1, int.from_bytes(data[i:i + k], "little")
                i += k
            if i > n or off == 0 or off > len(out) or len(out) + ln > want:
                break
            for _ in range(ln):
                out.append(out[-off])
        if len(out) == want:
            outs.append(bytes(out))
    return outs


# --- Calls -------------------------------------------------------------------------------------

def by_source(records):
    return {r.meta.source_record_id: r for r in records}


class SharedNodeCase(harness.PushAssertions, harness.SharedNodeCase):
    """One node for the whole class, and the assertions on push results."""

    def calls(self, who="market"):
        return harness.Stubs(self.node.port, who)


# --- 1. Collection -----------------------------------------------------------------------------

class CollectionTests(SharedNodeCase):

    def test_push_batch_of_a_valid_licence_and_penalty_creates_both_at_version_1(self):
        uscc = fresh_uscc()
        decision = recent_day(30)
        lic = licence_input(fresh_src("c1-lic"), legal_subject(uscc))
        pen = penalty_input(fresh_src("c1-pen"), legal_subject(uscc), severity=R.SEVERITY_GENERAL,
                            decision=decision)  # no end of publicity: the default applies
        with self.calls("market") as c:
            resp = c.push(lic, pen)
            self.assertEqual(len(resp.results), 2, resp)
            self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
            self.assertResult(resp.results[1], 1, R.PUSH_OUTCOME_CREATED, version=1)
            self.assertNotEqual(resp.results[0].record_id, resp.results[1].record_id)
            self.assertEqual((resp.accepted, resp.rejected), (2, 0))
            got = c.gov.GetRecord(R.GetRecordRequest(record_id=resp.results[1].record_id),
                                  timeout=CALL_TIMEOUT).record
        m = got.meta
        self.assertEqual((m.record_id, m.version, m.source_unit, m.source_record_id),
                         (resp.results[1].record_id, 1, "market", pen.source_record_id))
        self.assertEqual((m.catalogue, m.category, m.channel),
                         (R.CATALOGUE_PUBLIC, R.CATEGORY_PENALTY, R.CHANNEL_DIRECT_PUSH))
        self.assertGreater(m.reported_at.seconds, 0)
        self.assertEqual(got.WhichOneof("body"), "penalty")
        self.assertEqual(got.penalty.decision_document_number,
                         pen.penalty.decision_document_number)
        self.assertEqual(ddate(got.penalty.publicity_end_date), add_months(decision, 12),
                         "a SEVERITY_GENERAL penalty's default end of publicity is decision + 12 months")

    def test_same_batch_again_is_unchanged_and_a_changed_penalty_is_a_new_version(self):
        uscc = fresh_uscc()
        lic = licence_input(fresh_src("c2-lic"), legal_subject(uscc))
        pen = penalty_input(fresh_src("c2-pen"), legal_subject(uscc))
        with self.calls("market") as c:
            first = c.push(lic, pen)
            ids = [r.record_id for r in first.results]
            self.assertEqual([r.outcome for r in first.results], [R.PUSH_OUTCOME_CREATED, R.PUSH_OUTCOME_CREATED], first)
            again = c.push(lic, pen)
            self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[0])
            self.assertResult(again.results[1], 1, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[1])
            self.assertEqual((again.accepted, again.rejected), (2, 0))
            changed = R.PublicRecordInput()
            changed.CopyFrom(pen)
            changed.penalty.fine_amount_fen += 100
            third = c.push(lic, changed)
            self.assertResult(third.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=ids[0])
            self.assertResult(third.results[1], 1, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=ids[1])
            self.assertEqual((third.accepted, third.rejected), (2, 0))
            got = c.gov.GetRecord(R.GetRecordRequest(record_id=ids[1]), timeout=CALL_TIMEOUT)
        self.assertEqual(got.record.meta.version, 2)
        self.assertEqual(got.record.penalty.fine_amount_fen, pen.penalty.fine_amount_fen + 100)
        self.assertEqual([h.meta.version for h in got.history], [1])
        self.assertEqual(got.history[0].penalty.fine_amount_fen, pen.penalty.fine_amount_fen)

    def test_batch_rejects_each_bad_record_with_code_and_field_and_stores_only_the_good(self):
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        decision = recent_day(30)
        good_lic = licence_input(fresh_src("c3-good-lic"), subj)
        bad_uscc = licence_input(fresh_src("c3-bad-uscc"), legal_subject(BAD_USCC))
        no_severity = penalty_input(fresh_src("c3-no-sev"), subj,
                                    severity=R.SEVERITY_UNSPECIFIED)
        good_pen = penalty_input(fresh_src("c3-good-pen"), subj, decision=decision,
                                 end=add_months(decision, 6))
        levy = penalty_input(fresh_src("c3-levy"), subj)
        levy.category = R.CATEGORY_LEVY
        municipal = licence_input(fresh_src("c3-municipal"), subj)
        municipal.channel = R.CHANNEL_MUNICIPAL_SYNC
        future = licence_input(fresh_src("c3-future"), subj)
        future.occurred_at.CopyFrom(tstamp(utc_today() + datetime.timedelta(days=3)))
        long_end = penalty_input(fresh_src("c3-long-end"), subj, severity=R.SEVERITY_GENERAL,
                                 decision=decision, end=add_months(decision, 24))
        dup_src = fresh_src("c3-dup")
        dup_first = licence_input(dup_src, subj)
        dup_second = penalty_input(dup_src, subj)
        batch = [good_lic, bad_uscc, no_severity, good_pen, levy, municipal, future, long_end,
                 dup_first, dup_second]
        with self.calls("market") as c:
            resp = c.push(*batch)
            self.assertEqual(len(resp.results), len(batch), resp)
            res = resp.results
            expected = [
                (R.PUSH_OUTCOME_CREATED,),
                (SC.INVALID_ARGUMENT, "subject.identifier"),    # bad USCC
                (SC.INVALID_ARGUMENT, "penalty.severity"),      # missing
                (R.PUSH_OUTCOME_CREATED,),
                (SC.PERMISSION_DENIED, "category"),             # LEVY: not market's
                (SC.INVALID_ARGUMENT, "channel"),               # MUNICIPAL_SYNC
                (SC.INVALID_ARGUMENT, "occurred_at"),           # in the future
                (SC.INVALID_ARGUMENT, "penalty.publicity_end_date"),  # 24 months, SEVERITY_GENERAL
                (R.PUSH_OUTCOME_CREATED,),
                (SC.INVALID_ARGUMENT, "source_record_id"),      # second of one source id
            ]
            # Every result is checked (and reported) on its own: one wrong answer does not
            # hide the others, nor the check of what was stored.
            for i, want in enumerate(expected):
                with self.subTest(record=i, source_record_id=batch[i].source_record_id):
                    if len(want) == 1:
                        self.assertResult(res[i], i, want[0], version=1)
                    else:
                        self.assertRejected(res[i], i, *want)
            with self.subTest("accepted and rejected counts"):
                self.assertEqual((resp.accepted, resp.rejected), (3, 7))
            stored = c.list_all("gov", legal_ref(uscc))
            # No subject has a code that fails its check: asking for one is a mistake the
            # node names, never an empty list that would read as a clean record.
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.gov.ListRecords,
                                R.ListRecordsRequest(subject=legal_ref(BAD_USCC)),
                                contains="subject.identifier")
        self.assertEqual(sorted(r.meta.record_id for r in stored),
                         sorted([res[0].record_id, res[3].record_id, res[8].record_id]))
        self.assertEqual(sorted(by_source(stored)),
                         sorted([good_lic.source_record_id, good_pen.source_record_id, dup_src]))
        self.assertEqual(by_source(stored)[dup_src].WhichOneof("body"), "licence",
                         "the first of two records with one source id is the one stored")
        # Nothing half-written: a rejected record's source id is free, not indexed.
        with self.calls("market") as c:
            retry = c.push(licence_input(future.source_record_id, subj))
        self.assertResult(retry.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)

    def test_source_id_repeated_in_a_batch_is_rejected_even_when_the_first_is_unchanged(self):
        # The rule of test 3 ("the same source record appears earlier in this batch") must not
        # depend on whether the earlier one happened to be written.
        uscc = fresh_uscc()
        src = fresh_src("c3b")
        first = licence_input(src, legal_subject(uscc))
        second = licence_input(src, legal_subject(uscc), number="LIC-OTHER-" + src)
        with self.calls("market") as c:
            rid = c.push(first).results[0].record_id
            resp = c.push(first, second)
            got = c.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
        self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1, record_id=rid)
        self.assertRejected(resp.results[1], 1, SC.INVALID_ARGUMENT, "source_record_id")
        self.assertEqual((got.record.meta.version, got.record.licence.licence_number),
                         (1, first.licence.licence_number))

    def test_empty_batch_and_batch_of_1001_are_invalid_argument_naming_records(self):
        uscc = fresh_uscc()
        big = [licence_input(fresh_src("c4-big"), legal_subject(uscc)) for _ in range(1001)]
        with self.calls("market") as c:
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.PushBatch, R.PushBatchRequest(),
                                contains="records")
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.PushBatch,
                                R.PushBatchRequest(records=big), contains="records")
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.Push, iter([]), contains="records")
            self.assertEqual(c.list_all("gov", legal_ref(uscc)), [])
            # 1000 is the limit, not 1001: the first 1000 of them go in.
            ok = c.collect.PushBatch(R.PushBatchRequest(records=big[:1000]),
                                     timeout=STREAM_TIMEOUT)
        self.assertEqual((ok.accepted, ok.rejected), (1000, 0))

    def test_client_stream_of_600_records_answers_600_results_in_order_then_all_unchanged(self):
        uscc = fresh_uscc()
        prefix = fresh_src("c5")
        records = [licence_input("%s-%03d" % (prefix, i), legal_subject(uscc)) for i in range(600)]
        with self.calls("market") as c:
            first = c.collect.Push(iter(records), timeout=STREAM_TIMEOUT)
            self.assertEqual([r.index for r in first.results], list(range(600)))
            bad = [r for r in first.results if r.outcome != R.PUSH_OUTCOME_CREATED]
            self.assertEqual(bad, [], "not PUSH_OUTCOME_CREATED: %s" % bad[:3])
            self.assertEqual((first.accepted, first.rejected), (600, 0))
            ids = [r.record_id for r in first.results]
            self.assertEqual(len(set(ids)), 600, "record ids repeat")
            for rid in ids:
                self.assertRegex(rid, RECORD_ID_RE)
            again = c.collect.Push(iter(records), timeout=STREAM_TIMEOUT)
            self.assertEqual([r.index for r in again.results], list(range(600)))
            self.assertEqual([(r.outcome, r.record_id, r.version) for r in again.results],
                             [(R.PUSH_OUTCOME_UNCHANGED, rid, 1) for rid in ids])
            self.assertEqual((again.accepted, again.rejected), (600, 0))
            self.assertEqual(len(c.list_all("gov", legal_ref(uscc), page_size=500)), 600)

    def test_a_source_record_appears_once_per_call_in_a_stream_as_in_a_batch(self):
        """Within one call (a batch or a stream alike) a source record appears once: a repeat
        of an accepted record is PUSH_OUTCOME_REJECTED naming the first; a repeat of a rejected record is
        checked on its own. A later call carries the change."""
        uscc = fresh_uscc()
        src = fresh_src("c5-rep")
        first = licence_input(src, legal_subject(uscc))
        changed = licence_input(src, legal_subject(uscc))
        changed.licence.content = first.licence.content + " (amended)"
        fillers = [licence_input(fresh_src("c5-fill"), legal_subject(uscc)) for _ in range(300)]
        records = [first, first] + fillers[:10] + [changed] + fillers[10:] + [changed]
        with self.calls("market") as c:
            resp = c.collect.Push(iter(records), timeout=STREAM_TIMEOUT)
            self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
            for i in (1, 12, len(records) - 1):
                self.assertRejected(resp.results[i], i, SC.INVALID_ARGUMENT, "source_record_id")
                self.assertIn("index 0", resp.results[i].reason)
            self.assertEqual((resp.accepted, resp.rejected), (len(records) - 3, 3))
            batch = c.push(changed, changed)
            self.assertResult(batch.results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=2,
                              record_id=resp.results[0].record_id)
            self.assertRejected(batch.results[1], 1, SC.INVALID_ARGUMENT, "source_record_id")
            # A rejected record does not hold its source id: the good one after it is taken.
            src2 = fresh_src("c5-bad-then-good")
            bad = licence_input(src2, legal_subject(uscc))
            bad.subject.identifier = BAD_USCC
            again = c.collect.Push(iter([bad, licence_input(src2, legal_subject(uscc))]),
                                   timeout=STREAM_TIMEOUT)
            self.assertRejected(again.results[0], 0, SC.INVALID_ARGUMENT, "subject.identifier")
            self.assertResult(again.results[1], 1, R.PUSH_OUTCOME_CREATED, version=1)

    def test_finance_unit_push_is_permission_denied_and_unknown_certificate_unauthenticated(self):
        uscc = fresh_uscc()
        recs = [licence_input(fresh_src("c6-bank"), legal_subject(uscc)),
                penalty_input(fresh_src("c6-bank"), legal_subject(uscc))]
        with self.calls("bank-a") as c:
            try:
                resp = c.push(*recs)
            except grpc.RpcError as e:
                self.assertEqual(e.code(), SC.PERMISSION_DENIED, e.details())
                observe("bank-a PushBatch: the call failed with PERMISSION_DENIED: %r"
                        % e.details())
            else:
                self.assertEqual(len(resp.results), 2, resp)
                for i, r in enumerate(resp.results):
                    self.assertEqual(r.index, i)
                    self.assertEqual(R.PushOutcome.Name(r.outcome), "PUSH_OUTCOME_REJECTED", r)
                    self.assertEqual(r.code, SC.PERMISSION_DENIED.value[0], r)
                    self.assertTrue(r.reason.strip(), r)
                self.assertEqual((resp.accepted, resp.rejected), (0, 2))
                observe("bank-a PushBatch: per-record PUSH_OUTCOME_REJECTED code 7, field %r, reason %r"
                        % (resp.results[0].field, resp.results[0].reason))
        # Responsibility on its own, with a category that can be pushed: tax has no LICENSING.
        with self.calls("tax") as t:
            resp = t.push(licence_input(fresh_src("c6-tax-lic"), legal_subject(uscc),
                                        unit_uscc=TAX_USCC))
        self.assertRejected(resp.results[0], 0, SC.PERMISSION_DENIED, "category")
        with harness.channel(self.node.port, "bad/unknown") as ch:
            self.assertRpcFails(SC.UNAUTHENTICATED,
                                R_grpc.PublicCreditCollectionStub(ch).PushBatch,
                                R.PushBatchRequest(records=recs))
        with self.calls("office") as c:
            self.assertEqual(c.list_all("gov", legal_ref(uscc)), [])

    def test_correct_makes_a_new_version_and_refuses_bad_requests_with_their_codes(self):
        uscc = fresh_uscc()
        pen = penalty_input(fresh_src("c7-pen"), legal_subject(uscc))
        with self.calls("market") as c:
            rid = c.push(pen).results[0].record_id
        fixed = R.PublicRecordInput()
        fixed.CopyFrom(pen)
        fixed.penalty.violation_facts = "更正：在经营场所发布虚假广告两次"
        with self.calls("tax") as t:
            own = t.push(tax_penalty_input(fresh_src("c7-tax"), legal_subject(fresh_uscc())))
            self.assertResult(own.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
            self.assertRpcFails(SC.PERMISSION_DENIED, t.collect.Correct,
                                R.CorrectRequest(record_id=rid, record=fixed, reason="typo"))
        with self.calls("market") as c:
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.Correct,
                                R.CorrectRequest(record_id=rid, record=fixed), contains="reason")
            res = c.collect.Correct(R.CorrectRequest(record_id=rid, record=fixed,
                                                     reason="事实描述有误 facts misstated"),
                                    timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=rid)
            self.assertRpcFails(SC.FAILED_PRECONDITION, c.collect.Correct,
                                R.CorrectRequest(record_id=rid, record=fixed, reason="again"))
            other_src = R.PublicRecordInput()
            other_src.CopyFrom(fixed)
            other_src.source_record_id = fresh_src("c7-other")
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.Correct,
                                R.CorrectRequest(record_id=rid, record=other_src, reason="x"),
                                contains="source_record_id")
            self.assertRpcFails(SC.NOT_FOUND, c.collect.Correct,
                                R.CorrectRequest(record_id="0" * 32, record=fixed, reason="x"))
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.Correct,
                                R.CorrectRequest(record_id="not-a-record-id", record=fixed,
                                                 reason="x"), contains="record_id")
            got = c.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
        self.assertEqual(got.record.meta.version, 2)
        self.assertEqual(got.record.meta.change_reason, "事实描述有误 facts misstated")
        self.assertEqual(got.record.penalty.violation_facts, fixed.penalty.violation_facts)
        self.assertEqual([h.meta.version for h in got.history], [1])

    def test_withdraw_hides_the_record_from_the_open_tier_and_keeps_its_history(self):
        uscc = fresh_uscc()
        keep = licence_input(fresh_src("c8-keep"), legal_subject(uscc))
        pen = penalty_input(fresh_src("c8-pen"), legal_subject(uscc))
        changed = R.PublicRecordInput()
        changed.CopyFrom(pen)
        changed.penalty.remarks = "second version"
        with self.calls("market") as c:
            ids = [r.record_id for r in c.push(keep, pen).results]
            rid = ids[1]
            self.assertResult(c.push(changed).results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=2)
        with self.calls("tax") as t:
            self.assertRpcFails(SC.PERMISSION_DENIED, t.collect.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason="not mine"))
        with self.calls("market") as c:
            res = c.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="撤销 revoked"),
                                     timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3, record_id=rid)
            self.assertRpcFails(SC.FAILED_PRECONDITION, c.collect.Withdraw,
                                R.WithdrawRequest(record_id=rid, reason="again"))
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.Withdraw,
                                R.WithdrawRequest(record_id=ids[0]), contains="reason")
        with self.calls("bank-a") as b:
            open_list = b.list_all("open", legal_ref(uscc))
            self.assertEqual([r.meta.record_id for r in open_list], [ids[0]])
            self.assertRpcFails(SC.NOT_FOUND, b.open.GetRecord, R.GetRecordRequest(record_id=rid))
        with self.calls("office") as o:
            got = o.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
            gov_list = by_source(o.list_all("gov", legal_ref(uscc)))
        rec = got.record
        self.assertEqual((rec.meta.version, rec.meta.status.withdrawn, rec.meta.change_reason),
                         (3, True, "撤销 revoked"))
        self.assertEqual(rec.penalty.remarks, "second version")
        self.assertEqual(rec.meta.subject.legal_representative_id_number, REP_ID,
                         "the withdrawn version still carries the sealed ID number")
        self.assertEqual([h.meta.version for h in got.history], [1, 2])
        self.assertEqual([h.meta.record_id for h in got.history], [rid, rid])
        self.assertEqual([h.meta.status.withdrawn for h in got.history], [False, False])
        self.assertEqual([h.penalty.remarks for h in got.history], ["", "second version"])
        self.assertEqual([h.meta.subject.legal_representative_id_number for h in got.history],
                         [REP_ID, REP_ID])
        self.assertIn(pen.source_record_id, gov_list)
        self.assertTrue(gov_list[pen.source_record_id].meta.status.withdrawn)


# --- 2. Tiers ----------------------------------------------------------------------------------

class TierTests(SharedNodeCase):

    def test_open_tier_clears_legal_representative_id_and_government_tier_shows_it(self):
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        with self.calls("market") as c:
            ids = {r.record_id for r in c.push(licence_input(fresh_src("t9-lic"), subj),
                                               penalty_input(fresh_src("t9-pen"), subj)).results}
        with self.calls("bank-a") as b:
            open_recs = b.list_all("open", legal_ref(uscc))
            one = b.open.GetRecord(R.GetRecordRequest(record_id=sorted(ids)[0]),
                                   timeout=CALL_TIMEOUT)
        self.assertEqual({r.meta.record_id for r in open_recs}, ids)
        for r in list(open_recs) + [one.record]:
            s = r.meta.subject
            self.assertEqual(s.legal_representative_id_number, "", r.meta.record_id)
            self.assertEqual(s.legal_representative_id_type, R.ID_TYPE_UNSPECIFIED)
            self.assertEqual((s.identifier, s.legal_representative), (uscc, "张三 Zhang San"))
        self.assertEqual(len(one.history), 0, "history is government tier")
        for who in ("tax", "market", "office"):
            with self.subTest(unit=who), self.calls(who) as g:
                gov = g.list_all("gov", legal_ref(uscc))
                self.assertEqual({r.meta.record_id for r in gov}, ids)
                for r in gov:
                    s = r.meta.subject
                    self.assertEqual((s.legal_representative_id_number,
                                      s.legal_representative_id_type, s.identifier),
                                     (REP_ID, R.ID_TYPE_RESIDENT_ID, uscc))

    def test_natural_person_identifier_is_cleared_in_the_open_tier_but_findable_by_it(self):
        pid = PERSON_ID
        with self.calls("market") as c:
            rid = c.push(penalty_input(fresh_src("t10"), person_subject(pid))).results[0].record_id
        with self.calls("bank-a") as b:
            open_recs = b.list_all("open", person_ref(pid))
            one = b.open.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
        self.assertEqual([r.meta.record_id for r in open_recs], [rid])
        for r in (open_recs[0], one.record):
            self.assertEqual(r.meta.subject.kind, R.SUBJECT_KIND_NATURAL_PERSON)
            self.assertEqual(r.meta.subject.identifier, "")
            self.assertEqual(r.meta.subject.name, "李四 Li Si")
        with self.calls("tax") as g:
            gov_recs = g.list_all("gov", person_ref(pid))
            gov_one = g.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
        self.assertEqual([r.meta.record_id for r in gov_recs], [rid])
        self.assertEqual(gov_recs[0].meta.subject.identifier, pid)
        self.assertEqual(gov_one.record.meta.subject.identifier, pid)

    def test_a_listed_record_is_the_one_get_record_gives_in_each_tier(self):
        # The open tier's pages are sent from forms prepared when each version was written
        # (README, "Storage"); GetRecord shapes the record as it reads it: the two agree.
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        with self.calls("market") as c:
            self.assertEqual(c.push(licence_input(fresh_src("t14-lic"), subj),
                                    penalty_input(fresh_src("t14-pen"), subj)).accepted, 2)
            self.assertEqual(c.push(penalty_input(fresh_src("t14-person"),
                                                  person_subject(LISTED_PERSON_ID))).accepted, 1)
        for tier, who in (("open", "bank-a"), ("gov", "office")):
            with self.subTest(tier=tier), self.calls(who) as x:
                stub = x.open if tier == "open" else x.gov
                for ref in (legal_ref(uscc), person_ref(LISTED_PERSON_ID)):
                    listed = x.list_all(tier, ref)
                    self.assertTrue(listed, ref)
                    for r in listed:
                        one = stub.GetRecord(R.GetRecordRequest(record_id=r.meta.record_id),
                                             timeout=CALL_TIMEOUT).record
                        self.assertEqual(r.SerializeToString(deterministic=True),
                                         one.SerializeToString(deterministic=True),
                                         r.meta.record_id)

    def test_a_resident_id_with_a_lower_case_x_is_the_subject_of_its_upper_case_form(self):
        # GB 11643 writes the check character X; a source writing x means the same person.
        upper = next(i for i in (harness.make_resident_id("50012019870514%03d" % n)
                                 for n in range(1000)) if i.endswith("X"))
        lower = upper[:-1] + "x"
        with self.calls("market") as c:
            first = c.push(penalty_input(fresh_src("x-lower"), person_subject(lower)))
            second = c.push(penalty_input(fresh_src("x-upper"), person_subject(upper)))
        ids = [r.results[0].record_id for r in (first, second)]
        for r in (first, second):
            self.assertEqual(R.PushOutcome.Name(r.results[0].outcome), "PUSH_OUTCOME_CREATED", r)
        with self.calls("tax") as g:
            for asked in (lower, upper):
                with self.subTest(asked=asked):
                    recs = g.list_all("gov", person_ref(asked))
                    self.assertEqual(sorted(r.meta.record_id for r in recs), sorted(ids))
                    self.assertEqual({r.meta.subject.identifier for r in recs}, {upper},
                                     "the number is stored in upper case")
        with self.calls("bank-a") as b:
            self.assertEqual(sorted(r.meta.record_id for r in b.list_all("open",
                                                                         person_ref(lower))),
                             sorted(ids))

    def test_government_tier_is_permission_denied_to_finance_and_portal_open_tier_is_not(self):
        uscc = fresh_uscc()
        with self.calls("market") as c:
            rid = c.push(licence_input(fresh_src("t11"), legal_subject(uscc))).results[0].record_id
        for who in ("bank-a", "portal"):
            with self.subTest(unit=who), self.calls(who) as x:
                self.assertRpcFails(SC.PERMISSION_DENIED, x.gov.ListRecords,
                                    R.ListRecordsRequest(subject=legal_ref(uscc)),
                                    contains="government tier")
                self.assertRpcFails(SC.PERMISSION_DENIED, x.gov.GetRecord,
                                    R.GetRecordRequest(record_id=rid), contains="government tier")
        with self.calls("bank-a") as b:
            self.assertEqual([r.meta.record_id for r in b.list_all("open", legal_ref(uscc))],
                             [rid])
            self.assertEqual(b.open.GetRecord(R.GetRecordRequest(record_id=rid),
                                              timeout=CALL_TIMEOUT).record.meta.record_id, rid)

    def test_penalty_past_its_end_of_publicity_is_only_in_the_government_tier(self):
        uscc = fresh_uscc()
        old = penalty_input(fresh_src("t12-old"), legal_subject(uscc), severity=R.SEVERITY_MINOR,
                            decision=datetime.date(2020, 1, 1), end=datetime.date(2020, 3, 1))
        live = penalty_input(fresh_src("t12-live"), legal_subject(uscc))
        with self.calls("market") as c:
            resp = c.push(old, live)
            self.assertEqual([r.outcome for r in resp.results], [R.PUSH_OUTCOME_CREATED, R.PUSH_OUTCOME_CREATED], resp)
            old_id, live_id = [r.record_id for r in resp.results]
        with self.calls("bank-a") as b:
            self.assertEqual([r.meta.record_id for r in b.list_all("open", legal_ref(uscc))],
                             [live_id])
            self.assertRpcFails(SC.NOT_FOUND, b.open.GetRecord,
                                R.GetRecordRequest(record_id=old_id))
        with self.calls("office") as o:
            gov = by_source(o.list_all("gov", legal_ref(uscc)))
            got = o.gov.GetRecord(R.GetRecordRequest(record_id=old_id), timeout=CALL_TIMEOUT)
        self.assertEqual(sorted(gov), sorted([old.source_record_id, live.source_record_id]))
        self.assertEqual(ddate(got.record.penalty.publicity_end_date), datetime.date(2020, 3, 1))
        observe("government tier: a penalty past its end of publicity has"
                " status.publicity_ended=%s" % got.record.meta.status.publicity_ended)

    def test_list_records_pages_filters_by_category_and_checks_page_size_and_token(self):
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        lics = [licence_input(fresh_src("t13-lic"), subj) for _ in range(4)]
        pens = [penalty_input(fresh_src("t13-pen"), subj) for _ in range(3)]
        with self.calls("market") as c:
            resp = c.push(*(lics + pens))
            self.assertEqual(resp.accepted, 7, resp)
            all_ids = {r.record_id for r in resp.results}
            lic_ids = {r.record_id for r in resp.results[:4]}
        for tier, who in (("open", "bank-a"), ("gov", "office")):
            with self.subTest(tier=tier), self.calls(who) as x:
                stub = x.open if tier == "open" else x.gov
                pages, token = [], ""
                for _ in range(5):
                    page = stub.ListRecords(R.ListRecordsRequest(subject=legal_ref(uscc),
                                                                 page_size=3, page_token=token),
                                            timeout=CALL_TIMEOUT)
                    pages.append([r.meta.record_id for r in page.records])
                    token = page.next_page_token
                    if not token:
                        break
                self.assertEqual([len(p) for p in pages], [3, 3, 1], pages)
                seen = [rid for p in pages for rid in p]
                self.assertEqual(len(seen), len(set(seen)), "duplicates across pages")
                self.assertEqual(set(seen), all_ids)
                only = x.list_all(tier, legal_ref(uscc), categories=[R.CATEGORY_LICENSING],
                                  page_size=2)
                self.assertEqual({r.meta.record_id for r in only}, lic_ids)
                self.assertEqual({r.meta.category for r in only}, {R.CATEGORY_LICENSING})
                self.assertEqual(len(only), 4)
                self.assertRpcFails(SC.INVALID_ARGUMENT, stub.ListRecords,
                                    R.ListRecordsRequest(subject=legal_ref(uscc), page_size=501),
                                    contains="page_size")
                self.assertRpcFails(SC.INVALID_ARGUMENT, stub.ListRecords,
                                    R.ListRecordsRequest(subject=legal_ref(uscc), page_size=-1),
                                    contains="page_size")
                self.assertRpcFails(SC.INVALID_ARGUMENT, stub.ListRecords,
                                    R.ListRecordsRequest(subject=legal_ref(uscc),
                                                         categories=[99]),
                                    contains="categories")
                self.assertRpcFails(SC.INVALID_ARGUMENT, stub.ListRecords,
                                    R.ListRecordsRequest(subject=legal_ref(uscc),
                                                         page_token="not-a-page-token"),
                                    contains="page_token")
                full = stub.ListRecords(R.ListRecordsRequest(subject=legal_ref(uscc),
                                                             page_size=500),
                                        timeout=CALL_TIMEOUT)
                self.assertEqual(len(full.records), 7)
                self.assertEqual(full.next_page_token, "")

    def test_government_tier_marks_a_penalty_past_its_end_of_publicity_publicity_ended(self):
        # record.proto: RecordStatus.publicity_ended means "past its end of publicity", and the
        # government tier "shows every record with its status" (svc_query.c).
        uscc = fresh_uscc()
        old = penalty_input(fresh_src("t12b-old"), legal_subject(uscc), severity=R.SEVERITY_MINOR,
                            decision=datetime.date(2020, 1, 1), end=datetime.date(2020, 3, 1))
        live = penalty_input(fresh_src("t12b-live"), legal_subject(uscc))
        with self.calls("market") as c:
            old_id, live_id = [r.record_id for r in c.push(old, live).results]
        with self.calls("office") as o:
            got = {rid: o.gov.GetRecord(R.GetRecordRequest(record_id=rid),
                                        timeout=CALL_TIMEOUT).record for rid in (old_id, live_id)}
            listed = {r.meta.record_id: r for r in o.list_all("gov", legal_ref(uscc))}
        self.assertFalse(got[live_id].meta.status.publicity_ended)
        self.assertFalse(listed[live_id].meta.status.publicity_ended)
        self.assertTrue(got[old_id].meta.status.publicity_ended,
                        "GetRecord: a penalty whose publicity ended on 2020-03-01 has status %s"
                        % got[old_id].meta.status)
        self.assertTrue(listed[old_id].meta.status.publicity_ended,
                        "ListRecords: a penalty whose publicity ended on 2020-03-01 has status %s"
                        % listed[old_id].meta.status)

    def test_a_page_followed_only_by_records_the_caller_does_not_get_has_no_next_page_token(self):
        # Ids sort by creation time: records pushed later come later in the subject index.
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        with self.calls("market") as c:
            lics = [r.record_id for r in
                    c.push(*[licence_input(fresh_src("t13b-lic"), subj) for _ in range(4)]).results]
            later = []
            for rec in (penalty_input(fresh_src("t13b-pen"), subj),
                        licence_input(fresh_src("t13b-withdrawn"), subj)):
                time.sleep(0.05)
                later.append(c.push(rec).results[0].record_id)
            c.collect.Withdraw(R.WithdrawRequest(record_id=later[1], reason="withdrawn"),
                               timeout=CALL_TIMEOUT)
        self.assertLess(max(lics), later[0], "ids do not sort by creation time")
        self.assertLess(later[0], later[1], "ids do not sort by creation time")
        with self.calls("bank-a") as b:
            cases = (
                ("LICENSING filter: the records after the page are a penalty and a withdrawn"
                 " licence", [R.CATEGORY_LICENSING], 4, set(lics)),
                ("open tier: the record after the page is withdrawn", [], 5,
                 set(lics) | {later[0]}),
            )
            for what, cats, size, want in cases:
                with self.subTest(what):
                    page = b.open.ListRecords(R.ListRecordsRequest(subject=legal_ref(uscc),
                                                                   categories=cats,
                                                                   page_size=size),
                                              timeout=CALL_TIMEOUT)
                    self.assertEqual({r.meta.record_id for r in page.records}, want)
                    if page.next_page_token:
                        rest = b.open.ListRecords(
                            R.ListRecordsRequest(subject=legal_ref(uscc), categories=cats,
                                                 page_size=size,
                                                 page_token=page.next_page_token),
                            timeout=CALL_TIMEOUT)
                        self.fail("next_page_token %r is set though nothing follows: the next"
                                  " page holds %d records" % (page.next_page_token,
                                                              len(rest.records)))

    def test_list_records_without_subject_kind_or_with_invalid_resident_id_is_invalid(self):
        for tier, who in (("open", "bank-a"), ("gov", "office")):
            with self.subTest(tier=tier), self.calls(who) as x:
                stub = x.open if tier == "open" else x.gov
                for req in (R.ListRecordsRequest(subject=R.SubjectRef(identifier=USCC_A)),
                            R.ListRecordsRequest(),
                            R.ListRecordsRequest(subject=person_ref(BAD_PERSON_ID))):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, stub.ListRecords, req,
                                        contains="subject")


# --- 3. Privacy at rest ------------------------------------------------------------------------

class PrivacyAtRestTests(InteropCase):

    def assertNoIdentityNumbersOnDisk(self, data_dir, clear_text):
        """Reads every byte of every file under data_dir (SST, write-ahead log, MANIFEST,
        OPTIONS, everything), and the Snappy blocks inside the SST files decompressed: neither
        identity number may appear. clear_text, a value stored in clear, must appear somewhere,
        or the scan proves nothing."""
        needles = [PERSON_ID.encode(), REP_ID.encode()]
        scanned, found, controls, decoded, controls_decoded = [], [], 0, 0, 0
        for dirpath, _dirs, names in os.walk(data_dir):
            for name in names:
                path = os.path.join(dirpath, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                rel = os.path.relpath(path, data_dir)
                scanned.append(rel)
                views = [("", data)]
                if name.endswith(".sst"):
                    blocks = snappy_streams(data)
                    decoded += len(blocks)
                    views += [(" (a Snappy block)", b) for b in blocks]
                for how, view in views:
                    controls += clear_text.encode() in view
                    if how and clear_text.encode() in view:
                        controls_decoded += 1
                    for n in needles:
                        if n in view:
                            found.append("%s in %s%s" % (n.decode(), rel, how))
        self.assertTrue(any(n.endswith(".log") or n.endswith(".sst") for n in scanned),
                        "no RocksDB file scanned: %s" % scanned)
        self.assertTrue(any(os.path.basename(n).startswith("MANIFEST") for n in scanned),
                        scanned)
        self.assertGreater(controls, 0, "the scan finds not even %r in clear" % clear_text)
        self.assertEqual(found, [], "identity numbers in clear in the data directory")
        observe("privacy at rest: scanned %d files (%s) and %d Snappy blocks in them (%d with"
                " the clear control value)" % (len(scanned), ", ".join(sorted(scanned)), decoded,
                                               controls_decoded))

    def test_identity_numbers_never_reach_the_disk_and_the_node_refuses_another_key(self):
        tls = harness.copy_tls("privacy")
        key = os.path.join(tls, "privacy.key")
        if os.path.exists(key):  # copied from the module's directory: this node makes its own
            os.remove(key)
        uscc = fresh_uscc()
        person = penalty_input(fresh_src("p15-person"), person_subject(PERSON_ID))
        company = licence_input(fresh_src("p15-company"), legal_subject(uscc, rep_id=REP_ID))
        company_pen = penalty_input(fresh_src("p15-company-pen"), legal_subject(uscc, REP_ID))
        # An individual business whose tax number is its keeper's resident ID and two digits.
        business = penalty_input(fresh_src("p15-business"), R.Subject(
            kind=R.SUBJECT_KIND_INDIVIDUAL_BUSINESS, name="张记小吃 Zhang's snacks",
            identifier=make_uscc("92500227MA%06d" % (700000 + _fresh.number())),
            tax_number=PERSON_ID + "01"))
        fixed = R.PublicRecordInput()
        fixed.CopyFrom(person)
        fixed.penalty.remarks = "corrected"
        with Node(tls=tls, name="privacy") as node:
            st = os.stat(key)
            self.assertTrue(stat.S_ISREG(st.st_mode), "privacy.key is not a regular file")
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600,
                             "privacy.key has mode %o" % stat.S_IMODE(st.st_mode))
            self.assertEqual(st.st_size, 64)
            with harness.Stubs(node.port, "market", tls=tls) as c:
                resp = c.push(person, company, company_pen, business)
                self.assertEqual(resp.accepted, 4, resp)
                ids = [r.record_id for r in resp.results]
                # The tax number is the government tier's alone.
                self.assertEqual(c.gov.GetRecord(R.GetRecordRequest(record_id=ids[3]),
                                                 timeout=CALL_TIMEOUT)
                                 .record.meta.subject.tax_number, PERSON_ID + "01")
                self.assertEqual(c.open.GetRecord(R.GetRecordRequest(record_id=ids[3]),
                                                  timeout=CALL_TIMEOUT)
                                 .record.meta.subject.tax_number, "")
                # More versions, each sealed on its own: a correction and a withdrawal.
                c.collect.Correct(R.CorrectRequest(record_id=ids[0], record=fixed,
                                                   reason="remarks"), timeout=CALL_TIMEOUT)
                c.collect.Withdraw(R.WithdrawRequest(record_id=ids[2], reason="withdrawn"),
                                   timeout=CALL_TIMEOUT)
                self.assertEqual(c.gov.GetRecord(R.GetRecordRequest(record_id=ids[0]),
                                                 timeout=CALL_TIMEOUT)
                                 .record.meta.subject.identifier, PERSON_ID)

        self.assertNoIdentityNumbersOnDisk(node.data, person.source_record_id)

        def args(key_path=None):
            a = ["--listen", "127.0.0.1:0", "--data", node.data, "--tls", tls]
            return a + (["--privacy-key", key_path] if key_path else [])

        other_dir = harness.new_dir("other-key")
        # A different, well-formed key.
        other = os.path.join(other_dir, "other.key")
        fd = os.open(other, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(64))
        rc, out, err = harness.run_creditd(args(other))
        self.assertEqual(rc, 2, "another key: exit %s; stdout %r; stderr %r" % (rc, out, err))
        self.assertNotIn("listening on", out)
        self.assertIn("privacy key", err)
        self.assertIn(other, err)
        # A key file that does not exist: a node with data never makes a new one.
        missing = os.path.join(other_dir, "missing.key")
        rc, out, err = harness.run_creditd(args(missing))
        self.assertEqual(rc, 2, "missing key: exit %s; stdout %r; stderr %r" % (rc, out, err))
        self.assertIn("privacy key", err)
        self.assertFalse(os.path.exists(missing), "the node made a new key for old data")

        with Node(data=node.data, tls=tls, name="privacy-again") as again:
            with harness.Stubs(again.port, "office", tls=tls) as o:
                person_recs = o.list_all("gov", person_ref(PERSON_ID))
                company_recs = o.list_all("gov", legal_ref(uscc))
                withdrawn = o.gov.GetRecord(R.GetRecordRequest(record_id=ids[2]),
                                            timeout=CALL_TIMEOUT)
        self.assertEqual([(r.meta.record_id, r.meta.version, r.meta.subject.identifier)
                          for r in person_recs], [(ids[0], 2, PERSON_ID)])
        self.assertEqual(sorted((r.meta.record_id, r.meta.subject.legal_representative_id_number)
                                for r in company_recs),
                         sorted([(ids[1], REP_ID), (ids[2], REP_ID)]))
        self.assertEqual([h.meta.subject.legal_representative_id_number
                          for h in withdrawn.history], [REP_ID])
        # Reopened, the store has flushed what the first run left in its write-ahead log.
        self.assertNoIdentityNumbersOnDisk(node.data, person.source_record_id)
        # DOMAIN.md: a natural person's number never appears in logs.
        for n in (node, again):
            text = n.stderr_text()
            for pid in (PERSON_ID, REP_ID):
                self.assertNotIn(pid, text, "%s appears in %s" % (pid, n.log))


# --- 4. Durability -----------------------------------------------------------------------------

class DurabilityTests(InteropCase):

    def test_acknowledged_push_survives_kill_9(self):
        uscc = fresh_uscc()
        recs = [licence_input(fresh_src("d16-lic"), legal_subject(uscc)),
                penalty_input(fresh_src("d16-pen"), legal_subject(uscc)),
                penalty_input(fresh_src("d16-person"), person_subject(fresh_person_id()))]
        first = Node(name="records-durable-1")
        try:
            with harness.Stubs(first.port, "market") as c:
                resp = c.push(*recs)
        finally:
            first.kill9()
        self.assertEqual(resp.accepted, 3, resp)
        ids = [r.record_id for r in resp.results]
        with Node(data=first.data, name="records-durable-2") as second:
            with harness.Stubs(second.port, "office") as o:
                got = [o.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
                       .record for rid in ids]
            with harness.Stubs(second.port, "market") as c:
                again = c.push(*recs)
        self.assertEqual([(g.meta.record_id, g.meta.version, g.meta.source_record_id)
                          for g in got],
                         [(rid, 1, r.source_record_id) for rid, r in zip(ids, recs)])
        self.assertEqual(got[1].meta.subject.legal_representative_id_number, REP_ID)
        self.assertEqual(got[2].meta.subject.identifier, recs[2].subject.identifier)
        self.assertEqual([(r.outcome, r.record_id) for r in again.results],
                         [(R.PUSH_OUTCOME_UNCHANGED, rid) for rid in ids])


if __name__ == "__main__":
    unittest.main()
