"""test_crash_consistency.py: kill -9 during the office's changes loses nothing acknowledged.

Pushes were already shown to survive kill -9 (test_public_records, test_foundation). Here the
other writes of the node run in a loop on three threads — unit registration, catalogue
approval (file, review, decide), mandate registration and revocation — while the node is
killed with SIGKILL at a random moment, six times over one data directory. After every
restart, everything the node had acknowledged must be there, exactly: the units, the
approved requests with the versions they made (versions numbered without gaps), the mandates
in the state last acknowledged. Calls cut off by the kill may or may not have happened; they
are not asserted.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_crash_consistency
"""

import random
import threading
import time
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, InteropCase, Node

from credit.v1 import association_pb2 as A
from credit.v1 import association_pb2_grpc as A_grpc
from credit.v1 import catalogue_pb2 as C
from credit.v1 import catalogue_pb2_grpc as C_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import unit_pb2 as K

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

ROUNDS = 6


class Acked:
    """What the node acknowledged, shared by the worker threads."""

    def __init__(self):
        self.mu = threading.Lock()
        self.units = set()
        self.approved = {}   # change id -> resulting version
        # association USCC -> True (live), False (revoked), None (a revocation was cut off:
        # either)
        self.mandates = {}


def units_worker(port, rnd, stop, acked):
    with harness.channel(port, "office") as ch:
        reg = harness.registry(ch)
        i = 0
        while not stop.is_set():
            code = "crash-%d-%d" % (rnd, i)
            i += 1
            try:
                reg.RegisterUnit(K.RegisterUnitRequest(code=code, name="崩溃测试 %s" % code,
                                                       kind=K.UNIT_KIND_FINANCE), timeout=5)
            except grpc.RpcError:
                return
            with acked.mu:
                acked.units.add(code)


def catalogue_worker(port, rnd, stop, acked):
    with harness.channel(port, "market") as mch, harness.channel(port, "office") as och:
        market, office = C_grpc.CatalogueGovernanceStub(mch), C_grpc.CatalogueGovernanceStub(och)
        i = 0
        while not stop.is_set():
            code = "crash_%d_%d" % (rnd, i)
            i += 1
            try:
                cr = market.ProposeChange(C.ProposeChangeRequest(
                    catalogue=R.CATALOGUE_PUBLIC, section="PENALTY", kind=C.CHANGE_KIND_ADD_DIMENSION,
                    dimension=C.Dimension(code=code, name=code, type=C.VALUE_TYPE_TEXT,
                                          tier=C.TIER_OPEN),
                    justification="崩溃一致性测试 crash test"), timeout=5)
                office.ReviewChange(C.ReviewChangeRequest(id=cr.id, reasons="ok",
                                                          passed=True), timeout=5)
                done = office.DecideChange(C.DecideChangeRequest(id=cr.id, approve=True,
                                                                 reasons="ok"), timeout=5)
            except grpc.RpcError:
                return
            with acked.mu:
                acked.approved[done.id] = done.resulting_version


def mandates_worker(port, rnd, stop, acked):
    with harness.channel(port, "office") as ch:
        stub = A_grpc.AssociationCollectionStub(ch)
        i = 0
        while not stop.is_set():
            uscc = harness.make_uscc("51500227MJ%06d" % (rnd * 10000 + i))
            i += 1
            try:
                stub.RegisterMandate(A.RegisterMandateRequest(
                    platform="assoc-platform",
                    association=R.AssociationRef(uscc=uscc, name="崩溃测试商会 %d" % i)),
                    timeout=5)
                with acked.mu:
                    acked.mandates[uscc] = True
            except grpc.RpcError:
                return
            if i % 2:
                try:
                    stub.RevokeMandate(A.RevokeMandateRequest(
                        platform="assoc-platform", association_uscc=uscc,
                        reason="测试撤销 revoked in a test"), timeout=5)
                except grpc.RpcError:
                    with acked.mu:
                        acked.mandates[uscc] = None
                    return
                with acked.mu:
                    acked.mandates[uscc] = False


class CrashConsistencyTest(InteropCase):

    def check(self, port, acked):
        with harness.channel(port, "office") as ch:
            reg = harness.registry(ch)
            for code in sorted(acked.units):
                self.assertEqual(reg.GetUnit(K.GetUnitRequest(code=code),
                                             timeout=CALL_TIMEOUT).code, code)
            cat = C_grpc.CatalogueGovernanceStub(ch)
            versions = [v.version for v in
                        cat.ListVersions(C.ListVersionsRequest(), timeout=CALL_TIMEOUT).versions]
            self.assertEqual(versions, list(range(1, len(versions) + 1)), "versions with gaps")
            for cid, version in sorted(acked.approved.items()):
                got = cat.GetChange(C.GetChangeRequest(id=cid), timeout=CALL_TIMEOUT)
                self.assertEqual(got.state, C.CHANGE_STATE_APPROVED, got)
                self.assertEqual(got.resulting_version, version, got)
                self.assertIn(version, versions)
            mand = A_grpc.AssociationCollectionStub(ch).ListMandates(
                A.ListMandatesRequest(platform="assoc-platform"), timeout=CALL_TIMEOUT)
            live = {}
            for m in mand.mandates:
                live[m.association.uscc] = live.get(m.association.uscc, False) or not m.revoked
            for uscc, want_live in sorted(acked.mandates.items()):
                self.assertIn(uscc, live, "an acknowledged mandate is gone")
                if want_live is None:
                    continue
                self.assertEqual(live[uscc], want_live, uscc)

    def test_acknowledged_units_approvals_and_mandates_survive_kill_9_at_random_moments(self):
        rng = random.Random(20261203)
        acked = Acked()
        data = None
        for rnd in range(ROUNDS):
            node = Node(data=data, name="crash-%d" % rnd)
            data = node.data
            if rnd:
                self.check(node.port, acked)  # what the kill before left
            stop = threading.Event()
            workers = [threading.Thread(target=w, args=(node.port, rnd, stop, acked))
                       for w in (units_worker, catalogue_worker, mandates_worker)]
            for w in workers:
                w.start()
            time.sleep(rng.uniform(0.4, 1.6))
            node.kill9()
            stop.set()
            for w in workers:
                w.join(30)
        with Node(data=data, name="crash-final") as node:
            self.check(node.port, acked)
        harness.observe("kill -9 x%d: %d units, %d approvals, %d mandates acknowledged and found"
                        % (ROUNDS, len(acked.units), len(acked.approved), len(acked.mandates)))
        self.assertGreater(len(acked.units), 0)
        self.assertGreater(len(acked.approved), 0)
        self.assertGreater(len(acked.mandates), 0)


if __name__ == "__main__":
    unittest.main()
