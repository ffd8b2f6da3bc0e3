"""test_write_integrity.py: what a push may and may not change, through python3-grpcio.

The rules (README, "What a push changes"):

- content that any version of a record already holds is PUSH_OUTCOME_UNCHANGED and writes nothing,
  whatever became of the record since: an old file sent again never undoes a correction and
  never revives a withdrawal; the reply names the record's current version and status and
  the newest version the content matches;
- new content for a withdrawn record is FAILED_PRECONDITION; Reinstate (the source unit,
  with a reason) is the only way back;
- once a version carries the source's modification time (source_updated_at), a change must
  carry a later one: an older or equal one is a stale re-send, FAILED_PRECONDITION naming
  both times, and nothing is written; the same facts with a later time are PUSH_OUTCOME_UNCHANGED;
- a client stream is one call: nothing of it is stored unless it ends with the client's
  half-close and the node's OK. Cancelled or failed streams, at any point, store nothing
  (records and industrial samples alike), and a stream above its limit stores nothing;
- within one call a source record appears once; a rejected record does not hold its id;
- a unit's suspension, and its certificate's revocation, take effect on its streams already
  open: their later messages are refused and nothing of them is stored;
- content is compared in canonical form: the `extra` map in any order, a default the node
  fills in stated or left out, text in any Unicode normalization form (stored in NFC) are
  the same content.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_write_integrity
"""

import calendar
import datetime
import hashlib
import queue
import threading
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, legal_ref, legal_subject, penalty_input

from credit.v1 import catalogue_pb2 as C
from credit.v1 import catalogue_pb2_grpc as C_grpc
from credit.v1 import industrial_pb2 as I
from credit.v1 import industrial_pb2_grpc as I_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import unit_pb2 as K

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=700000)
fresh_uscc = _fresh.uscc


def fresh_src(prefix):
    return "%s-%d" % (prefix, _fresh.number())


def at(*args):
    """A Timestamp at a UTC date and time."""
    return timestamp_pb2.Timestamp(seconds=calendar.timegm(datetime.datetime(*args).timetuple()))


class Case(harness.PushAssertions, harness.SharedNodeCase):

    def calls(self, who):
        return harness.Stubs(self.node.port, who)

    def gov_records(self, uscc):
        with self.calls("office") as o:
            return o.list_all("gov", legal_ref(uscc))

    def open_records(self, uscc):
        with self.calls("office") as o:
            return o.list_all("open", legal_ref(uscc))


