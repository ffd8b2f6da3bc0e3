"""test_sync.py: credit.v1.Sync, the change feed, through python3-grpcio.

What proto/credit/v1/sync.proto and the README ("The change feed") promise: every committed
change (record versions, withdrawals and reinstatements, unit changes, catalogue versions) in
commit order under gapless sequence numbers; the cursor as the last sequence applied; the
live tail and heartbeats; the filter by catalogue and kind; the municipal platform at the
government tier and the office's read replica unfiltered; a cursor past the head
(OUT_OF_RANGE) or behind the retention (FAILED_PRECONDITION naming the oldest sequence);
Snapshot with the sequence to resume from; who may subscribe; a subscriber that reads nothing
holding its stream back (the node sends it no more than the transport's window takes while
30,000 changes are pushed; the README gives the 100,000-change, one-minute RSS figure of the
release build).

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_sync
"""

import re
import threading
import time
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, InteropCase, Node, SharedNodeCase
from harness import REP_ID, legal_subject, penalty_input

from credit.v1 import record_pb2 as R
from credit.v1 import sync_pb2 as Y
from credit.v1 import sync_pb2_grpc as Y_grpc
from credit.v1 import unit_pb2 as U
from credit.v1 import unit_pb2_grpc as U_grpc

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=760000)
fresh_uscc = _fresh.uscc


def read_changes(port, who, cursor, want, kinds=(), catalogues=(), timeout=20.0):
    """Subscribes from `cursor` and collects changes until `want` of them came (or the position
    reached `want` when want is ("position", n)); returns (changes, last response)."""
    with harness.channel(port, who) as ch:
        stub = Y_grpc.SyncStub(ch)
        call = stub.Subscribe(Y.SubscribeRequest(cursor=cursor, kinds=list(kinds),
                                                 catalogues=list(catalogues)), timeout=timeout)
        got, last = [], None
        try:
            for resp in call:
                got.extend(resp.changes)
                last = resp
                if isinstance(want, tuple):
                    if resp.position >= want[1]:
                        break
                elif len(got) >= want:
                    break
        finally:
            call.cancel()
        return got, last


