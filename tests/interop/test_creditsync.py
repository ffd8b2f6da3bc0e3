"""test_creditsync.py: two creditd processes and creditsync between them.

The district node (the module's PKI) and the municipal node (a PKI of its own, its own data
directory) each have a UNIT_KIND_MUNICIPAL unit, "city". creditsync follows the district's
change feed as "city" and pushes every record change to the municipal node as its "city"
with CHANNEL_MUNICIPAL_SYNC, keyed by the district's record ids (README, "creditsync").

- 10,000 changes of every kind creditsync forwards (new records, new versions, withdrawals,
  reinstatements; public records and service-unit declarations) and some it does not (unit
  changes), while creditsync is killed with SIGKILL at 20 random moments and started again
  each time; in the end both nodes' government views of every subject are equal and no
  record has more versions at the city than at the district.
- The city's own decision on a district subject comes down through a second creditsync, and
  is not sent back up.
- A forwarder whose cursor is older than the district keeps its feed catches up from a
  Snapshot (withdrawn records withdrawn at the city too), then follows the feed again.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_creditsync
"""

import os
import random
import re
import signal
import subprocess
import threading
import time
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, InteropCase, Node
from harness import legal_subject, penalty_input, pdate, tstamp, utc_today

from credit.v1 import record_pb2 as R
from credit.v1 import service_unit_pb2 as SU
from credit.v1 import service_unit_pb2_grpc as SU_grpc
from credit.v1 import sync_pb2 as Y
from credit.v1 import sync_pb2_grpc as Y_grpc
from credit.v1 import unit_pb2 as U
from credit.v1 import unit_pb2_grpc as U_grpc

CREDITSYNC = os.path.join(os.path.dirname(os.path.dirname(harness.CREDITD)), "tools",
                          "creditsync")

_fresh = harness.Fresh(uscc_base=820000)
fresh_uscc = _fresh.uscc

SUBJECTS = 100
CHANGES = 10000
KILLS = 20

_city_tls = None


def setUpModule():
    global _city_tls
    harness.setup_module()
    # The municipal node's own PKI: its own CA, server and unit certificates.
    _city_tls = os.path.join(harness.new_dir("city-pki"), "tls")
    harness._run_script(_city_tls)


tearDownModule = harness.teardown_module