class WithdrawalAndCorrectionTests(Case):

    def test_a_re_push_of_a_withdrawn_record_is_unchanged_and_it_stays_withdrawn(self):
        uscc = fresh_uscc()
        p = penalty_input(fresh_src("wd"), legal_subject(uscc))
        with self.calls("market") as c:
            rid = c.push(p).results[0].record_id
            w = c.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="撤销处罚 revoked"),
                                   timeout=CALL_TIMEOUT)
            self.assertTrue(w.status.withdrawn)
            again = c.push(p).results[0]
            self.assertResult(again, 0, R.PUSH_OUTCOME_UNCHANGED, version=2, record_id=rid)
            self.assertTrue(again.status.withdrawn, again)
            self.assertEqual(again.matched_version, 2)
            self.assertEqual(self.open_records(uscc), [])
            self.assertRpcFails(SC.NOT_FOUND, c.open.GetRecord, R.GetRecordRequest(record_id=rid))
            # New content for it is refused, naming the way back.
            changed = penalty_input(p.source_record_id, legal_subject(uscc), fine=700000)
            res = c.push(changed).results[0]
            self.assertRejected(res, 0, SC.FAILED_PRECONDITION, "source_record_id")
            self.assertIn("withdrawn", res.reason)
            self.assertIn("Reinstate", res.reason)
            # So is it through a stream.
            streamed = c.collect.Push(iter([changed]), timeout=CALL_TIMEOUT)
            self.assertRejected(streamed.results[0], 0, SC.FAILED_PRECONDITION,
                                "source_record_id")
        with self.calls("office") as o:
            resp = o.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
        self.assertEqual(resp.record.meta.version, 2)
        self.assertEqual([v.meta.version for v in resp.history], [1])

    def test_only_the_source_unit_reinstates_and_only_a_withdrawn_record_with_a_reason(self):
        uscc = fresh_uscc()
        p = penalty_input(fresh_src("rein"), legal_subject(uscc))
        with self.calls("market") as c:
            rid = c.push(p).results[0].record_id
            self.assertRpcFails(SC.FAILED_PRECONDITION, c.collect.Reinstate,
                                R.ReinstateRequest(record_id=rid, reason="not withdrawn yet"),
                                contains=rid)
            c.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="误报 reported in error"),
                               timeout=CALL_TIMEOUT)
        with self.calls("tax") as t:
            self.assertRpcFails(SC.PERMISSION_DENIED, t.collect.Reinstate,
                                R.ReinstateRequest(record_id=rid, reason="not mine"))
        with self.calls("market") as c:
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.Reinstate,
                                R.ReinstateRequest(record_id=rid), contains="reason")
            res = c.collect.Reinstate(R.ReinstateRequest(record_id=rid, reason="复核后恢复 upheld"),
                                      timeout=CALL_TIMEOUT)
            self.assertResult(res, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3, record_id=rid)
            self.assertFalse(res.status.withdrawn)
            got = c.open.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
            self.assertEqual(got.record.meta.change_reason, "复核后恢复 upheld")
            # Reinstated, it takes new content again.
            changed = penalty_input(p.source_record_id, legal_subject(uscc), fine=800000)
            self.assertResult(c.push(changed).results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=4)

    def test_an_old_file_sent_again_does_not_undo_a_correction(self):
        uscc = fresh_uscc()
        old = penalty_input(fresh_src("corr"), legal_subject(uscc), fine=500000)
        fixed = penalty_input(old.source_record_id, legal_subject(uscc), fine=50000)
        with self.calls("market") as c:
            rid = c.push(old).results[0].record_id
            c.collect.Correct(R.CorrectRequest(record_id=rid, record=fixed,
                                               reason="罚款金额更正 fine corrected"),
                              timeout=CALL_TIMEOUT)
            again = c.push(old).results[0]
            self.assertResult(again, 0, R.PUSH_OUTCOME_UNCHANGED, version=2, record_id=rid)
            self.assertEqual(again.matched_version, 1)
            streamed = c.collect.Push(iter([old]), timeout=CALL_TIMEOUT).results[0]
            self.assertResult(streamed, 0, R.PUSH_OUTCOME_UNCHANGED, version=2, record_id=rid)
            got = c.open.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT)
        self.assertEqual(got.record.penalty.fine_amount_fen, 50000)
        self.assertEqual(got.record.meta.version, 2)


class SourceTimeTests(Case):

    def push_at(self, c, rec, t):
        rec.source_updated_at.CopyFrom(t)
        return c.push(rec).results[0]

    def test_a_stale_re_send_is_refused_naming_both_times_and_writes_nothing(self):
        uscc = fresh_uscc()
        src = fresh_src("stale")
        with self.calls("market") as c:
            v1 = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=100000),
                              at(2025, 3, 1, 9, 0, 0))
            self.assertResult(v1, 0, R.PUSH_OUTCOME_CREATED, version=1)
            v2 = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=200000),
                              at(2025, 3, 2, 9, 0, 0))
            self.assertResult(v2, 0, R.PUSH_OUTCOME_NEW_VERSION, version=2)
            # Content never stored, from an export older than version 2.
            stale = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=150000),
                                 at(2025, 3, 1, 12, 0, 0))
            self.assertRejected(stale, 0, SC.FAILED_PRECONDITION, "source_updated_at")
            self.assertIn("2025-03-01T12:00:00Z", stale.reason)
            self.assertIn("2025-03-02T09:00:00Z", stale.reason)
            # The same time with other content is not later either.
            same = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=160000),
                                at(2025, 3, 2, 9, 0, 0))
            self.assertRejected(same, 0, SC.FAILED_PRECONDITION, "source_updated_at")
            # Once the record has a source time, a change without one is refused.
            bare = c.push(penalty_input(src, legal_subject(uscc), fine=170000)).results[0]
            self.assertRejected(bare, 0, SC.FAILED_PRECONDITION, "source_updated_at")
            # The same facts with a later time: nothing to write.
            later = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=200000),
                                 at(2025, 3, 5, 9, 0, 0))
            self.assertResult(later, 0, R.PUSH_OUTCOME_UNCHANGED, version=2)
            newer = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=300000),
                                 at(2025, 3, 6, 9, 0, 0))
            self.assertResult(newer, 0, R.PUSH_OUTCOME_NEW_VERSION, version=3)
            got = c.gov.GetRecord(R.GetRecordRequest(record_id=v1.record_id),
                                  timeout=CALL_TIMEOUT).record
        self.assertEqual(got.penalty.fine_amount_fen, 300000)
        self.assertEqual(got.meta.source_updated_at.seconds, at(2025, 3, 6, 9, 0, 0).seconds)

    def test_a_source_time_in_the_future_or_malformed_is_invalid(self):
        uscc = fresh_uscc()
        with self.calls("market") as c:
            future = timestamp_pb2.Timestamp(seconds=int(time.time()) + 86400)
            res = self.push_at(c, penalty_input(fresh_src("fut"), legal_subject(uscc)), future)
            self.assertRejected(res, 0, SC.INVALID_ARGUMENT, "source_updated_at")
            bad = timestamp_pb2.Timestamp(seconds=1700000000, nanos=-1)
            res = self.push_at(c, penalty_input(fresh_src("nanos"), legal_subject(uscc)), bad)
            self.assertRejected(res, 0, SC.INVALID_ARGUMENT, "source_updated_at")
        self.assertEqual(self.gov_records(uscc), [])

    def test_a_correction_without_a_source_time_keeps_the_guard(self):
        uscc = fresh_uscc()
        src = fresh_src("corr-t")
        with self.calls("market") as c:
            v1 = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=100000),
                              at(2025, 4, 1))
            fixed = penalty_input(src, legal_subject(uscc), fine=90000)
            c.collect.Correct(R.CorrectRequest(record_id=v1.record_id, record=fixed,
                                               reason="更正 corrected"), timeout=CALL_TIMEOUT)
            stale = self.push_at(c, penalty_input(src, legal_subject(uscc), fine=95000),
                                 at(2025, 3, 30))
            self.assertRejected(stale, 0, SC.FAILED_PRECONDITION, "source_updated_at")


