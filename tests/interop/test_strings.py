"""test_strings.py: every string field of every credit.v1 request refuses an embedded NUL and
bytes that are not UTF-8, and the node never sends such a string (issue 9, parts 2 and 5).

protobuf-c hands the node C strings, so before the fix a NUL cut a value short without a word:
"罚款\\0伍千元" was stored as "罚款", "<id>\\0other" overwrote record <id>, a USCC followed by
"\\0ZZZ" was accepted; and one unit name that was not UTF-8 made ListUnits undecodable in
python-grpcio for every caller. The node now reads each request's strings on the wire and
answers INVALID_ARGUMENT "<field path>: <reason>" before any handler runs.

The table test walks the descriptors harness compiles (no list written by hand): for every
method of every credit.v1 service and every string field reachable in its request (nested,
repeated, map keys and values, oneof members) it sends a request holding only that field, once
with a NUL and once with a byte 0xFF, as raw wire bytes (python protobuf refuses to serialise
either), and asserts INVALID_ARGUMENT naming the field's path. Paths are the node's
(server/base/pbcheck.h): `records[0].penalty.content`, `records[0].extra{k}.text`,
`records[0].extra[0].key`.

Then the notable cases, checking that nothing was stored, and the unit registry's text rules.
"""

import unittest

import grpc
from google.protobuf.descriptor import FieldDescriptor

import harness
from harness import CALL_TIMEOUT, InteropCase, Node, unit_pb2
from harness import R, legal_subject, legal_ref, penalty_input

SC = grpc.StatusCode
K = unit_pb2

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=700000, born="197707")
fresh_uscc = _fresh.uscc
fresh_src = _fresh.src

NUL_VALUE = b"ok\x00x"
NUL_REASON = "holds a NUL character (U+0000) at offset 2"
BAD_VALUE = b"ok\xffx"
BAD_REASON = "is not valid UTF-8 (byte 0xFF at offset 2)"