class FeedCase(SharedNodeCase):
    NODE_FLAGS = ()

    def push(self, *records, who="market"):
        with harness.Stubs(self.node.port, who) as s:
            return s.push(*records)

    def head(self):
        _, last = read_changes(self.node.port, "city", 0, ("position", 0), timeout=10)
        return last.head

    def test_every_push_enters_the_feed_in_commit_order_without_gaps(self):
        start = self.head()
        u = fresh_uscc()
        res = self.push(*[penalty_input("feed-order-%d" % i, legal_subject(u)) for i in range(5)])
        ids = [r.record_id for r in res.results]
        got, _ = read_changes(self.node.port, "city", start, 5)
        self.assertEqual([c.sequence for c in got], list(range(start + 1, start + 6)))
        self.assertEqual([c.record.meta.record_id for c in got], ids)
        for c in got:
            self.assertEqual(c.kind, Y.FEED_KIND_RECORD_VERSION)
            self.assertEqual(c.catalogue, R.CATALOGUE_PUBLIC)
            self.assertEqual(c.subject, u)
            self.assertTrue(c.committed_at.seconds > 0)

    def test_the_same_push_again_adds_nothing_to_the_feed(self):
        u = fresh_uscc()
        rec = penalty_input("feed-same", legal_subject(u))
        self.push(rec)
        head = self.head()
        self.push(rec)  # PUSH_OUTCOME_UNCHANGED: nothing written
        self.assertEqual(self.head(), head)

    def test_withdrawal_and_reinstatement_have_their_own_kinds(self):
        start = self.head()
        u = fresh_uscc()
        rid = self.push(penalty_input("feed-wd", legal_subject(u))).results[0].record_id
        with harness.Stubs(self.node.port, "market") as s:
            s.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="录入错误"),
                               timeout=CALL_TIMEOUT)
            s.collect.Reinstate(R.ReinstateRequest(record_id=rid, reason="核实无误"),
                                timeout=CALL_TIMEOUT)
        got, _ = read_changes(self.node.port, "city", start, 3)
        self.assertEqual([c.kind for c in got], [Y.FEED_KIND_RECORD_VERSION,
                                                 Y.FEED_KIND_RECORD_WITHDRAWN,
                                                 Y.FEED_KIND_RECORD_REINSTATED])
        self.assertEqual([c.record.meta.version for c in got], [1, 2, 3])
        self.assertTrue(got[1].record.meta.status.withdrawn)
        self.assertFalse(got[2].record.meta.status.withdrawn)

    def test_a_unit_change_enters_the_feed_without_identities_for_the_city(self):
        start = self.head()
        with harness.channel(self.node.port, "office") as ch:
            U_grpc.UnitRegistryStub(ch).SuspendUnit(
                U.SuspendUnitRequest(code="water", reason="暂停测试"), timeout=CALL_TIMEOUT)
            U_grpc.UnitRegistryStub(ch).ReinstateUnit(
                U.ReinstateUnitRequest(code="water", reason="恢复"), timeout=CALL_TIMEOUT)
        got, _ = read_changes(self.node.port, "city", start, 2, kinds=[Y.FEED_KIND_UNIT])
        self.assertEqual([c.subject for c in got], ["water", "water"])
        self.assertEqual(got[0].unit.code, "water")
        self.assertEqual(list(got[0].unit.identities), [])
        replica, _ = read_changes(self.node.port, "office", start, 2, kinds=[Y.FEED_KIND_UNIT])
        self.assertEqual(replica[0].sequence, got[0].sequence)

    def test_the_city_gets_the_government_tier_with_the_representative_id(self):
        start = self.head()
        u = fresh_uscc()
        self.push(penalty_input("feed-tier", legal_subject(u, rep_id=REP_ID)))
        got, _ = read_changes(self.node.port, "city", start, 1)
        self.assertEqual(got[0].record.meta.subject.legal_representative_id_number, REP_ID)

    def test_the_filter_selects_kinds_and_the_position_still_moves_past_the_rest(self):
        start = self.head()
        u = fresh_uscc()
        rid = self.push(penalty_input("feed-filter", legal_subject(u))).results[0].record_id
        with harness.Stubs(self.node.port, "market") as s:
            s.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="录入错误"),
                               timeout=CALL_TIMEOUT)
        got, last = read_changes(self.node.port, "city", start, 1,
                                 kinds=[Y.FEED_KIND_RECORD_WITHDRAWN])
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].sequence, start + 2)
        self.assertEqual(last.position, start + 2)
        none, last = read_changes(self.node.port, "city", start, ("position", start + 2),
                                  catalogues=[R.CATALOGUE_VOLUNTARY])
        self.assertEqual(none, [])

    def test_the_stream_follows_new_commits_live(self):
        start = self.head()
        u = fresh_uscc()
        out = {}

        def subscriber():
            out["got"], _ = read_changes(self.node.port, "city", start, 1, timeout=30)

        t = threading.Thread(target=subscriber)
        t.start()
        time.sleep(1.0)
        rid = self.push(penalty_input("feed-live", legal_subject(u))).results[0].record_id
        t.join(30)
        self.assertEqual(out["got"][0].record.meta.record_id, rid)

    def test_an_idle_stream_says_where_it_stands_at_once_then_gets_heartbeats(self):
        head = self.head()
        with harness.channel(self.node.port, "city") as ch:
            call = Y_grpc.SyncStub(ch).Subscribe(Y.SubscribeRequest(cursor=head), timeout=20)
            t0 = time.monotonic()
            it = iter(call)
            first = next(it)
            t1 = time.monotonic()
            second = next(it)
            t2 = time.monotonic()
            call.cancel()
        for m in (first, second):
            self.assertEqual(list(m.changes), [])
            self.assertEqual(m.position, head)
            self.assertEqual(m.head, head)
        self.assertLess(t1 - t0, 3.0)
        self.assertGreaterEqual(t2 - t1, 3.0)

    def assertSubscribeFails(self, who, req, code, contains):
        """Subscribe as `who` with `req` ends with `code`, its details naming `contains`."""
        with harness.channel(self.node.port, who) as ch:
            call = Y_grpc.SyncStub(ch).Subscribe(req, timeout=CALL_TIMEOUT)
            with self.assertRaises(grpc.RpcError) as cm:
                list(call)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        self.assertIn(contains, cm.exception.details())

    def test_a_cursor_past_the_head_is_out_of_range(self):
        self.assertSubscribeFails("city", Y.SubscribeRequest(cursor=1 << 40), SC.OUT_OF_RANGE,
                                  "cursor")

    def test_an_unknown_kind_or_catalogue_in_the_filter_is_invalid(self):
        self.assertSubscribeFails("city", Y.SubscribeRequest(kinds=[99]), SC.INVALID_ARGUMENT,
                                  "kinds[0]")
        self.assertSubscribeFails("city", Y.SubscribeRequest(catalogues=[1, 0]),
                                  SC.INVALID_ARGUMENT, "catalogues[1]")

    def test_a_department_may_not_subscribe(self):
        self.assertSubscribeFails("market", Y.SubscribeRequest(), SC.PERMISSION_DENIED,
                                  "sync.feed")

    def test_a_snapshot_holds_the_records_and_the_sequence_to_resume_from(self):
        u = fresh_uscc()
        rid = self.push(penalty_input("feed-snap", legal_subject(u))).results[0].record_id
        head = self.head()
        with harness.channel(self.node.port, "city") as ch:
            msgs = list(Y_grpc.SyncStub(ch).Snapshot(Y.SnapshotRequest(), timeout=30))
        self.assertTrue(msgs)
        self.assertTrue(all(m.resume_from == msgs[0].resume_from for m in msgs))
        self.assertGreaterEqual(msgs[0].resume_from, head)
        ids = {r.meta.record_id for m in msgs for r in m.records}
        self.assertIn(rid, ids)
        self.assertIn("city", {x.code for m in msgs for x in m.units})
        self.assertGreaterEqual(msgs[0].catalogue_version, 1)

    def test_the_subscription_is_logged_with_what_it_received(self):
        start = self.head()
        self.push(penalty_input("feed-audit", legal_subject(fresh_uscc())))
        read_changes(self.node.port, "city", start, 1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = self.node.stderr_text()
            if "subscription-ended" in text and ("from=%d changes=1" % start) in text:
                break
            time.sleep(0.2)
        self.assertIn("from=%d changes=1" % start, self.node.stderr_text())


STALL_BATCHES = 30


class FlowControlCase(InteropCase):
    def test_a_subscriber_that_reads_nothing_holds_its_stream_back(self):
        with Node(name="stalled") as node:
            ch = harness.channel(node.port, "city")
            call = Y_grpc.SyncStub(ch).Subscribe(Y.SubscribeRequest(cursor=0), timeout=300)
            u = fresh_uscc()
            with harness.Stubs(node.port, "market") as m:
                for b in range(STALL_BATCHES):
                    m.push(*[penalty_input("stall-%d-%d" % (b, i), legal_subject(u))
                             for i in range(1000)])
            time.sleep(1)
            call.cancel()
            ch.close()
            deadline = time.monotonic() + 10
            sent = None
            while time.monotonic() < deadline and sent is None:
                m2 = re.search(r"subscription-ended unit=\"?city\"? from=0 changes=(\d+)",
                               node.stderr_text())
                sent = int(m2.group(1)) if m2 else None
                time.sleep(0.2)
            self.assertIsNotNone(sent)
            harness.observe("a stalled subscriber was sent %d of %d changes"
                            % (sent, STALL_BATCHES * 1000))
            # What the transport's window holds (a few MiB), not what was pushed.
            self.assertLess(sent, STALL_BATCHES * 1000 // 2)


class StopCase(InteropCase):
    def test_a_subscription_ends_unavailable_when_the_node_stops_and_the_node_exits_at_once(self):
        node = Node(name="stop")
        try:
            with harness.channel(node.port, "city") as ch:
                call = Y_grpc.SyncStub(ch).Subscribe(Y.SubscribeRequest(cursor=0), timeout=30)
                it = iter(call)
                next(it)
                took = node.stop()  # exit status 0, checked by stop()
                with self.assertRaises(grpc.RpcError) as cm:
                    next(it)
            self.assertLess(took, 3.0)  # not the 5 s grace period: the stream is ended
            self.assertEqual(cm.exception.code(), SC.UNAVAILABLE)
            self.assertIn("subscribe again from your cursor", cm.exception.details())
        finally:
            node.kill9()


class RetentionCase(InteropCase):
    def test_a_cursor_behind_the_retention_names_the_oldest_sequence(self):
        with Node(extra=["--feed-retention", "1"]) as node:
            with harness.Stubs(node.port, "market") as s:
                u = fresh_uscc()
                s.push(penalty_input("ret-1", legal_subject(u)))
                s.push(penalty_input("ret-2", legal_subject(u)))
                time.sleep(1.5)
                s.push(penalty_input("ret-3", legal_subject(u)))
            # The worker trims every 10 s; wait for it.
            deadline = time.monotonic() + 25
            err = None
            while time.monotonic() < deadline:
                with harness.channel(node.port, "city") as ch:
                    call = Y_grpc.SyncStub(ch).Subscribe(Y.SubscribeRequest(cursor=0),
                                                         timeout=CALL_TIMEOUT)
                    try:
                        next(iter(call))
                        call.cancel()
                    except grpc.RpcError as e:
                        err = e
                        break
                time.sleep(1)
            self.assertIsNotNone(err, "the feed was never trimmed")
            self.assertEqual(err.code(), SC.FAILED_PRECONDITION)
            self.assertIn("from sequence 3 on", err.details())
            got, _ = read_changes(node.port, "city", 2, 1)
            self.assertEqual(got[0].sequence, 3)


if __name__ == "__main__":
    unittest.main()