class BatchTests(Case):

    def test_a_rejected_record_does_not_hold_its_source_id_in_a_batch(self):
        uscc = fresh_uscc()
        src = fresh_src("hold")
        bad = penalty_input(src, legal_subject(uscc))
        bad.subject.identifier = "91230500MA1B3N1N2X"  # wrong check character
        good = penalty_input(src, legal_subject(uscc))
        with self.calls("market") as c:
            resp = c.push(bad, good, good)
        self.assertRejected(resp.results[0], 0, SC.INVALID_ARGUMENT, "subject.identifier")
        self.assertResult(resp.results[1], 1, R.PUSH_OUTCOME_CREATED, version=1)
        self.assertRejected(resp.results[2], 2, SC.INVALID_ARGUMENT, "source_record_id")
        self.assertIn("index 1", resp.results[2].reason)
        self.assertEqual(len(self.gov_records(uscc)), 1)


class AbandonedStreamTests(Case):
    """A stream that does not end with the client's half-close stores nothing. The client
    fails or cancels at many points (after 0 to all of its records, at once or after a pause),
    repeated, so that a race cannot hide."""

    TRIALS = 24

    def abandon(self, stub_call, records, trial):
        pause = 0.02 * (trial % 4)
        how = trial % 3  # 0: the generator raises; 1: cancel the future; 2: cancel mid-records
        sent = threading.Event()

        def gen():
            for i, r in enumerate(records):
                if how == 2 and i == len(records) // 2:
                    sent.set()
                    time.sleep(1.0)
                yield r
            sent.set()
            time.sleep(pause)
            if how == 0:
                raise RuntimeError("the client fails before half-closing")
            time.sleep(2.0)  # cancelled meanwhile

        fut = stub_call.future(gen(), timeout=10)
        if how != 0:
            sent.wait(5)
            time.sleep(pause)
            fut.cancel()
        try:
            fut.result()
        except (grpc.RpcError, grpc.FutureCancelledError):
            pass
        else:
            self.fail("trial %d: the abandoned stream finished OK" % trial)

    def test_a_cancelled_or_failed_record_stream_stores_nothing(self):
        with self.calls("market") as c:
            for trial in range(self.TRIALS):
                uscc = fresh_uscc()
                n = 1 + trial % 5
                recs = [penalty_input(fresh_src("ab"), legal_subject(uscc)) for _ in range(n)]
                self.abandon(c.collect.Push, recs, trial)
                time.sleep(0.05)
                self.assertEqual(self.gov_records(uscc), [], "trial %d stored records" % trial)
            # A stream that half-closes is stored as before.
            uscc = fresh_uscc()
            recs = [penalty_input(fresh_src("ok"), legal_subject(uscc)) for _ in range(3)]
            self.assertEqual(c.collect.Push(iter(recs), timeout=CALL_TIMEOUT).accepted, 3)
            self.assertEqual(len(self.gov_records(uscc)), 3)

    def test_a_cancelled_or_failed_sample_stream_stores_nothing(self):
        ch = harness.channel(self.node.port, "ind-platform")
        ind = I_grpc.IndustrialDataCollectionStub(ch)
        base = calendar.timegm(datetime.datetime(2024, 6, 1).timetuple())
        try:
            for trial in range(self.TRIALS // 2):
                uscc = fresh_uscc()
                consent = hashlib.sha256(uscc.encode()).hexdigest()
                ind.RegisterOptIn(I.RegisterOptInRequest(enterprise_uscc=uscc,
                                                         consent_digest=consent),
                                  timeout=CALL_TIMEOUT)
                samples = [I.Sample(enterprise_uscc=uscc, section="ENERGY_USE",
                                    metric="electricity_kwh", period_seconds=3600,
                                    value=float(i + 1),
                                    period_start=timestamp_pb2.Timestamp(seconds=base + 3600 * i))
                           for i in range(600)]
                self.abandon(ind.PushSamples, samples, trial)
                time.sleep(0.05)
                with self.calls("office") as o:
                    got = o.gov.GetSeries(I.SeriesRequest(enterprise_uscc=uscc,
                                                          section="ENERGY_USE",
                                                          metric="electricity_kwh"),
                                          timeout=CALL_TIMEOUT)
                self.assertEqual(len(got.points), 0, "trial %d stored samples" % trial)
        finally:
            ch.close()


class StreamLimitTests(Case):

    def test_a_stream_over_10000_records_is_resource_exhausted_and_stores_nothing(self):
        uscc = fresh_uscc()
        subj = legal_subject(uscc)
        recs = (penalty_input("lim-%d" % i, subj) for i in range(10001))
        with self.calls("market") as c:
            self.assertRpcFails(SC.RESOURCE_EXHAUSTED, c.collect.Push, recs,
                                contains="10000", timeout=120)
        self.assertEqual(self.gov_records(uscc), [])


class ContentIdentityTests(Case):
    """The same facts in any equivalent encoding are PUSH_OUTCOME_UNCHANGED."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two dimensions approved after the proto: they travel in `extra`.
        ch = harness.channel(cls.node.port, "market")
        och = harness.channel(cls.node.port, "office")
        try:
            market, office = C_grpc.CatalogueGovernanceStub(ch), C_grpc.CatalogueGovernanceStub(och)
            for code in ("rectified_on_note", "inspector_note"):
                cr = market.ProposeChange(C.ProposeChangeRequest(
                    catalogue=R.CATALOGUE_PUBLIC, section="PENALTY", kind=C.CHANGE_KIND_ADD_DIMENSION,
                    dimension=C.Dimension(code=code, name=code, type=C.VALUE_TYPE_TEXT,
                                          tier=C.TIER_OPEN),
                    justification="tests of map order"), timeout=CALL_TIMEOUT)
                office.ReviewChange(C.ReviewChangeRequest(id=cr.id, passed=True,
                                                          reasons="ok"), timeout=CALL_TIMEOUT)
                office.DecideChange(C.DecideChangeRequest(id=cr.id, approve=True, reasons="ok"),
                                    timeout=CALL_TIMEOUT)
        finally:
            ch.close()
            och.close()

    def with_extra(self, rec, items):
        for k, v in items:
            rec.extra[k].text = v
        return rec

    def test_extra_values_in_another_order_are_unchanged(self):
        uscc = fresh_uscc()
        src = fresh_src("order")
        items = [("rectified_on_note", "已整改 rectified"), ("inspector_note", "复查 re-checked")]
        with self.calls("market") as c:
            for attempt in range(5):
                # python-protobuf writes a map in insertion order: alternate it.
                order = items if attempt % 2 == 0 else list(reversed(items))
                rec = self.with_extra(penalty_input(src, legal_subject(uscc)), order)
                res = c.push(rec).results[0]
                self.assertResult(res, 0, R.PUSH_OUTCOME_CREATED if attempt == 0 else R.PUSH_OUTCOME_UNCHANGED,
                                  version=1)
                streamed = c.collect.Push(iter([rec]), timeout=CALL_TIMEOUT).results[0]
                self.assertResult(streamed, 0, R.PUSH_OUTCOME_UNCHANGED, version=1)

    def test_stating_the_default_end_of_publicity_is_unchanged_and_so_is_leaving_it_out(self):
        uscc = fresh_uscc()
        src = fresh_src("dflt")
        bare = penalty_input(src, legal_subject(uscc))
        with self.calls("market") as c:
            first = c.push(bare).results[0]
            self.assertResult(first, 0, R.PUSH_OUTCOME_CREATED, version=1)
            got = c.gov.GetRecord(R.GetRecordRequest(record_id=first.record_id),
                                  timeout=CALL_TIMEOUT).record
            stated = penalty_input(src, legal_subject(uscc))
            stated.penalty.publicity_end_date.CopyFrom(got.penalty.publicity_end_date)
            self.assertResult(c.push(stated).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1)
            self.assertResult(c.push(bare).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1)

    def test_text_in_another_unicode_form_is_unchanged_and_stored_in_nfc(self):
        uscc = fresh_uscc()
        src = fresh_src("nfc")
        composed = "Caf\u00e9 \ud55c"          # é and 한 composed (NFC)
        decomposed = "Cafe\u0301 \u1112\u1161\u11ab"  # the same, decomposed (NFD)
        with self.calls("market") as c:
            a = penalty_input(src, legal_subject(uscc), facts=decomposed)
            first = c.push(a).results[0]
            self.assertResult(first, 0, R.PUSH_OUTCOME_CREATED, version=1)
            b = penalty_input(src, legal_subject(uscc), facts=composed)
            self.assertResult(c.push(b).results[0], 0, R.PUSH_OUTCOME_UNCHANGED, version=1)
            got = c.open.GetRecord(R.GetRecordRequest(record_id=first.record_id),
                                   timeout=CALL_TIMEOUT).record
        self.assertEqual(got.penalty.violation_facts, composed)


class InFlightTests(Case):
    """The caller is checked again during a stream, not only when it opens."""

    NODE_FLAGS = ("--reload-seconds", "1")

    def open_stream(self, stub_call):
        q = queue.Queue()

        def gen():
            while True:
                item = q.get()
                if item is None:
                    return
                yield item

        return q, stub_call.future(gen(), timeout=30)

    def test_a_suspension_stops_a_stream_already_open_and_stores_nothing(self):
        uscc = fresh_uscc()
        recs = [penalty_input(fresh_src("susp"), legal_subject(uscc)) for _ in range(6)]
        with self.calls("market") as c, self.calls("office") as o:
            q, fut = self.open_stream(c.collect.Push)
            for r in recs[:3]:
                q.put(r)
            time.sleep(0.5)  # the first three reach the node
            units = harness.registry(o.ch)
            units.SuspendUnit(K.SuspendUnitRequest(code="market", reason="数据质量整改 audit"),
                              timeout=CALL_TIMEOUT)
            try:
                for r in recs[3:]:
                    q.put(r)
                q.put(None)
                err = fut.exception(timeout=30)
                self.assertIsNotNone(err, "the stream of a suspended unit finished OK")
                self.assertEqual(err.code(), SC.PERMISSION_DENIED, err.details())
                self.assertIn("suspended during this call", err.details())
                self.assertIn("nothing of this stream was stored", err.details())
            finally:
                units.ReinstateUnit(K.ReinstateUnitRequest(code="market", reason="整改完成 done"),
                                    timeout=CALL_TIMEOUT)
        self.assertEqual(self.gov_records(uscc), [])

    def test_a_revoked_certificate_stops_its_stream_already_open(self):
        cert = harness.issue_cert("market-inflight", "urn:credit:unit:market")
        uscc = fresh_uscc()
        recs = [penalty_input(fresh_src("rev"), legal_subject(uscc)) for _ in range(6)]
        ch = harness.channel(self.node.port, cert)
        try:
            q, fut = self.open_stream(R_grpc_stub(ch).Push)
            for r in recs[:3]:
                q.put(r)
            time.sleep(0.5)
            harness.revoke_cert(cert)
            time.sleep(3.0)  # the node re-reads its CRLs every second
            for r in recs[3:]:
                q.put(r)
            q.put(None)
            err = fut.exception(timeout=30)
            self.assertIsNotNone(err, "the stream of a revoked certificate finished OK")
            self.assertEqual(err.code(), SC.UNAUTHENTICATED, err.details())
            self.assertIn("during this call", err.details())
        finally:
            ch.close()
        self.assertEqual(self.gov_records(uscc), [])


def R_grpc_stub(ch):
    from credit.v1 import record_pb2_grpc
    return record_pb2_grpc.PublicCreditCollectionStub(ch)


if __name__ == "__main__":
    unittest.main()