# --- The wire format, by hand -------------------------------------------------------------------

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7f | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def ld(number, payload):
    """A length-delimited field: tag, length, bytes."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def string_fields(desc, stack=()):
    """(path, encode) for every string field reachable from message type `desc`, where
    encode(value) is the encoding of a message of that type holding only that field set to the
    bytes `value`. A message type already on the way down is not entered again."""
    for f in desc.fields:
        rep = "[0]" if f.label == f.LABEL_REPEATED else ""
        if f.type == f.TYPE_STRING:
            yield f.name + rep, (lambda v, n=f.number: ld(n, v))
        elif f.type == f.TYPE_MESSAGE:
            md = f.message_type
            if md.GetOptions().map_entry:
                kf, vf = md.fields_by_name["key"], md.fields_by_name["value"]
                if kf.type == FieldDescriptor.TYPE_STRING:
                    yield f.name + "[0].key", (lambda v, n=f.number: ld(n, ld(1, v)))
                if vf.type == FieldDescriptor.TYPE_STRING:
                    yield f.name + "{k}", (lambda v, n=f.number: ld(n, ld(1, b"k") + ld(2, v)))
                elif vf.type == FieldDescriptor.TYPE_MESSAGE and \
                        vf.message_type.full_name not in stack:
                    for sub, enc in string_fields(vf.message_type,
                                                  stack + (vf.message_type.full_name,)):
                        yield (f.name + "{k}." + sub,
                               lambda v, n=f.number, e=enc: ld(n, ld(1, b"k") + ld(2, e(v))))
            elif md.full_name not in stack:
                for sub, enc in string_fields(md, stack + (md.full_name,)):
                    yield f.name + rep + "." + sub, (lambda v, n=f.number, e=enc: ld(n, e(v)))


credit_services = harness.credit_services


def raw_call(ch, svc, method, cs, ss, payload):
    """Sends `payload` (raw bytes) as the one request message of the method; returns the
    grpc.RpcError it ends with, or None if it ended with OK."""
    path = "/%s/%s" % (svc.full_name, method.name)
    ident = dict(request_serializer=lambda b: b, response_deserializer=lambda b: b)
    try:
        if cs and ss:
            for _ in ch.stream_stream(path, **ident)(iter([payload]), timeout=CALL_TIMEOUT):
                pass
        elif cs:
            ch.stream_unary(path, **ident)(iter([payload]), timeout=CALL_TIMEOUT)
        elif ss:
            for _ in ch.unary_stream(path, **ident)(payload, timeout=CALL_TIMEOUT):
                pass
        else:
            ch.unary_unary(path, **ident)(payload, timeout=CALL_TIMEOUT)
    except grpc.RpcError as e:
        return e
    return None


def patched(msg, marker, raw):
    """msg serialised, with the single occurrence of the UTF-8 bytes of `marker` replaced by
    `raw` of the same length (so every length prefix stays right)."""
    data = msg.SerializeToString()
    m = marker.encode("utf-8")
    assert len(m) == len(raw) and data.count(m) == 1, (marker, data)
    return data.replace(m, raw)


# --- Tests --------------------------------------------------------------------------------------

class EveryStringFieldTest(InteropCase):
    """The table: every method, every string field, a NUL and a 0xFF."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(name="strings-table")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_every_string_field_of_every_request_refuses_nul_and_invalid_utf8(self):
        methods = credit_services()
        self.assertGreater(len(methods), 40, "the descriptors name too few methods")
        checked, failures = 0, []
        with harness.channel(self.node.port, "office") as ch:
            for svc, m, cs, ss in methods:
                for path, enc in string_fields(m.input_type, (m.input_type.full_name,)):
                    for value, reason in ((NUL_VALUE, NUL_REASON), (BAD_VALUE, BAD_REASON)):
                        err = raw_call(ch, svc, m, cs, ss, enc(value))
                        checked += 1
                        what = "%s/%s %s %r" % (svc.name, m.name, path, value)
                        if err is None:
                            failures.append("%s: OK" % what)
                        elif err.code() != SC.INVALID_ARGUMENT or \
                                not (err.details() or "").startswith(path + ": " + reason):
                            failures.append("%s: %s %r" % (what, err.code().name, err.details()))
        harness.observe("%d requests of %d methods, each with one bad string field"
                        % (checked, len(methods)))
        self.assertGreater(checked, 500, "too few string fields found in the requests")
        self.assertEqual(failures, [], "%d of %d not refused as they should be:\n%s"
                         % (len(failures), checked, "\n".join(failures[:40])))

    def test_a_stream_names_the_message_at_fault(self):
        rec = penalty_input(fresh_src("S"), legal_subject(fresh_uscc()))
        rec.penalty.content = "罚款@伍千元"
        good = penalty_input(fresh_src("S"), legal_subject(fresh_uscc())).SerializeToString()
        bad = patched(rec, "@", b"\x00")
        with harness.channel(self.node.port, "market") as ch:
            push = ch.stream_unary("/credit.v1.PublicCreditCollection/Push",
                                   request_serializer=lambda b: b,
                                   response_deserializer=R.PushBatchResponse.FromString)
            self.assertRpcFails(SC.INVALID_ARGUMENT, push, iter([good, bad]),
                                contains=("penalty.content: holds a NUL character (U+0000) at "
                                          "offset 6", "message 2 of the stream"))

    def test_unknown_fields_and_valid_text_still_pass(self):
        # GetUnitRequest with an unknown field 9 holding a NUL and 0xFF: skipped, as protobuf
        # skips unknown fields; the code itself is fine.
        payload = ld(1, "office".encode()) + ld(9, b"\x00\xff")
        with harness.channel(self.node.port, "office") as ch:
            resp = harness.raw_unary(ch, "/credit.v1.UnitRegistry/GetUnit")(
                payload, timeout=CALL_TIMEOUT)
        self.assertEqual(K.Unit.FromString(resp).code, "office")


