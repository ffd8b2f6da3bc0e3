"""test_disk_faults.py: a full disk and a failing disk, on the real node, through python3-grpcio.

The rules (README, "Faults of the disk"):

- a full disk: every change is RESOURCE_EXHAUSTED ("... data directory is full; nothing was
  written ..."); reads keep working and health stays SERVING; once 64 MiB are free again,
  changes are accepted without a restart (within about 10 s: the engine checks for space
  every 5 s), and what was refused was not stored: sent again, it is PUSH_OUTCOME_CREATED;
- an I/O error on a write or an fsync: that change is UNAVAILABLE and "may or may not be
  stored"; every later change is UNAVAILABLE ("nothing was written") even after the disk
  recovers; health turns NOT_SERVING (the "" service and the node's services, Check and
  Watch); reads keep working. After a restart everything acknowledged is there, what was
  refused up front is not, and the one change that met the error is either there or not, and
  a re-send says which (PUSH_OUTCOME_UNCHANGED or PUSH_OUTCOME_CREATED).

The faults come from tests/faults/faultfs.c, preloaded into creditd: it fails write(2) and
friends with ENOSPC or EIO, or fsync(2) with EIO, for files under the data directory, while
a control file names the fault; no mount is needed. Under AddressSanitizer the ASan runtime
is preloaded first (ASan insists on coming first in the library list). The full disk is also
made real, on a tmpfs the test mounts where mount is permitted (skipped where it is not; the
shim's test stands for it there).

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> [FAULTFS_LIB=.../libfaultfs.so] \\
    /usr/bin/python3 -m unittest -v test_disk_faults
(FAULTFS_LIB defaults to tests/libfaultfs.so in creditd's build tree.)
"""

import os
import queue
import subprocess
import threading
import time
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, Node, legal_ref, legal_subject, penalty_input, health_pb2

from credit.v1 import record_pb2 as R

SC = grpc.StatusCode
HS = health_pb2.HealthCheckResponse

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=910000)

FULL = "the disk of the node's data directory is full; nothing was written"
FAILED_THIS = "failed to write or sync this change (I/O error); it may or may not be stored"
FAILED_EARLIER = "accepts no changes since its disk failed an earlier write"
RECOVERY_LIMIT = 30.0  # seconds; the engine polls for free space every 5 s
SERVICES = ("", "credit.v1.PublicCreditCollection", "credit.v1.GovernmentSharing")


def shim_path():
    lib = os.environ.get("FAULTFS_LIB")
    if not lib:
        lib = os.path.join(os.path.dirname(os.path.dirname(harness.CREDITD)), "tests",
                           "libfaultfs.so")
    if not os.path.exists(lib):
        raise RuntimeError("the fault shim %s is missing (built with the tests)" % lib)
    return lib


