"""test_batched_streams.py: PushBatches, a client stream of batches, through python3-grpcio.

Every collecting service has PushBatches(stream <its batch request>) returns PushBatchResponse:
each message carries 1 to 1000 records, the stream at most 10,000 records (and 64 MiB), and
the stream is one call exactly as Push is (README "What a push changes"): each record is
checked on its own, the results index the records by their position in the whole stream, and
nothing is stored unless the client half-closes and the node answers OK. What is checked here:
the indexes across messages, a bad record in the middle of a message, a source record repeated
in a later message, a stream cancelled or refused part-way storing nothing, the limits, and
that reflection describes the method as client-streaming.

One node for the module.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_batched_streams
"""

import threading

import grpc
from google.protobuf import descriptor_pb2

import harness
from harness import CALL_TIMEOUT, legal_ref, legal_subject, penalty_input

from credit.v1 import record_pb2 as R
from credit.v1 import service_unit_pb2 as SU
from credit.v1 import service_unit_pb2_grpc as SU_grpc
from grpc.reflection.v1 import reflection_pb2 as refl_pb2
from grpc.reflection.v1 import reflection_pb2_grpc as refl_grpc

SC = grpc.StatusCode
STREAM_TIMEOUT = 120.0  # streams of up to 10,001 records, under AddressSanitizer
BAD_USCC = "91230500MA1B3N1N2X"  # wrong check character

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=730000, born="198107")
fresh_uscc = _fresh.uscc
fresh_src = _fresh.src


def batches(*groups):
    """One PushBatchRequest per group of records, in order."""
    return [R.PushBatchRequest(records=list(g)) for g in groups]