class NothingIsStoredTest(InteropCase, harness.PushAssertions):
    """The defects as the issue found them: each refused, and nothing written."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(name="strings-stored")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.stubs = harness.Stubs(self.node.port, "market")
        self.push_raw = self.stubs.ch.unary_unary(
            "/credit.v1.PublicCreditCollection/PushBatch", request_serializer=lambda b: b,
            response_deserializer=R.PushBatchResponse.FromString)

    def tearDown(self):
        self.stubs.close()

    def records_of(self, uscc):
        return self.stubs.list_all("gov", legal_ref(uscc))

    def test_nul_in_content_is_refused_not_truncated(self):
        uscc = fresh_uscc()
        rec = penalty_input(fresh_src("NUL"), legal_subject(uscc))
        rec.penalty.content = "罚款@伍千元"
        req = R.PushBatchRequest(records=[
            penalty_input(fresh_src("OK"), legal_subject(uscc)),
            penalty_input(fresh_src("OK"), legal_subject(uscc)), rec])
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.push_raw, patched(req, "@", b"\x00"),
                            timeout=CALL_TIMEOUT,
                            contains="records[2].penalty.content: holds a NUL character "
                                     "(U+0000) at offset 6")
        self.assertEqual(self.records_of(uscc), [], "a refused batch stored records")

    def test_nul_in_source_record_id_does_not_overwrite_another_record(self):
        uscc = fresh_uscc()
        src = fresh_src("SRC")
        first = self.stubs.push(penalty_input(src, legal_subject(uscc), facts="原始事实"))
        self.assertResult(first.results[0], 0, R.PUSH_OUTCOME_CREATED, version=1)
        other = penalty_input(src + "@other", legal_subject(uscc), facts="另一条记录的事实")
        other.penalty.decision_document_number = "璧罚〔%s-other〕" % src
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.push_raw,
                            patched(R.PushBatchRequest(records=[other]), "@", b"\x00"),
                            timeout=CALL_TIMEOUT,
                            contains="records[0].source_record_id: holds a NUL character "
                                     "(U+0000) at offset %d" % len(src))
        recs = self.records_of(uscc)
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual(recs[0].meta.version, 1, recs[0])
        self.assertEqual(recs[0].penalty.violation_facts, "原始事实")

    def test_uscc_followed_by_nul_is_refused(self):
        uscc = fresh_uscc()
        rec = penalty_input(fresh_src("USCC"), legal_subject(uscc + "@ZZZ"))
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.push_raw,
                            patched(R.PushBatchRequest(records=[rec]), "@", b"\x00"),
                            timeout=CALL_TIMEOUT,
                            contains="records[0].subject.identifier: holds a NUL character "
                                     "(U+0000) at offset 18")
        self.assertEqual(self.records_of(uscc), [])

        with harness.channel(self.node.port, "office") as ch:
            register = harness.raw_unary(ch, "/credit.v1.UnitRegistry/RegisterUnit")
            req = K.RegisterUnitRequest(code="nul-uscc", name="单位", kind=K.UNIT_KIND_DEPARTMENT,
                                        uscc=uscc + "@ZZZ")
            self.assertRpcFails(SC.INVALID_ARGUMENT, register, patched(req, "@", b"\x00"),
                                contains="uscc: holds a NUL character (U+0000) at offset 18")
            self.assertRpcFails(SC.NOT_FOUND, harness.registry(ch).GetUnit,
                                K.GetUnitRequest(code="nul-uscc"))


class TextRuleTest(InteropCase):
    """The registry holds names, reasons and identities to the node's text rule, and ListUnits
    always decodes; so do the other services where a string was checked by length only or
    quoted before it was checked."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(name="strings-text")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.ch = harness.channel(self.node.port, "office")
        self.reg = harness.registry(self.ch)

    def tearDown(self):
        self.ch.close()

    def assertNoUnit(self, code):
        self.assertRpcFails(SC.NOT_FOUND, self.reg.GetUnit, K.GetUnitRequest(code=code))

    def assertListUnitsDecodes(self):
        units = self.reg.ListUnits(K.ListUnitsRequest(page_size=1000), timeout=CALL_TIMEOUT)
        self.assertIn("office", [u.code for u in units.units])
        return units

    def test_a_name_with_a_control_character_is_refused(self):
        for code, name, reason in (
                ("ctl-soh", "坏\u0001名", "contains a control character (U+0001) at byte 4"),
                ("ctl-lf", "名\nts=0 level=info event=forged", "(U+000A) at byte 4"),
                ("ctl-c1", "名\u0085", "(U+0085) at byte 4"),
                ("ctl-blank", "\u3000 ", "is required, and holds only blanks"),
                ("ctl-long", "长" * 67, "is 201 bytes long; at most 200 are allowed")):
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg.RegisterUnit,
                                K.RegisterUnitRequest(code=code, name=name, kind=K.UNIT_KIND_DEPARTMENT),
                                contains=("name: ", reason))
            self.assertNoUnit(code)

    def test_a_name_that_is_not_utf8_is_refused_and_list_units_still_decodes(self):
        register = harness.raw_unary(self.ch, "/credit.v1.UnitRegistry/RegisterUnit")
        req = K.RegisterUnitRequest(code="bad-utf8", name="坏@名", kind=K.UNIT_KIND_DEPARTMENT)
        self.assertRpcFails(SC.INVALID_ARGUMENT, register, patched(req, "@", b"\xff"),
                            contains="name: is not valid UTF-8 (byte 0xFF at offset 3)")
        self.assertNoUnit("bad-utf8")
        self.assertNotIn("bad-utf8", [u.code for u in self.assertListUnitsDecodes().units])

    def test_suspend_and_reinstate_reasons_are_one_line_of_text(self):
        for reason, why in (("停用\x1b[31m原因", "contains a control character (U+001B) at byte 7"),
                            ("停用\n2026 level=info event=call", "(U+000A) at byte 7"),
                            ("", "is required"),
                            ("x" * 501, "is 501 bytes long; at most 500 are allowed")):
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg.SuspendUnit,
                                K.SuspendUnitRequest(code="tax", reason=reason),
                                contains=("reason: ", why))
        self.assertEqual(self.reg.GetUnit(K.GetUnitRequest(code="tax"),
                                          timeout=CALL_TIMEOUT).status, K.UNIT_STATUS_ACTIVE)
        done = self.reg.SuspendUnit(K.SuspendUnitRequest(code="tax", reason="暂停：测试"),
                                    timeout=CALL_TIMEOUT)
        self.assertEqual(done.status, K.UNIT_STATUS_SUSPENDED)
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg.ReinstateUnit,
                            K.ReinstateUnitRequest(code="tax", reason="恢复\x07"),
                            contains="reason: contains a control character (U+0007)")
        back = self.reg.ReinstateUnit(K.ReinstateUnitRequest(code="tax", reason="恢复"),
                                      timeout=CALL_TIMEOUT)
        self.assertEqual(back.status, K.UNIT_STATUS_ACTIVE)
        self.assertListUnitsDecodes()

    def test_a_bound_identity_is_text_too(self):
        self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg.BindIdentity,
                            K.BindIdentityRequest(code="tax", identity="cn:税务\u0085局"),
                            contains="identity: contains a control character (U+0085)")

    def test_catalogue_codes_and_fields_are_one_line_of_text(self):
        from credit.v1 import catalogue_pb2 as C, catalogue_pb2_grpc as C_grpc
        gov = C_grpc.CatalogueGovernanceStub(self.ch)
        for req, field in (
                (C.ProposeChangeRequest(catalogue=R.CATALOGUE_PUBLIC, section="PENALTY\n",
                                        kind=C.CHANGE_KIND_ADD_DIMENSION, justification="理由"), "section"),
                (C.ProposeChangeRequest(catalogue=R.CATALOGUE_PUBLIC, section="PENALTY",
                                        kind=C.CHANGE_KIND_ADD_DIMENSION, justification="理由",
                                        dimension=C.Dimension(code="x", name="新维度",
                                                              field="penalty.\x1b[2J")),
                 "dimension.field")):
            self.assertRpcFails(SC.INVALID_ARGUMENT, gov.ProposeChange, req,
                                contains=field + ": contains a control character")

    def test_a_mandate_revocation_names_a_valid_uscc_and_a_platform_is_a_code(self):
        from credit.v1 import association_pb2 as A, association_pb2_grpc as A_grpc
        from credit.v1 import industrial_pb2 as I, industrial_pb2_grpc as I_grpc
        assoc = A_grpc.AssociationCollectionStub(self.ch)
        self.assertRpcFails(SC.INVALID_ARGUMENT, assoc.RevokeMandate,
                            A.RevokeMandateRequest(platform="assoc-platform",
                                                   association_uscc="51500227MJP654324C\x7f",
                                                   reason="撤销"),
                            contains="association_uscc: is not a valid unified social credit")
        with harness.channel(self.node.port, "ind-platform") as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, I_grpc.IndustrialDataCollectionStub(ch)
                                .ListOptIns,
                                I.ListOptInsRequest(platform='x\nts=0 event=forged "'),
                                contains="platform: character 2 is not")


if __name__ == "__main__":
    unittest.main()
