"""test_industrial.py: industrial series through python3-grpcio against the real creditd.

IndustrialDataCollection (the client-streaming PushSamples; RegisterOptIn, RevokeOptIn,
ListOptIns) and GetSeries of OpenQuery and GovernmentSharing, as the demo units see them over
mutual TLS: who may push, register, revoke and list; every per-sample check with the field it
names; opt-ins and their revocation; idempotency (the same value is unchanged, a new value
replaces it); a 20000-sample stream; reads in time order with paging; monthly totals in China
Standard Time; tier refusals; several platforms reporting the same period; persistence across a
restart.

The rules come from proto/credit/v1/industrial.proto and sharing.proto and the seed catalogue's
INDUSTRIAL sections (proto/catalogue.textproto): ENERGY_USE/electricity_kwh (VALUE_TYPE_DECIMAL,
AUTHORIZED), SALES/sales_amount_fen (VALUE_TYPE_AMOUNT_FEN, AUTHORIZED), SALES/orders (VALUE_TYPE_INTEGER,
AUTHORIZED), MATERIALS/material_cost_fen (VALUE_TYPE_AMOUNT_FEN, GOVERNMENT). Tests that need a
catalogue the seed does not give (a section the platform is not responsible for, an OPEN metric,
a text dimension) start a node seeded with a changed copy of it.

Nodes are shared per TestCase class; every test uses its own enterprises, so the order the
tests run in does not matter.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_industrial
"""

import calendar
import datetime
import hashlib
import os
import random
import re
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

import harness
from harness import CALL_TIMEOUT, InteropCase, Node

from credit.v1 import industrial_pb2 as I
from credit.v1 import industrial_pb2_grpc as I_grpc
from credit.v1 import record_pb2 as R
from credit.v1 import sharing_pb2_grpc as S_grpc
from credit.v1 import unit_pb2

SC = grpc.StatusCode

STREAM_TIMEOUT = 120.0  # the 20000-sample stream, under AddressSanitizer

ACME_USCC = "91500227MA5UACME5L"  # subj-acme's own
OTHER_PLATFORM = "ind-platform-2"  # registered and given a certificate by the tests

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

# Companies from 91500227MA300001 on.
_fresh = harness.Fresh(uscc_base=300000)
fresh_uscc = _fresh.uscc


def digest(text="consent"):
    return hashlib.sha256(("%s-%d" % (text, _fresh.number())).encode()).hexdigest()


def utc(*args):
    return calendar.timegm(datetime.datetime(*args).timetuple())


def ts(seconds, nanos=0):
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


# A quiet past hour to put samples at: 2025-03-03T00:00:00Z.
BASE = utc(2025, 3, 3)
# Where the 20000 hourly samples start: they end in April 2022, well in the past.
STREAM_BASE = utc(2020, 1, 1)
HOUR = 3600
DAY = 86400


def sample(uscc, section="ENERGY_USE", metric="electricity_kwh", t=BASE, value=1.0,
           period=HOUR):
    s = I.Sample(enterprise_uscc=uscc, section=section, metric=metric, period_seconds=period,
                 value=value)
    if t is not None:
        s.period_start.CopyFrom(ts(t))
    return s


class Calls:
    """Stubs for one unit over its own channel."""

    def __init__(self, port, who):
        self.ch = harness.channel(port, who)
        self.ind = I_grpc.IndustrialDataCollectionStub(self.ch)
        self.open = S_grpc.OpenQueryStub(self.ch)
        self.gov = S_grpc.GovernmentSharingStub(self.ch)
        self.units = harness.registry(self.ch)

    def push(self, samples, timeout=CALL_TIMEOUT):
        return self.ind.PushSamples(iter(list(samples)), timeout=timeout)

    def register(self, uscc, platform="", consent=None, timeout=CALL_TIMEOUT):
        return self.ind.RegisterOptIn(I.RegisterOptInRequest(
            enterprise_uscc=uscc, consent_digest=consent or digest(), platform=platform),
            timeout=timeout)

    def revoke(self, uscc, platform="", timeout=CALL_TIMEOUT):
        return self.ind.RevokeOptIn(I.RevokeOptInRequest(enterprise_uscc=uscc,
                                                         platform=platform), timeout=timeout)

    def list(self, platform="", timeout=CALL_TIMEOUT):
        return self.ind.ListOptIns(I.ListOptInsRequest(platform=platform), timeout=timeout)

    def series(self, uscc, section="ENERGY_USE", metric="electricity_kwh", frm=None, to=None,
               gov=True, timeout=CALL_TIMEOUT, **kw):
        req = I.SeriesRequest(enterprise_uscc=uscc, section=section, metric=metric, **kw)
        if frm is not None:
            req.since.CopyFrom(ts(frm) if isinstance(frm, int) else frm)
        if to is not None:
            req.to.CopyFrom(ts(to) if isinstance(to, int) else to)
        return (self.gov if gov else self.open).GetSeries(req, timeout=timeout)

    def close(self):
        self.ch.close()