def asan_runtime():
    """The ASan runtime creditd links, or "" for a build without it."""
    out = subprocess.run(["ldd", harness.CREDITD], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("libasan.so") and len(parts) >= 3:
            return parts[2]
    return ""


class Record:
    """One record of its own subject: pushed, looked up and pushed again by the market unit."""

    def __init__(self):
        self.uscc = _fresh.uscc()
        self.input = penalty_input(_fresh.src("disk"), legal_subject(self.uscc))


class DiskFaultsTest(harness.PushAssertions, harness.InteropCase):

    def faulty_node(self, name):
        """A node with the shim; returns (node, switch) where switch(fault) sets the fault
        ("enospc", "eio-write", "eio-fsync", or None for none)."""
        d = harness.new_dir(name)
        data = os.path.realpath(os.path.join(d, "data"))
        ctl = os.path.join(d, "fault")
        env = dict(os.environ)
        env["LD_PRELOAD"] = " ".join(p for p in (asan_runtime(), shim_path()) if p)
        env["FAULTFS_DIR"] = data
        env["FAULTFS_CTL"] = ctl

        def switch(fault):
            if fault:
                with open(ctl + ".tmp", "w") as f:
                    f.write(fault)
                os.replace(ctl + ".tmp", ctl)
            elif os.path.exists(ctl):
                os.unlink(ctl)

        return Node(data=data, env=env, name=name), switch

    def push(self, node, rec):
        with harness.Stubs(node.port, "market") as c:
            return c.push(rec.input).results[0]

    def stored(self, node, rec):
        with harness.Stubs(node.port, "office") as o:
            return len(o.list_all("gov", legal_ref(rec.uscc))) > 0

    def health(self, node):
        with harness.channel(node.port, "office") as ch:
            h = harness.health(ch)
            return [h.Check(health_pb2.HealthCheckRequest(service=s), timeout=CALL_TIMEOUT).status
                    for s in SERVICES]

    def try_push(self, node, rec):
        """(result, None) or (None, grpc.RpcError)."""
        try:
            return self.push(node, rec), None
        except grpc.RpcError as e:
            return None, e

    def assertPushFails(self, node, rec, code, text):
        res, err = self.try_push(node, rec)
        self.assertIsNone(res, "a push was acknowledged under a disk fault")
        self.assertEqual(err.code(), code, err.details())
        self.assertIn(text, err.details())

    def push_until_accepted(self, node, rec):
        """Pushes rec until the node takes it, while it says the disk is full; returns the
        result and the seconds it took."""
        t0 = time.monotonic()
        while True:
            res, err = self.try_push(node, rec)
            if res is not None:
                return res, time.monotonic() - t0
            self.assertEqual(err.code(), SC.RESOURCE_EXHAUSTED, err.details())
            self.assertIn(FULL, err.details())
            self.assertLess(time.monotonic() - t0, RECOVERY_LIMIT,
                            "changes were still refused %.0f s after space returned"
                            % RECOVERY_LIMIT)
            time.sleep(0.25)

    def test_a_full_disk_refuses_changes_keeps_reads_and_accepts_changes_once_space_returns(self):
        node, switch = self.faulty_node("full-disk")
        with node:
            before, refused = Record(), Record()
            self.assertResult(self.push(node, before), 0, R.PUSH_OUTCOME_CREATED)
            switch("enospc")
            for _ in range(3):
                self.assertPushFails(node, refused, SC.RESOURCE_EXHAUSTED, FULL)
            self.assertTrue(self.stored(node, before), "a read failed on a full disk")
            self.assertFalse(self.stored(node, refused))
            self.assertEqual(self.health(node), [HS.SERVING] * len(SERVICES))
            self.assertTrue(node.running())

            switch(None)
            res, took = self.push_until_accepted(node, refused)
            print("\n  full disk: changes accepted again %.1f s after space returned" % took)
            # Refused means not stored: the first push that is accepted creates it.
            self.assertResult(res, 0, R.PUSH_OUTCOME_CREATED)
            self.assertResult(self.push(node, refused), 0, R.PUSH_OUTCOME_UNCHANGED)
            later = Record()
            self.assertResult(self.push(node, later), 0, R.PUSH_OUTCOME_CREATED)
        node.start()
        with node:
            for rec in (before, refused, later):
                self.assertTrue(self.stored(node, rec), "an acknowledged record is gone")
            self.assertResult(self.push(node, refused), 0, R.PUSH_OUTCOME_UNCHANGED)

    def test_a_real_full_tmpfs_refuses_changes_and_accepts_them_once_space_is_freed(self):
        """The same on a real file system, where it may be mounted (root, and a sandbox that
        permits mount); the shim's tests above stand for it where not."""
        mnt = harness.new_dir("tmpfs")
        # 160 MiB: the engine resumes only once 64 MiB (its write buffer) is free, and with
        # 10 MiB free at the start the write-ahead log cannot preallocate its 70 MiB block,
        # so a few pushes meet the full disk.
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", mnt],
                             capture_output=True, text=True)
        if res.returncode != 0:
            self.skipTest("mount -t tmpfs is not permitted here: %s" % res.stderr.strip())
        self.addCleanup(subprocess.run, ["umount", "-l", mnt], capture_output=True)

        def fill(name, mib=None):
            args = ["dd", "if=/dev/zero", "of=" + os.path.join(mnt, name), "bs=1M"]
            subprocess.run(args + (["count=%d" % mib] if mib else []), capture_output=True)

        fill("filler-1", 150)
        node = Node(data=os.path.join(mnt, "data"), name="tmpfs-node")
        with node:
            acked = []
            fill("filler-2")  # to the last byte
            for _ in range(50):
                rec = Record()
                res, err = self.try_push(node, rec)
                if err is not None:
                    break
                acked.append(rec)
            self.assertIsNotNone(err, "50 pushes fit on a full disk")
            self.assertEqual(err.code(), SC.RESOURCE_EXHAUSTED, err.details())
            self.assertIn(FULL, err.details())
            for r in acked[:3]:
                self.assertTrue(self.stored(node, r), "a read failed on a full disk")
            self.assertEqual(self.health(node), [HS.SERVING] * len(SERVICES))
            os.unlink(os.path.join(mnt, "filler-1"))
            os.unlink(os.path.join(mnt, "filler-2"))
            res, took = self.push_until_accepted(node, rec)
            print("\n  tmpfs: %d pushes fitted; changes accepted again %.1f s after space was"
                  " freed" % (len(acked), took))
            self.assertResult(res, 0, R.PUSH_OUTCOME_CREATED)
            acked.append(rec)
        node.start()
        with node:
            for r in acked:
                self.assertTrue(self.stored(node, r), "an acknowledged record is gone")
        # A node started on a full disk refuses to start, with the reason.
        fill("filler-3")
        rc, out, err = harness.run_creditd(["--listen", "127.0.0.1:0", "--data", node.data,
                                            "--tls", harness.tls_dir()])
        self.assertEqual((rc, out), (2, ""), err)
        self.assertIn("cannot open the store", err)
        self.assertIn("No space left on device", err)

    def watch(self, node):
        """A Watch on "" whose messages go to a queue; returns (queue, cancel)."""
        ch = harness.channel(node.port, "office")
        stream = harness.health(ch).Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
        q = queue.Queue()

        def pump():
            try:
                for msg in stream:
                    q.put(msg.status)
            except grpc.RpcError:
                pass
            q.put(None)

        threading.Thread(target=pump, daemon=True).start()

        def cancel():
            stream.cancel()
            ch.close()

        return q, cancel

    def fail_disk(self, fault):
        """Acknowledged, then the fault, then refused; then a restart without the fault."""
        node, switch = self.faulty_node(fault)
        acked, hit, refused, after = Record(), Record(), Record(), Record()
        with node:
            self.assertResult(self.push(node, acked), 0, R.PUSH_OUTCOME_CREATED)
            q, cancel = self.watch(node)
            try:
                self.assertEqual(q.get(timeout=CALL_TIMEOUT), HS.SERVING)
                switch(fault)
                self.assertPushFails(node, hit, SC.UNAVAILABLE, FAILED_THIS)
                self.assertEqual(q.get(timeout=CALL_TIMEOUT), HS.NOT_SERVING)
            finally:
                cancel()
            self.assertPushFails(node, refused, SC.UNAVAILABLE, FAILED_EARLIER)
            self.assertEqual(self.health(node), [HS.NOT_SERVING] * len(SERVICES))
            self.assertTrue(self.stored(node, acked), "a read failed after a disk error")
            # The disk works again, but a failed fsync proves nothing: only a restart does.
            switch(None)
            self.assertPushFails(node, after, SC.UNAVAILABLE, FAILED_EARLIER)
            self.assertEqual(self.health(node), [HS.NOT_SERVING] * len(SERVICES))
        node.start()
        with node:
            self.assertEqual(self.health(node), [HS.SERVING] * len(SERVICES))
            self.assertTrue(self.stored(node, acked), "an acknowledged record is gone")
            self.assertFalse(self.stored(node, refused), "a refused change was stored")
            self.assertFalse(self.stored(node, after), "a refused change was stored")
            hit_stored = self.stored(node, hit)
            # The re-send the error message asks for tells the client which it was.
            self.assertResult(self.push(node, hit), 0,
                              R.PUSH_OUTCOME_UNCHANGED if hit_stored else R.PUSH_OUTCOME_CREATED)
            self.assertResult(self.push(node, refused), 0, R.PUSH_OUTCOME_CREATED)
        return hit_stored

    def test_an_fsync_error_stops_changes_until_restart_and_turns_not_serving(self):
        # write(2) succeeded, so the log holds the change and the restart replays it.
        self.assertTrue(self.fail_disk("eio-fsync"))

    def test_a_write_error_stops_changes_until_restart_and_stores_nothing_refused(self):
        # write(2) failed whole, so the change never reached the log.
        self.assertFalse(self.fail_disk("eio-write"))


if __name__ == "__main__":
    unittest.main()