class BatchedStreams(harness.PushAssertions, harness.SharedNodeCase):

    def calls(self, who="market"):
        return harness.Stubs(self.node.port, who)

    def records(self, uscc, tag, n):
        return [penalty_input(fresh_src(tag), legal_subject(uscc)) for _ in range(n)]

    def test_results_index_the_records_across_the_whole_stream_then_all_unchanged(self):
        uscc = fresh_uscc()
        recs = self.records(uscc, "b1", 8)
        msgs = batches(recs[0:3], recs[3:4], recs[4:8])
        with self.calls() as c:
            first = c.collect.PushBatches(iter(msgs), timeout=STREAM_TIMEOUT)
            self.assertEqual([r.index for r in first.results], list(range(8)))
            for i, res in enumerate(first.results):
                self.assertResult(res, i, R.PUSH_OUTCOME_CREATED, version=1)
            self.assertEqual((first.accepted, first.rejected), (8, 0))
            stored = c.list_all("gov", legal_ref(uscc))
            self.assertEqual(sorted(r.meta.source_record_id for r in stored),
                             sorted(r.source_record_id for r in recs))
            # The same records cut into other messages are the same records: unchanged.
            again = c.collect.PushBatches(iter(batches(recs[0:5], recs[5:8])),
                                          timeout=STREAM_TIMEOUT)
        self.assertEqual([(r.index, r.outcome, r.record_id) for r in again.results],
                         [(i, R.PUSH_OUTCOME_UNCHANGED, first.results[i].record_id)
                          for i in range(8)])

    def test_a_bad_record_in_the_middle_of_a_message_is_rejected_alone(self):
        uscc = fresh_uscc()
        good = self.records(uscc, "b2", 4)
        bad = penalty_input(fresh_src("b2-bad"), legal_subject(BAD_USCC))
        msgs = batches([good[0], bad, good[1]], [good[2], good[3]])
        with self.calls() as c:
            resp = c.collect.PushBatches(iter(msgs), timeout=STREAM_TIMEOUT)
            stored = c.list_all("gov", legal_ref(uscc))
        self.assertEqual(len(resp.results), 5, resp)
        self.assertRejected(resp.results[1], 1, SC.INVALID_ARGUMENT, "subject.identifier")
        for i in (0, 2, 3, 4):
            self.assertResult(resp.results[i], i, R.PUSH_OUTCOME_CREATED, version=1)
        self.assertEqual((resp.accepted, resp.rejected), (4, 1))
        self.assertEqual(sorted(r.meta.source_record_id for r in stored),
                         sorted(r.source_record_id for r in good))

    def test_a_source_record_repeated_in_a_later_message_is_rejected_naming_its_index(self):
        uscc = fresh_uscc()
        recs = self.records(uscc, "b3", 3)
        with self.calls() as c:
            resp = c.collect.PushBatches(iter(batches(recs, [recs[1]])), timeout=STREAM_TIMEOUT)
        self.assertRejected(resp.results[3], 3, SC.INVALID_ARGUMENT, "source_record_id")
        self.assertIn("index 1", resp.results[3].reason)
        self.assertEqual((resp.accepted, resp.rejected), (3, 1))

    def test_a_cancelled_stream_stores_nothing_of_the_messages_it_sent(self):
        uscc = fresh_uscc()
        recs = self.records(uscc, "b4", 6)
        sent, hold = threading.Event(), threading.Event()

        def requests():
            yield R.PushBatchRequest(records=recs[:3])
            yield R.PushBatchRequest(records=recs[3:])
            sent.set()
            hold.wait(STREAM_TIMEOUT)  # never half-closes: the client cancels first

        with self.calls() as c:
            fut = c.collect.PushBatches.future(requests(), timeout=STREAM_TIMEOUT)
            self.assertTrue(sent.wait(CALL_TIMEOUT))
            fut.cancel()
            hold.set()
            self.assertRaises(grpc.FutureCancelledError, fut.result)
            self.assertEqual(c.list_all("gov", legal_ref(uscc)), [])
            # Nothing half-stored: the records are new to a later stream.
            resp = c.collect.PushBatches(iter(batches(recs)), timeout=STREAM_TIMEOUT)
        self.assertEqual([r.outcome for r in resp.results], [R.PUSH_OUTCOME_CREATED] * 6)

    def test_a_message_of_no_record_or_of_1001_ends_the_stream_and_stores_nothing(self):
        uscc = fresh_uscc()
        recs = self.records(uscc, "b5", 2)
        over = [recs[1]] * 1001
        with self.calls() as c:
            for msgs, count in ((batches(recs[:1], []), 0), (batches(recs[:1], over), 1001)):
                with self.subTest(records=count):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.PushBatches, iter(msgs),
                                        timeout=STREAM_TIMEOUT,
                                        contains=("records", "1 to 1000", "not %d" % count,
                                                  "message 2 of the stream"))
            self.assertRpcFails(SC.INVALID_ARGUMENT, c.collect.PushBatches, iter([]),
                                timeout=STREAM_TIMEOUT, contains="records")
            self.assertEqual(c.list_all("gov", legal_ref(uscc)), [])

    def test_a_stream_holds_10000_records_and_the_next_one_ends_it_storing_nothing(self):
        uscc = fresh_uscc()
        first = penalty_input(fresh_src("b6"), legal_subject(uscc))
        filler = penalty_input(fresh_src("b6-fill"), legal_subject(uscc))
        # Ten full messages reach the limit; the node refuses at the record past it. A repeated
        # source id is only refused at the half-close, which never comes, so the fillers may
        # repeat one.
        msgs = batches([first]) + batches([filler] * 999) + batches(*([[filler] * 1000] * 9))
        msgs += batches([filler])
        self.assertEqual(sum(len(m.records) for m in msgs), 10001)
        with self.calls() as c:
            self.assertRpcFails(SC.RESOURCE_EXHAUSTED, c.collect.PushBatches, iter(msgs),
                                timeout=STREAM_TIMEOUT,
                                contains=("at most 10000 records", "nothing of this stream"))
            self.assertEqual(c.list_all("gov", legal_ref(uscc)), [])

    def test_a_stream_may_carry_more_records_than_one_batch(self):
        uscc = fresh_uscc()
        recs = self.records(uscc, "b7", 1001)
        with self.calls() as c:
            resp = c.collect.PushBatches(iter(batches(recs[:1000], recs[1000:])),
                                         timeout=STREAM_TIMEOUT)
        self.assertEqual((resp.accepted, resp.rejected), (1001, 0))
        self.assertEqual(resp.results[1000].index, 1000)

    def test_service_unit_collection_takes_batches_of_its_own_input(self):
        # The method exists on every collecting service, with that service's batch request:
        # here an empty declaration is refused record by record, not as a wrong message.
        with harness.channel(self.node.port, "market") as ch:
            stub = SU_grpc.ServiceUnitCollectionStub(ch)
            resp = stub.PushBatches(
                iter([SU.ServiceUnitBatchRequest(records=[SU.ServiceUnitRecordInput()] * 2)]),
                timeout=STREAM_TIMEOUT)
        self.assertEqual([(r.index, r.outcome) for r in resp.results],
                         [(0, R.PUSH_OUTCOME_REJECTED), (1, R.PUSH_OUTCOME_REJECTED)])

    def test_reflection_describes_push_batches_as_a_client_stream_of_batch_requests(self):
        want = {"credit.v1.PublicCreditCollection": ".credit.v1.PushBatchRequest",
                "credit.v1.ServiceUnitCollection": ".credit.v1.ServiceUnitBatchRequest",
                "credit.v1.AssociationCollection": ".credit.v1.AssociationBatchRequest",
                "credit.v1.VoluntaryDeclaration": ".credit.v1.VoluntaryBatchRequest"}
        with harness.channel(self.node.port, "market") as ch:
            stub = refl_grpc.ServerReflectionStub(ch)
            reqs = [refl_pb2.ServerReflectionRequest(file_containing_symbol=s) for s in want]
            resps = list(stub.ServerReflectionInfo(iter(reqs), timeout=CALL_TIMEOUT))
        found = {}
        for resp in resps:
            for raw in resp.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                for svc in fd.service:
                    for m in svc.method:
                        if m.name == "PushBatches":
                            found["%s.%s" % (fd.package, svc.name)] = (
                                m.input_type, m.output_type, m.client_streaming,
                                m.server_streaming)
        self.assertEqual(found, {s: (t, ".credit.v1.PushBatchResponse", True, False)
                                 for s, t in want.items()})