class IndustrialCase(harness.SharedNodeCase):
    """A node per class and a Calls per unit, made on first use."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._calls = {}

    @classmethod
    def tearDownClass(cls):
        for c in cls._calls.values():
            c.close()
        super().tearDownClass()

    def calls(self, who="ind-platform"):
        if who not in self._calls:
            self._calls[who] = Calls(self.node.port, who)
        return self._calls[who]

    def opted_in(self, platform_who="ind-platform"):
        uscc = fresh_uscc()
        self.calls(platform_who).register(uscc)
        return uscc

    def assertSummary(self, s, accepted=0, unchanged=0, rejected=0):
        self.assertEqual((s.accepted, s.unchanged, s.rejected), (accepted, unchanged, rejected),
                         "summary: %s" % s)

    def assertRejection(self, r, index, code, field, *contains):
        what = "rejection %s" % r
        self.assertEqual(r.index, index, what)
        self.assertEqual(r.outcome, R.PUSH_OUTCOME_REJECTED, what)
        self.assertEqual(r.code, code.value[0], what)
        self.assertEqual(r.field, field, what)
        for c in contains:
            self.assertIn(c, r.reason, what)


# --- Pushing: who, what, idempotency ------------------------------------------------------------

class PushTest(IndustrialCase):

    def test_push_by_a_unit_that_is_not_a_platform_is_denied_at_the_first_message(self):
        uscc = self.opted_in()
        for who in ("market", "office", "bank-a", "subj-acme", "city", "portal"):
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).push,
                                [sample(uscc)] * 3, contains=("UNIT_KIND_INDUSTRIAL_PLATFORM", who))
            # An empty stream is refused all the same.
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).push, [],
                                contains="UNIT_KIND_INDUSTRIAL_PLATFORM")
        # Nothing was stored.
        self.assertEqual(len(self.calls("office").series(uscc, frm=0, to=BASE + DAY).points), 0)

    def test_an_empty_stream_from_a_platform_gets_an_empty_summary(self):
        s = self.calls().push([])
        self.assertSummary(s)
        self.assertEqual(len(s.rejections), 0)
        s = self.calls().ind.PushSampleBatches(iter([]), timeout=CALL_TIMEOUT)
        self.assertSummary(s)
        self.assertEqual(len(s.rejections), 0)

    def test_every_sample_check_names_its_field(self):
        uscc = self.opted_in()
        now = int(time.time())
        bad_uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
        cases = [
            # (sample, code, field, words of the reason)
            (sample(bad_uscc), SC.INVALID_ARGUMENT, "enterprise_uscc", ()),
            (sample(""), SC.INVALID_ARGUMENT, "enterprise_uscc", ()),
            (sample(uscc, section="NO_SUCH"), SC.INVALID_ARGUMENT, "section", ("NO_SUCH",)),
            (sample(uscc, section="energy_use"), SC.INVALID_ARGUMENT, "section", ()),
            (sample(uscc, metric="no_such_metric"), SC.INVALID_ARGUMENT, "metric",
             ("no_such_metric",)),
            # A metric of another section is not this section's.
            (sample(uscc, metric="sales_amount_fen"), SC.INVALID_ARGUMENT, "metric", ()),
            (sample(uscc, value=float("nan")), SC.INVALID_ARGUMENT, "value", ("finite",)),
            (sample(uscc, value=float("inf")), SC.INVALID_ARGUMENT, "value", ("finite",)),
            (sample(uscc, value=float("-inf")), SC.INVALID_ARGUMENT, "value", ("finite",)),
            (sample(uscc, "SALES", "orders", value=1.5), SC.INVALID_ARGUMENT, "value",
             ("whole",)),
            (sample(uscc, "SALES", "orders", value=2.0 ** 53 + 2), SC.INVALID_ARGUMENT, "value",
             ("2^53",)),
            (sample(uscc, "SALES", "sales_amount_fen", value=-100), SC.INVALID_ARGUMENT,
             "value", ("below the minimum 0", "catalogue version")),
            # The catalogue's bounds: readings are not negative, shares are 0 to 100.
            (sample(uscc, value=-0.5), SC.INVALID_ARGUMENT, "value",
             ("-0.5 is below the minimum 0 of dimension electricity_kwh",
              "catalogue version")),
            (sample(uscc, "EQUIPMENT_RUNTIME", "utilisation_pct", value=100.5),
             SC.INVALID_ARGUMENT, "value", ("above the maximum 100",)),
            (sample(uscc, "SALES", "sales_amount_fen", value=100.5), SC.INVALID_ARGUMENT,
             "value", ("whole",)),
            (sample(uscc, t=None), SC.INVALID_ARGUMENT, "period_start", ("required",)),
            (sample(uscc, t=-1), SC.INVALID_ARGUMENT, "period_start", ("1970",)),
            # An empty Timestamp: what a JS Date given for the message becomes.
            (sample(uscc, t=0), SC.INVALID_ARGUMENT, "period_start",
             ("is 1970-01-01T00:00:00Z", "sent a Date or a number")),
            (sample(uscc, t=now + 2 * DAY), SC.INVALID_ARGUMENT, "period_start",
             ("future",)),
            (sample(uscc, period=31 * DAY + 1), SC.INVALID_ARGUMENT, "period_seconds",
             ("31 days",)),
        ]
        with_nanos = sample(uscc)
        with_nanos.period_start.nanos = 500
        cases.append((with_nanos, SC.INVALID_ARGUMENT, "period_start", ("whole second",)))
        good = [
            sample(uscc, t=BASE, value=12.25),                         # a decimal
            sample(uscc, "SALES", "orders", t=BASE, value=3),          # a whole integer
            sample(uscc, "SALES", "sales_amount_fen", t=BASE, value=0),  # an amount of 0
            sample(uscc, "SALES", "sales_amount_fen", t=BASE + HOUR, value=2.0 ** 53),
            sample(uscc, t=1, value=1),                                # just after the epoch
            sample(uscc, t=now + DAY - 600, value=2),                  # less than a day ahead
            sample(uscc, t=BASE + HOUR, period=31 * DAY),              # 31 days exactly
            sample(uscc, t=BASE + 2 * HOUR, period=0),                 # an instant
        ]
        stream = [c[0] for c in cases] + good
        s = self.calls().push(stream)
        self.assertSummary(s, accepted=len(good), rejected=len(cases))
        self.assertEqual(len(s.rejections), len(cases))
        for i, (_, code, field, words) in enumerate(cases):
            self.assertRejection(s.rejections[i], i, code, field, *words)
        # What was accepted reads back as pushed.
        pts = self.calls("office").series(uscc, "SALES", "orders", frm=BASE, to=BASE + 1).points
        self.assertEqual([(p.period_start.seconds, p.value) for p in pts], [(BASE, 3.0)])
        pts = self.calls("office").series(uscc, frm=0, to=BASE + DAY).points
        self.assertEqual([(p.period_start.seconds, p.period_seconds, p.value) for p in pts],
                         [(1, HOUR, 1.0), (BASE, HOUR, 12.25), (BASE + HOUR, 31 * DAY, 1.0),
                          (BASE + 2 * HOUR, 0, 1.0)])
        # "to" unset is now: the sample ahead of now is not in it; an explicit "to" finds it.
        pts = self.calls("office").series(uscc, frm=BASE + 3 * HOUR).points
        self.assertEqual(len(pts), 0)
        pts = self.calls("office").series(uscc, frm=BASE + 3 * HOUR, to=now + DAY).points
        self.assertEqual([(p.period_start.seconds, p.value) for p in pts],
                         [(now + DAY - 600, 2.0)])

    def test_rejections_list_the_first_hundred_by_their_place_in_the_stream(self):
        uscc = self.opted_in()
        stranger = fresh_uscc()  # no opt-in: refused when its group is written
        stream = []
        for i in range(300):
            if i % 2:
                stream.append(sample(stranger, t=BASE + i * HOUR))
            elif i % 4 == 0:
                stream.append(sample(uscc, t=BASE + i * HOUR, value=float("nan")))
            else:
                stream.append(sample(uscc, t=BASE + i * HOUR))
        s = self.calls().push(stream)
        self.assertSummary(s, accepted=75, rejected=225)
        want = [i for i in range(300) if i % 4 != 2][:100]
        self.assertEqual([r.index for r in s.rejections], want)
        for r in s.rejections:
            if r.index % 2:
                self.assertEqual((r.code, r.field), (SC.FAILED_PRECONDITION.value[0],
                                                     "enterprise_uscc"))
            else:
                self.assertEqual((r.code, r.field), (SC.INVALID_ARGUMENT.value[0], "value"))

    def test_batched_streams_check_store_and_index_as_the_one_sample_stream(self):
        """PushSampleBatches: the same 300 samples in messages of 7 give the summary PushSamples
        gives them, rejections indexed across messages; what it accepted is stored."""
        uscc, stranger = self.opted_in(), fresh_uscc()
        stream = [sample(stranger if i % 3 == 0 else uscc, t=BASE + 40 * DAY + i * HOUR,
                         value=float("nan") if i % 10 == 4 else float(i))
                  for i in range(300)]
        batches = [I.SampleBatch(samples=stream[i:i + 7]) for i in range(0, 300, 7)]
        s = self.calls().ind.PushSampleBatches(iter(batches), timeout=CALL_TIMEOUT)
        rejected = [i for i in range(300) if i % 3 == 0 or i % 10 == 4]
        self.assertSummary(s, accepted=300 - len(rejected), rejected=len(rejected))
        self.assertEqual([r.index for r in s.rejections], rejected[:100])
        self.assertRejection(s.rejections[0], 0, SC.FAILED_PRECONDITION, "enterprise_uscc",
                             stranger)
        self.assertRejection(s.rejections[2], 4, SC.INVALID_ARGUMENT, "value")
        pts = self.calls("office").series(uscc, frm=BASE + 40 * DAY,
                                          to=BASE + 40 * DAY + 300 * HOUR).points
        self.assertEqual([p.value for p in pts],
                         [float(i) for i in range(300) if i not in rejected])
        # The same samples again, one a message in a PushSamples stream: all unchanged.
        again = self.calls().push([stream[i] for i in range(300) if i not in rejected])
        self.assertSummary(again, unchanged=300 - len(rejected))

    def test_a_batch_of_no_sample_or_too_many_ends_the_stream_with_nothing_stored(self):
        uscc = self.opted_in()
        good = I.SampleBatch(samples=[sample(uscc, t=BASE + 60 * DAY)])
        for bad, n in ((I.SampleBatch(), 0),
                       (I.SampleBatch(samples=[sample(uscc, t=BASE + 61 * DAY + i * HOUR)
                                               for i in range(1001)]), 1001)):
            self.assertRpcFails(
                SC.INVALID_ARGUMENT, self.calls().ind.PushSampleBatches, iter([good, bad]),
                contains=("samples: a message of the stream holds 1 to 1000 samples, not %d "
                          "(message 2 of the stream); nothing of this stream was stored" % n))
        self.assertEqual(len(self.calls("office").series(
            uscc, frm=BASE + 59 * DAY, to=BASE + 63 * DAY).points), 0)
        # Who may push is checked as for PushSamples.
        self.assertRpcFails(SC.PERMISSION_DENIED, self.calls("market").ind.PushSampleBatches,
                            iter([good]), contains="UNIT_KIND_INDUSTRIAL_PLATFORM")

    def test_a_sample_without_opt_in_is_refused_naming_the_enterprise(self):
        uscc = fresh_uscc()
        s = self.calls().push([sample(uscc)])
        self.assertSummary(s, rejected=1)
        self.assertRejection(s.rejections[0], 0, SC.FAILED_PRECONDITION, "enterprise_uscc",
                             "no opt-in of enterprise %s for platform ind-platform" % uscc)
        # Another platform's opt-in does not count for this one.
        self.calls("office").register(uscc, platform=OtherPlatform.code(self))
        s = self.calls().push([sample(uscc)])
        self.assertSummary(s, rejected=1)
        self.assertIn(uscc, s.rejections[0].reason)

    def test_the_same_value_is_unchanged_and_a_new_value_replaces_it(self):
        uscc = self.opted_in()
        c = self.calls()
        self.assertSummary(c.push([sample(uscc, value=10)]), accepted=1)
        self.assertSummary(c.push([sample(uscc, value=10)]), unchanged=1)
        self.assertSummary(c.push([sample(uscc, value=11)]), accepted=1)
        self.assertSummary(c.push([sample(uscc, value=11, period=2 * HOUR)]), accepted=1)
        self.assertSummary(c.push([sample(uscc, value=11, period=2 * HOUR)]), unchanged=1)
        pts = self.calls("office").series(uscc, frm=BASE, to=BASE + DAY).points
        self.assertEqual([(p.value, p.period_seconds) for p in pts], [(11.0, 2 * HOUR)])
        # In one stream, a repeat is compared with what it repeats.
        s = c.push([sample(uscc, value=5), sample(uscc, value=5), sample(uscc, value=6),
                    sample(uscc, t=BASE + HOUR, value=1), sample(uscc, value=6)])
        self.assertSummary(s, accepted=3, unchanged=2)
        pts = self.calls("office").series(uscc, frm=BASE, to=BASE + DAY).points
        self.assertEqual([(p.period_start.seconds, p.value) for p in pts],
                         [(BASE, 6.0), (BASE + HOUR, 1.0)])
        # -0 is 0.
        self.assertSummary(c.push([sample(uscc, t=BASE + 2 * HOUR, value=0.0)]), accepted=1)
        self.assertSummary(c.push([sample(uscc, t=BASE + 2 * HOUR, value=-0.0)]), unchanged=1)

    def test_twenty_thousand_samples_in_one_stream_are_all_stored_in_order(self):
        # Memory is observed, not asserted: the stream holds one group, but RocksDB's memtable
        # grows with the data and ASan's quarantine blurs the rest.
        uscc = self.opted_in()
        n = 20000
        rss0 = vm_kib(self.node.pid, "VmRSS")

        def gen():
            for i in range(n):
                yield sample(uscc, t=STREAM_BASE + i * HOUR, value=i * 0.5)

        t0 = time.monotonic()
        s = self.calls().ind.PushSamples(gen(), timeout=STREAM_TIMEOUT)
        took = time.monotonic() - t0
        self.assertSummary(s, accepted=n)
        rss1 = vm_kib(self.node.pid, "VmRSS")
        harness.observe("PushSamples: %d samples in %.2f s (%.0f samples/s, ASan build if so "
                        "built); node RSS %s -> %s KiB" % (n, took, n / took, rss0, rss1))
        # Every sample is there, in time order, in pages.
        office = self.calls("office")
        first = office.series(uscc, frm=STREAM_BASE, to=STREAM_BASE + n * HOUR)
        self.assertEqual(len(first.points), 1000)  # page_size 0: 1000
        self.assertTrue(first.next_page_token)
        got, token = [], ""
        while True:
            r = office.series(uscc, frm=STREAM_BASE, to=STREAM_BASE + n * HOUR, page_size=10000,
                              page_token=token)
            got.extend(p.period_start.seconds for p in r.points)
            token = r.next_page_token
            if not token:
                break
        self.assertEqual(got, [STREAM_BASE + i * HOUR for i in range(n)])
        months = office.series(uscc, frm=STREAM_BASE, to=STREAM_BASE + n * HOUR,
                               aggregation=I.AGGREGATION_MONTHLY_TOTAL).points
        self.assertEqual(sum(p.samples for p in months), n)
        self.assertAlmostEqual(sum(p.value for p in months), sum(i * 0.5 for i in range(n)))
        # Sent again: all unchanged.
        s = self.calls().ind.PushSamples(gen(), timeout=STREAM_TIMEOUT)
        self.assertSummary(s, unchanged=n)


def vm_kib(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# --- Opt-ins ------------------------------------------------------------------------------------

class OtherPlatform:
    """A second UNIT_KIND_INDUSTRIAL_PLATFORM unit, registered by the office, with its own certificate
    (made once per module)."""

    _cert = None

    @staticmethod
    def code(case):
        office = case.calls("office")
        try:
            office.units.RegisterUnit(unit_pb2.RegisterUnitRequest(
                code=OTHER_PLATFORM, name="第二工业互联网平台 Second platform",
                kind=unit_pb2.UNIT_KIND_INDUSTRIAL_PLATFORM), timeout=CALL_TIMEOUT)
        except grpc.RpcError as e:
            if e.code() != SC.ALREADY_EXISTS:
                raise
        return OTHER_PLATFORM

    @classmethod
    def cert(cls):
        if cls._cert is None:
            cls._cert = harness.issue_cert(OTHER_PLATFORM, "urn:credit:unit:" + OTHER_PLATFORM)
        return cls._cert


class OptInTest(IndustrialCase):

    def test_a_platform_registers_for_itself(self):
        uscc = fresh_uscc()
        d = digest()
        o = self.calls().register(uscc, consent=d)
        self.assertEqual((o.platform, o.enterprise_uscc, o.consent_digest, o.revoked,
                          o.registered_by), ("ind-platform", uscc, d, False, "ind-platform"))
        self.assertAlmostEqual(o.registered_at.seconds, time.time(), delta=60)
        # Naming itself is the same; naming another platform is refused.
        self.assertRpcFails(SC.ALREADY_EXISTS, self.calls().register, uscc,
                            platform="ind-platform", contains=uscc)
        self.assertRpcFails(SC.PERMISSION_DENIED, self.calls().register, fresh_uscc(),
                            platform=OtherPlatform.code(self), contains=OTHER_PLATFORM)

    def test_the_office_registers_naming_a_platform(self):
        uscc = fresh_uscc()
        o = self.calls("office").register(uscc, platform="ind-platform")
        self.assertEqual((o.platform, o.registered_by), ("ind-platform", "office"))
        self.assertSummary(self.calls().push([sample(uscc)]), accepted=1)
        office = self.calls("office")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.register, fresh_uscc(),
                            contains="platform")
        # A registered unit of another kind: the same code as a mandate for a non-platform.
        self.assertRpcFails(SC.FAILED_PRECONDITION, office.register, fresh_uscc(),
                            platform="market", contains=("platform", "UNIT_KIND_DEPARTMENT"))
        self.assertRpcFails(SC.NOT_FOUND, office.register, fresh_uscc(),
                            platform="no-such-platform", contains="no-such-platform")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.register, fresh_uscc(),
                            platform="Bad/Code", contains="platform")

    def test_other_units_may_not_register(self):
        for who in ("market", "bank-a", "subj-acme", "city", "portal", "assoc-platform"):
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).register, ACME_USCC,
                                platform="ind-platform", contains=who)

    def test_registration_checks_uscc_and_consent_digest(self):
        c = self.calls()
        uscc = fresh_uscc()
        self.assertRpcFails(SC.INVALID_ARGUMENT, c.register, uscc[:-1] + "0"
                            if uscc[-1] != "0" else uscc[:-1] + "1", contains="enterprise_uscc")
        self.assertRpcFails(SC.INVALID_ARGUMENT, c.register, "", contains="enterprise_uscc")
        for bad in ("", "A" * 64, "a" * 63, "a" * 65, "g" * 64, digest().upper(),
                    " " + "a" * 63):
            req = I.RegisterOptInRequest(enterprise_uscc=uscc, consent_digest=bad)
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.ind.RegisterOptIn, req,
                                contains="consent_digest")
        # None of those was stored.
        self.assertNotIn(uscc, [o.enterprise_uscc for o in c.list().opt_ins])

    def test_revocation_refuses_later_samples_and_registering_again_revives(self):
        uscc = self.opted_in()
        c = self.calls()
        self.assertSummary(c.push([sample(uscc, t=BASE)]), accepted=1)
        o = c.revoke(uscc)
        self.assertEqual((o.revoked, o.revoked_by, o.platform), (True, "ind-platform",
                                                                 "ind-platform"))
        self.assertAlmostEqual(o.revoked_at.seconds, time.time(), delta=60)
        s = c.push([sample(uscc, t=BASE + HOUR)])
        self.assertSummary(s, rejected=1)
        self.assertRejection(s.rejections[0], 0, SC.FAILED_PRECONDITION, "enterprise_uscc",
                             uscc, "revoked")
        self.assertRpcFails(SC.FAILED_PRECONDITION, c.revoke, uscc, contains="already revoked")
        # What was stored before stays readable.
        pts = self.calls("office").series(uscc, frm=BASE, to=BASE + DAY).points
        self.assertEqual([p.period_start.seconds for p in pts], [BASE])
        # Registering again makes it live.
        o = c.register(uscc)
        self.assertFalse(o.revoked)
        self.assertSummary(c.push([sample(uscc, t=BASE + HOUR)]), accepted=1)

    def test_who_may_revoke(self):
        c = self.calls()
        # The office, naming the platform.
        uscc = self.opted_in()
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.calls("office").revoke, uscc,
                            contains="platform")
        o = self.calls("office").revoke(uscc, platform="ind-platform")
        self.assertEqual((o.revoked, o.revoked_by), (True, "office"))
        # The enterprise itself (subj-acme is ACME_USCC), naming the platform.
        try:
            c.register(ACME_USCC)
        except grpc.RpcError as e:
            self.assertEqual(e.code(), SC.ALREADY_EXISTS)
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.calls("subj-acme").revoke, ACME_USCC,
                            contains="platform")
        o = self.calls("subj-acme").revoke(ACME_USCC, platform="ind-platform")
        self.assertEqual((o.revoked, o.revoked_by), (True, "subj-acme"))
        c.register(ACME_USCC)  # live again for the others
        # ... but not another enterprise's.
        other = self.opted_in()
        self.assertRpcFails(SC.PERMISSION_DENIED, self.calls("subj-acme").revoke, other,
                            platform="ind-platform", contains=("subj-acme", "not the enterprise"))
        # A platform only its own; other units not at all.
        self.assertRpcFails(SC.PERMISSION_DENIED, c.revoke, other,
                            platform=OtherPlatform.code(self))
        for who in ("market", "bank-a", "city", "portal"):
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).revoke, other,
                                platform="ind-platform", contains=who)
        self.assertFalse([o for o in c.list().opt_ins if o.enterprise_uscc == other][0].revoked)
        # Nothing to revoke.
        nobody = fresh_uscc()
        self.assertRpcFails(SC.NOT_FOUND, c.revoke, nobody, contains=nobody)
        self.assertRpcFails(SC.INVALID_ARGUMENT, c.revoke, "123", contains="enterprise_uscc")

    def test_who_may_list(self):
        mine = self.opted_in()
        theirs = fresh_uscc()
        other = OtherPlatform.code(self)
        self.calls("office").register(theirs, platform=other)
        own = self.calls().list().opt_ins
        self.assertTrue(own)
        self.assertEqual({o.platform for o in own}, {"ind-platform"})
        self.assertIn(mine, [o.enterprise_uscc for o in own])
        self.assertEqual(self.calls().list("ind-platform"), self.calls().list())
        self.assertRpcFails(SC.PERMISSION_DENIED, self.calls().list, other, contains=other)
        office = self.calls("office")
        self.assertEqual(office.list("ind-platform"), self.calls().list())
        self.assertEqual([o.enterprise_uscc for o in office.list(other).opt_ins].count(theirs), 1)
        every = office.list().opt_ins
        self.assertEqual({o.platform for o in every}, {"ind-platform", other})
        self.assertEqual(len(every), len(own) + len(office.list(other).opt_ins))
        for who in ("market", "bank-a", "subj-acme", "city", "portal"):
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).list, contains=who)


# --- Reading series ------------------------------------------------------------------------------

class SeriesTest(IndustrialCase):

    def test_range_reads_page_in_time_order(self):
        uscc = self.opted_in()
        ks = list(range(25))
        random.Random(7).shuffle(ks)
        s = self.calls().push([sample(uscc, t=BASE + k * HOUR, value=k, period=HOUR)
                               for k in ks])
        self.assertSummary(s, accepted=25)
        office = self.calls("office")
        got, tokens, token = [], [], ""
        while True:
            r = office.series(uscc, frm=BASE + 2 * HOUR, to=BASE + 22 * HOUR, page_size=7,
                              page_token=token)
            self.assertEqual(r.catalogue_version, 1)
            got.append([(p.period_start.seconds, p.value, p.period_seconds, p.platform)
                        for p in r.points])
            token = r.next_page_token
            if not token:
                break
            tokens.append(token)
        self.assertEqual([len(p) for p in got], [7, 7, 6])
        self.assertEqual(sum(got, []), [(BASE + k * HOUR, float(k), HOUR, "ind-platform")
                                        for k in range(2, 22)])
        # "since" inclusive and "to" exclusive, to the nanosecond.
        r = office.series(uscc, frm=ts(BASE + 2 * HOUR - 1, 999999999),
                          to=ts(BASE + 4 * HOUR, 1))
        self.assertEqual([p.period_start.seconds for p in r.points],
                         [BASE + 2 * HOUR, BASE + 3 * HOUR, BASE + 4 * HOUR])
        r = office.series(uscc, frm=ts(BASE + 2 * HOUR, 1), to=BASE + 4 * HOUR)
        self.assertEqual([p.period_start.seconds for p in r.points], [BASE + 3 * HOUR])
        # "since" unset: the beginning.
        r = office.series(uscc, to=BASE + 2 * HOUR)
        self.assertEqual([p.value for p in r.points], [0.0, 1.0])
        # Bad requests.
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, frm=BASE, to=BASE,
                            contains="since")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, frm=BASE + 1, to=BASE,
                            contains="since")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc,
                            frm=int(time.time()) + DAY, contains="since")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, page_size=-1,
                            contains="page_size")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, page_size=10001,
                            contains="page_size")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, page_token="nonsense",
                            contains="page_token")
        # A token outside the range asked for is not this request's.
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, frm=BASE + 20 * HOUR,
                            to=BASE + 22 * HOUR, page_token=tokens[0], contains="page_token")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, frm=BASE,
                            to=BASE + HOUR, aggregation=I.AGGREGATION_MONTHLY_TOTAL, page_token=tokens[0],
                            contains="page_token")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, aggregation=7,
                            contains="aggregation")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, uscc, frm=ts(BASE, -1),
                            contains="since")
        bad = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
        self.assertRpcFails(SC.INVALID_ARGUMENT, office.series, bad, contains="enterprise_uscc")
        self.assertRpcFails(SC.NOT_FOUND, office.series, uscc, section="NO_SUCH",
                            contains=("section", "NO_SUCH"))
        self.assertRpcFails(SC.NOT_FOUND, office.series, uscc, metric="no_such_metric",
                            contains=("metric", "no_such_metric"))
        # An enterprise with no samples has an empty series, not an error.
        self.assertEqual(len(office.series(fresh_uscc(), frm=BASE, to=BASE + DAY).points), 0)

    def test_monthly_totals_follow_china_standard_time(self):
        uscc = self.opted_in()
        at = [
            (utc(2026, 9, 30, 15, 0), 1),         # 2026-09-30 23:00 CST: September
            (utc(2026, 9, 30, 16, 0), 10),        # 2026-10-01 00:00 CST: October
            (utc(2026, 10, 31, 15, 59, 59), 100),  # 2026-10-31 23:59:59 CST: October
            (utc(2026, 10, 31, 16, 0), 1000),     # 2026-11-01 00:00 CST: November
            (utc(2026, 10, 31, 20, 0), 10000),    # 2026-11-01 04:00 CST: November
            (utc(2026, 11, 15), 100000),          # November
        ]
        s = self.calls().push([sample(uscc, "SALES", "sales_amount_fen", t=t, value=v,
                                      period=DAY) for t, v in at])
        self.assertSummary(s, accepted=len(at))
        r = self.calls("office").series(uscc, "SALES", "sales_amount_fen",
                                        frm=utc(2026, 9, 1), to=utc(2026, 11, 20),
                                        aggregation=I.AGGREGATION_MONTHLY_TOTAL)
        self.assertEqual(r.next_page_token, "")
        self.assertEqual(r.catalogue_version, 1)
        got = [(p.month, p.value, p.samples, p.platform, p.period_start.seconds,
                p.period_seconds) for p in r.points]
        self.assertEqual(got, [
            ("2026-09", 1.0, 1, "ind-platform", utc(2026, 8, 31, 16), 30 * DAY),
            ("2026-10", 110.0, 2, "ind-platform", utc(2026, 9, 30, 16), 31 * DAY),
            ("2026-11", 111000.0, 3, "ind-platform", utc(2026, 10, 31, 16), 30 * DAY),
        ])
        # The range bounds the samples, not the months: from 2026-10-31T20:00Z on.
        r = self.calls("office").series(uscc, "SALES", "sales_amount_fen",
                                        frm=utc(2026, 10, 31, 20), to=utc(2026, 11, 20),
                                        aggregation=I.AGGREGATION_MONTHLY_TOTAL)
        self.assertEqual([(p.month, p.value, p.samples) for p in r.points],
                         [("2026-11", 110000.0, 2)])
        # A range without samples has no months.
        r = self.calls("office").series(uscc, "SALES", "sales_amount_fen", frm=utc(2025, 1, 1),
                                        to=utc(2025, 6, 1), aggregation=I.AGGREGATION_MONTHLY_TOTAL)
        self.assertEqual(len(r.points), 0)

    def test_tiers_decide_who_reads_which_metric(self):
        uscc = self.opted_in()
        self.calls().push([sample(uscc, "SALES", "sales_amount_fen", value=500),
                           sample(uscc, "MATERIALS", "material_cost_fen", value=7)])
        for who in ("bank-a", "office", "portal", "ind-platform", "subj-acme"):
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).series, uscc, "SALES",
                                "sales_amount_fen", frm=BASE, to=BASE + DAY, gov=False,
                                contains="metric sales_amount_fen is TIER_AUTHORIZED; "
                                         "this is the open tier")
        for who in ("office", "market", "city"):
            pts = self.calls(who).series(uscc, "SALES", "sales_amount_fen", frm=BASE,
                                         to=BASE + DAY).points
            self.assertEqual([p.value for p in pts], [500.0])
            pts = self.calls(who).series(uscc, "MATERIALS", "material_cost_fen", frm=BASE,
                                         to=BASE + DAY).points
            self.assertEqual([p.value for p in pts], [7.0])
        for who in ("bank-a", "ind-platform", "portal", "subj-acme", "assoc-platform"):
            self.assertRpcFails(SC.PERMISSION_DENIED, self.calls(who).series, uscc, "SALES",
                                "sales_amount_fen", frm=BASE, to=BASE + DAY,
                                contains=("government tier", who))

    def test_several_platforms_reporting_the_same_period_are_listed_each(self):
        uscc = self.opted_in()
        other = OtherPlatform.code(self)
        self.calls("office").register(uscc, platform=other)
        if "other" not in self._calls:
            self._calls["other"] = Calls(self.node.port, OtherPlatform.cert())
        self.assertSummary(self.calls("other").push([sample(uscc, t=BASE, value=2),
                                                     sample(uscc, t=BASE + DAY, value=3)]),
                           accepted=2)
        self.assertSummary(self.calls().push([sample(uscc, t=BASE, value=5)]), accepted=1)
        office = self.calls("office")
        pts = office.series(uscc, frm=BASE, to=BASE + 2 * DAY).points
        self.assertEqual([(p.period_start.seconds, p.platform, p.value) for p in pts],
                         [(BASE, "ind-platform", 5.0), (BASE, other, 2.0),
                          (BASE + DAY, other, 3.0)])
        # Paging between two platforms' samples of the same period.
        r = office.series(uscc, frm=BASE, to=BASE + 2 * DAY, page_size=1)
        self.assertEqual([p.platform for p in r.points], ["ind-platform"])
        r = office.series(uscc, frm=BASE, to=BASE + 2 * DAY, page_size=1,
                          page_token=r.next_page_token)
        self.assertEqual([p.platform for p in r.points], [other])
        # Monthly totals stay per platform: one platform's reading is not added to another's.
        r = office.series(uscc, frm=BASE, to=BASE + 2 * DAY, aggregation=I.AGGREGATION_MONTHLY_TOTAL)
        self.assertEqual([(p.month, p.platform, p.value, p.samples) for p in r.points],
                         [("2025-03", "ind-platform", 5.0, 1), ("2025-03", other, 5.0, 2)])
        # The other platform's opt-in is its own: revoking ours leaves its pushes alone.
        self.calls().revoke(uscc)
        self.assertSummary(self.calls("other").push([sample(uscc, t=BASE, value=4)]),
                           accepted=1)


# --- A catalogue the seed does not give -----------------------------------------------------------

def changed_catalogue():
    """The seed catalogue with PARTNERS pushed by departments only, ENERGY_USE/electricity_kwh
    in the open tier and a text dimension ENERGY_USE/meter_note."""
    with open(os.path.join(harness.SOURCE_DIR, "proto", "catalogue.textproto"),
              encoding="utf-8") as f:
        text = f.read()
    text, n1 = re.subn(r'(code: "PARTNERS"\n\s+name: [^\n]*\n\s+)responsible_kinds: '
                       r'UNIT_KIND_INDUSTRIAL_PLATFORM', r"\1responsible_kinds: UNIT_KIND_DEPARTMENT", text)
    text, n2 = re.subn(r'(code: "electricity_kwh"\n(?:[^\n]*\n){2,3}\s+)tier: TIER_AUTHORIZED',
                       r"\1tier: TIER_OPEN", text)
    text, n3 = re.subn(r'(code: "ENERGY_USE"\n\s+name: [^\n]*\n\s+responsible_kinds: '
                       r'UNIT_KIND_INDUSTRIAL_PLATFORM\n)',
                       r'\1    dimensions {\n      code: "meter_note"\n      name: "备注 note"\n'
                       r'      type: VALUE_TYPE_TEXT\n      tier: TIER_AUTHORIZED\n    }\n', text)
    assert (n1, n2, n3) == (1, 1, 1), "the seed catalogue changed shape: %s" % ((n1, n2, n3),)
    path = os.path.join(harness.new_dir("catalogue"), "catalogue.textproto")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class ChangedCatalogueTest(IndustrialCase):

    @classmethod
    def setUpClass(cls):
        cls.NODE_FLAGS = ("--catalogue", changed_catalogue())
        super().setUpClass()

    def test_a_platform_not_responsible_for_the_section_is_refused(self):
        uscc = self.opted_in()
        s = self.calls().push([sample(uscc, "PARTNERS", "active_customers", value=3),
                               sample(uscc, value=2)])
        self.assertSummary(s, accepted=1, rejected=1)
        self.assertRejection(s.rejections[0], 0, SC.PERMISSION_DENIED, "section",
                             "ind-platform", "PARTNERS")

    def test_an_open_metric_is_read_in_the_open_tier(self):
        uscc = self.opted_in()
        self.assertSummary(self.calls().push([sample(uscc, value=42.5)]), accepted=1)
        for who in ("bank-a", "portal", "subj-acme", "ind-platform"):
            r = self.calls(who).series(uscc, frm=BASE, to=BASE + DAY, gov=False)
            self.assertEqual([p.value for p in r.points], [42.5])

    def test_a_text_dimension_is_no_metric(self):
        uscc = self.opted_in()
        s = self.calls().push([sample(uscc, metric="meter_note")])
        self.assertSummary(s, rejected=1)
        self.assertRejection(s.rejections[0], 0, SC.INVALID_ARGUMENT, "metric", "VALUE_TYPE_TEXT")
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.calls("office").series, uscc,
                            metric="meter_note", contains="VALUE_TYPE_TEXT")


# --- Persistence ---------------------------------------------------------------------------------

class RestartTest(InteropCase):

    def test_samples_and_opt_ins_survive_a_restart(self):
        node = Node(name="restart")
        try:
            uscc, revoked = fresh_uscc(), fresh_uscc()
            c = Calls(node.port, "ind-platform")
            c.register(uscc)
            c.register(revoked)
            c.revoke(revoked)
            self.assertEqual(c.push([sample(uscc, t=BASE + k * HOUR, value=k)
                                     for k in range(5)]).accepted, 5)
            c.close()
            node.stop()
            node.start()
            c = Calls(node.port, "ind-platform")
            office = Calls(node.port, "office")
            try:
                pts = office.series(uscc, frm=BASE, to=BASE + DAY).points
                self.assertEqual([p.value for p in pts], [0.0, 1.0, 2.0, 3.0, 4.0])
                opt = {o.enterprise_uscc: o.revoked for o in c.list().opt_ins}
                self.assertEqual(opt, {uscc: False, revoked: True})
                s = c.push([sample(uscc, t=BASE + k * HOUR, value=k) for k in range(5)] +
                           [sample(revoked)])
                self.assertEqual((s.accepted, s.unchanged, s.rejected), (0, 5, 1))
            finally:
                c.close()
                office.close()
            node.stop()
        finally:
            node.kill9()


if __name__ == "__main__":
    unittest.main()