class Sync:
    """One creditsync process from node `src` (PKI src_tls) to node `dst` (PKI dst_tls)."""

    def __init__(self, src, src_tls, dst, dst_tls, state, log, extra=()):
        scrt, skey = harness.cert_paths("city", src_tls)
        dcrt, dkey = harness.cert_paths("city", dst_tls)
        self.argv = [CREDITSYNC,
                     "--from", "127.0.0.1:%d" % src.port,
                     "--from-ca", os.path.join(src_tls, "ca.crt"),
                     "--from-cert", scrt, "--from-key", skey,
                     "--to", "127.0.0.1:%d" % dst.port,
                     "--to-ca", os.path.join(dst_tls, "ca.crt"),
                     "--to-cert", dcrt, "--to-key", dkey,
                     "--state", state, "--log", log, "--progress-ms", "200"] + list(extra)
        self.stderr = log + ".stderr"
        self.proc = None

    def start(self):
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        return self

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self):
        """SIGTERM: must exit 0."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)


def text_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def declaration(src, subject):
    when = utc_today()
    return SU.ServiceUnitRecordInput(
        source_record_id=src, section="GOOD_CONDUCT", subject=subject, occurred_at=tstamp(when),
        declaration=R.Declaration(
            declaring_body="璧城街道东林社区 Donglin community",
            conduct="义务参加防汛抢险 volunteered in the flood relief",
            basis="《东林社区居民公约》第五条", evidence_reference="DL-%s" % src,
            conduct_date=pdate(when), place="东林社区三栋",
            outcome="社区通报表扬 commended", remarks="备注 %s" % src))


def gov_view(port, tls, usccs):
    """Every record of every subject in the government tier: {record id: record}."""
    out = {}
    with harness.Stubs(port, "office", tls=tls) as s:
        for u in usccs:
            for rec in s.list_all("gov", harness.legal_ref(u)):
                out[rec.meta.record_id] = rec
    return out


def content(rec):
    """What both views must agree on: the subject, the body and the withdrawn flag."""
    body = rec.WhichOneof("body")
    return (rec.meta.catalogue, rec.meta.category, rec.meta.section,
            rec.meta.subject.SerializeToString(deterministic=True),
            getattr(rec, body).SerializeToString(deterministic=True),
            rec.meta.status.withdrawn)


class CreditsyncCase(InteropCase):
    def setUp(self):
        if not os.access(CREDITSYNC, os.X_OK):
            self.skipTest("creditsync not built: %s" % CREDITSYNC)

    def test_ten_thousand_changes_survive_twenty_kills_and_both_views_agree(self):
        district = Node(name="district")
        city = Node(name="city", tls=_city_tls)
        work = harness.new_dir("creditsync")
        state, log = os.path.join(work, "up.state"), os.path.join(work, "up.log")
        try:
            usccs = [fresh_uscc() for _ in range(SUBJECTS)]
            done = threading.Event()
            made = {"changes": 0}
            failure = []

            def workload():
                try:
                    self._workload(district, usccs, made)
                except Exception as e:  # reported by the main thread
                    failure.append(e)
                finally:
                    done.set()

            t = threading.Thread(target=workload)
            t.start()
            rnd = random.Random(1616)
            kills = 0
            sync = Sync(district, harness.tls_dir(), city, _city_tls, state, log).start()
            while kills < KILLS:
                time.sleep(rnd.uniform(0.3, 2.5 if not done.is_set() else 1.0))
                sync.kill9()
                kills += 1
                sync = Sync(district, harness.tls_dir(), city, _city_tls, state, log).start()
            t.join(120)
            self.assertFalse(failure, failure)
            self.assertGreaterEqual(made["changes"], CHANGES)
            # Let it catch up, then stop it with SIGTERM: exit 0, its cursor saved.
            deadline = time.monotonic() + 90
            head = self._head(district)
            while time.monotonic() < deadline:
                m = re.findall(r"cursor=(\d+) head=(\d+)", text_of(log))
                if m and int(m[-1][0]) >= head:
                    break
                time.sleep(0.5)
            self.assertEqual(sync.stop(), 0, text_of(sync.stderr)[-3000:])
            self.assertEqual(text_of(state), "cursor %d\n" % head)

            down = gov_view(district.port, harness.tls_dir(), usccs)
            up_all = gov_view(city.port, _city_tls, usccs)
            up = {}
            for rec in up_all.values():
                self.assertEqual(rec.meta.channel, R.CHANNEL_MUNICIPAL_SYNC)
                self.assertEqual(rec.meta.source_unit, "city")
                up[rec.meta.source_record_id] = rec
            self.assertEqual(len(up), len(up_all), "a district record twice at the city")
            self.assertEqual(sorted(up), sorted(down))
            more, equal = [], 0
            for rid, rec in down.items():
                self.assertEqual(content(up[rid]), content(rec), rid)
                if up[rid].meta.version > rec.meta.version:
                    more.append(rid)
                equal += up[rid].meta.version == rec.meta.version
            self.assertEqual(more, [], "records with more versions at the city")
            harness.observe("creditsync: %d records, %d with as many versions on both nodes, "
                            "after %d kills" % (len(down), equal, kills))
            self.assertIn("event=progress", text_of(log))
        finally:
            district.kill9()
            city.kill9()

    def _head(self, node):
        with harness.channel(node.port, "city") as ch:
            call = Y_grpc.SyncStub(ch).Subscribe(Y.SubscribeRequest(cursor=0),
                                                 timeout=CALL_TIMEOUT)
            head = next(iter(call)).head
            call.cancel()
        return head

    def _workload(self, district, usccs, made):
        """CHANGES changes: records created, given new content, withdrawn and reinstated;
        declarations; unit suspensions (which creditsync does not forward)."""
        rnd = random.Random(16)
        with harness.Stubs(district.port, "market") as m, \
                harness.Stubs(district.port, "town-bicheng") as town, \
                harness.channel(district.port, "office") as office:
            su = SU_grpc.ServiceUnitCollectionStub(town.ch)
            reg = U_grpc.UnitRegistryStub(office)
            live, withdrawn = [], []
            serial = 0
            while made["changes"] < CHANGES:
                # 400 new penalties and 100 declarations.
                batch = []
                for _ in range(400):
                    serial += 1
                    batch.append(penalty_input("cs-%d" % serial,
                                               legal_subject(rnd.choice(usccs)),
                                               fine=1000 + serial))
                res = m.push(*batch)
                for i, r in enumerate(res.results):
                    self.assertEqual(r.outcome, R.PUSH_OUTCOME_CREATED, r)
                    live.append((r.record_id, batch[i]))
                decl = [declaration("csd-%d" % (serial + i), legal_subject(rnd.choice(usccs)))
                        for i in range(100)]
                res = su.PushBatch(SU.ServiceUnitBatchRequest(records=decl), timeout=60)
                self.assertEqual(res.accepted, 100, res)
                made["changes"] += 500
                # 150 new versions: the same source records with other content.
                again = []
                for rid, rec in rnd.sample(live, 150):
                    rec2 = R.PublicRecordInput()
                    rec2.CopyFrom(rec)
                    rec2.penalty.fine_amount_fen += 7
                    again.append(rec2)
                res = m.push(*again)
                for r in res.results:
                    self.assertEqual(r.outcome, R.PUSH_OUTCOME_NEW_VERSION, r)
                # Keep the latest content of each re-pushed record for later pushes.
                index = {rec.source_record_id: i for i, (rid, rec) in enumerate(live)}
                for rec2 in again:
                    i = index[rec2.source_record_id]
                    live[i] = (live[i][0], rec2)
                made["changes"] += 150
                # 30 withdrawals and 15 reinstatements.
                for rid, rec in rnd.sample(live, 30):
                    live.remove((rid, rec))
                    m.collect.Withdraw(R.WithdrawRequest(record_id=rid, reason="录入错误"),
                                       timeout=CALL_TIMEOUT)
                    withdrawn.append((rid, rec))
                for rid, rec in rnd.sample(withdrawn, 15):
                    withdrawn.remove((rid, rec))
                    m.collect.Reinstate(R.ReinstateRequest(record_id=rid, reason="核实无误"),
                                        timeout=CALL_TIMEOUT)
                    live.append((rid, rec))
                made["changes"] += 45
                reg.SuspendUnit(U.SuspendUnitRequest(code="water", reason="演练"),
                                timeout=CALL_TIMEOUT)
                reg.ReinstateUnit(U.ReinstateUnitRequest(code="water", reason="恢复"),
                                  timeout=CALL_TIMEOUT)
                made["changes"] += 2

    def test_a_city_decision_comes_down_and_is_not_sent_back(self):
        district = Node(name="district-2")
        city = Node(name="city-2", tls=_city_tls)
        work = harness.new_dir("creditsync-2")
        up = Sync(district, harness.tls_dir(), city, _city_tls, os.path.join(work, "up.state"),
                  os.path.join(work, "up.log")).start()
        down = Sync(city, _city_tls, district, harness.tls_dir(),
                    os.path.join(work, "down.state"), os.path.join(work, "down.log")).start()
        try:
            u = fresh_uscc()
            with harness.Stubs(city.port, "market", tls=_city_tls) as m:
                city_rid = m.push(penalty_input("city-decision", legal_subject(u))).results[0] \
                    .record_id
            with harness.Stubs(district.port, "market") as m:
                dist_rid = m.push(penalty_input("district-own", legal_subject(u))).results[0] \
                    .record_id
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                d = gov_view(district.port, harness.tls_dir(), [u])
                c = gov_view(city.port, _city_tls, [u])
                if len(d) == 2 and len(c) == 2:
                    break
                time.sleep(0.5)
            time.sleep(2)  # room for an echo, were there one
            d = gov_view(district.port, harness.tls_dir(), [u])
            c = gov_view(city.port, _city_tls, [u])
            self.assertEqual(len(d), 2, d)
            self.assertEqual(len(c), 2, c)
            came_down = [r for r in d.values() if r.meta.source_record_id == city_rid]
            self.assertEqual(len(came_down), 1)
            self.assertEqual(came_down[0].meta.channel, R.CHANNEL_MUNICIPAL_SYNC)
            went_up = [r for r in c.values() if r.meta.source_record_id == dist_rid]
            self.assertEqual(len(went_up), 1)
            self.assertEqual(went_up[0].meta.channel, R.CHANNEL_MUNICIPAL_SYNC)
            self.assertEqual(up.stop(), 0)
            self.assertEqual(down.stop(), 0)
            self.assertRegex(text_of(os.path.join(work, "up.log")), r"echoes=[1-9]")
        finally:
            for s in (up, down):
                if s.proc.poll() is None:
                    s.kill9()
            district.kill9()
            city.kill9()

    def test_a_cursor_behind_the_retention_catches_up_from_a_snapshot(self):
        district = Node(name="district-3", extra=("--feed-retention", "1"))
        city = Node(name="city-3", tls=_city_tls)
        work = harness.new_dir("creditsync-3")
        up = None
        try:
            u = fresh_uscc()
            with harness.Stubs(district.port, "market") as m:
                res = m.push(*[penalty_input("behind-%d" % i, legal_subject(u))
                               for i in range(3)]).results
                m.collect.Withdraw(R.WithdrawRequest(record_id=res[1].record_id,
                                                     reason="录入错误"), timeout=CALL_TIMEOUT)
            # The feed drops what is older than a second, every 10 s (never its last entry).
            deadline = time.monotonic() + 40
            while True:
                with harness.channel(district.port, "city") as ch:
                    call = Y_grpc.SyncStub(ch).Subscribe(Y.SubscribeRequest(cursor=0),
                                                         timeout=10)
                    try:
                        next(iter(call))
                        trimmed = False
                    except grpc.RpcError as e:
                        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
                        trimmed = True
                    finally:
                        call.cancel()
                if trimmed:
                    break
                self.assertLess(time.monotonic(), deadline, "the feed was never trimmed")
                time.sleep(1)
            up = Sync(district, harness.tls_dir(), city, _city_tls,
                      os.path.join(work, "up.state"), os.path.join(work, "up.log")).start()
            log = os.path.join(work, "up.log")
            deadline = time.monotonic() + 60
            while "event=snapshot-applied" not in (text_of(log) if os.path.exists(log) else ""):
                self.assertLess(time.monotonic(), deadline, "no snapshot applied")
                time.sleep(0.5)
            # Then it follows the feed again from the snapshot's resume_from.
            with harness.Stubs(district.port, "market") as m:
                m.push(penalty_input("after-snapshot", legal_subject(u)))
            deadline = time.monotonic() + 60
            while len(gov_view(city.port, _city_tls, [u])) < 4:
                self.assertLess(time.monotonic(), deadline, "the later record never came")
                time.sleep(0.5)
            self.assertEqual(up.stop(), 0)
            d = gov_view(district.port, harness.tls_dir(), [u])
            c = gov_view(city.port, _city_tls, [u])
            self.assertEqual(sorted(content(r) for r in d.values()),
                             sorted(content(r) for r in c.values()))
            self.assertEqual(sum(r.meta.status.withdrawn for r in c.values()), 1)
            self.assertRegex(text_of(log), r"event=behind-retention")
            with open(os.path.join(work, "up.state")) as f:
                self.assertRegex(f.read(), r"cursor [1-9]")
        finally:
            if up and up.proc.poll() is None:
                up.kill9()
            district.kill9()
            city.kill9()

    def test_a_missing_option_is_a_usage_error_and_a_bad_state_file_stops_it(self):
        p = subprocess.run([CREDITSYNC, "--from", "127.0.0.1:1"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: creditsync", p.stderr)
        work = harness.new_dir("creditsync-bad")
        state = os.path.join(work, "bad.state")
        with open(state, "w") as f:
            f.write("not a cursor\n")
        tls = harness.tls_dir()
        crt, key = harness.cert_paths("city")
        side = ["127.0.0.1:1", os.path.join(tls, "ca.crt"), crt, key]
        p = subprocess.run([CREDITSYNC, "--from", side[0], "--from-ca", side[1], "--from-cert",
                            side[2], "--from-key", side[3], "--to", side[0], "--to-ca", side[1],
                            "--to-cert", side[2], "--to-key", side[3], "--state", state],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("holds no cursor", p.stderr)


if __name__ == "__main__":
    unittest.main()
