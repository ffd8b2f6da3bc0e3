"""test_catalogue.py: the governed catalogue (credit.v1.CatalogueGovernance) through python3-grpcio.

Reading the catalogue versions; the change workflow (a government unit files, the office alone
reviews and deliberates, every step recorded with who and when) with its permissions and status
codes; and what an approved change does to the rest of the node: an extra dimension that pushes
may then carry and that the stored record keeps, a removed dimension that pushes may no longer
carry and that the open tier stops showing, a tier change that takes effect at its time, an
approval that no longer applies because another came first, versions and requests surviving a
restart, and a seed file with a fault refused at start-up.

The expectations come from proto/credit/v1/catalogue.proto (the workflow and its states; a
version in force from its effective_at until a newer one is), the seed proto/catalogue.textproto
(version 1: six catalogues, the public one with 18 sections; PENALTY pushed by the office, market
and tax, its remarks an open dimension, its fine_amount_fen open) and record.proto (ExtraValue:
the member a dimension's value type needs). Identifiers are made from the standards (GB 32100,
GB 11714), not by the server.

Nodes: ReadingTests and WorkflowTests share one node per class that never approves a change, so
both stay at version 1 and their tests run in any order (each files its own requests and looks
only at those). Every test that approves a change, and so makes a new version, has a node of
its own.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_catalogue
"""

import math
import os
import re
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2, timestamp_pb2

import harness
from harness import CALL_TIMEOUT, InteropCase, Node

from credit.v1 import catalogue_pb2 as C
from credit.v1 import catalogue_pb2_grpc as C_grpc
from credit.v1 import record_pb2 as R
from grpc.reflection.v1 import reflection_pb2 as refl_pb2
from grpc.reflection.v1 import reflection_pb2_grpc as refl_grpc

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

CHANGE_ID_RE = re.compile(r"^CR-[0-9]{6,}$")
GOVERNMENT_KINDS = ("UNIT_KIND_OFFICE", "UNIT_KIND_DEPARTMENT", "UNIT_KIND_SERVICE_UNIT", "UNIT_KIND_MUNICIPAL")

EFFECT_DELAY = 4      # seconds from approval until a scheduled version takes effect
EFFECT_POLL = 15.0    # seconds to wait for it at most
CLOCK_SLACK = 5       # seconds between the node's clock and ours, for recorded times


# --- Identifiers, dates and records ------------------------------------------------------------

# Companies from 91500227MA300001 on.
_fresh = harness.Fresh(uscc_base=300000)
fresh_uscc = _fresh.uscc
fresh_src = _fresh.src


def legal_subject(uscc):
    return harness.legal_subject(uscc, name="璧山目录测试有限公司 Catalogue Test Co")


def penalty_input(src, uscc=None, fine=500000, remarks="", extra=None):
    """A valid SEVERITY_GENERAL penalty as market pushes it; `extra` maps codes to ExtraValues."""
    rec = harness.penalty_input(src, legal_subject(uscc or fresh_uscc()), fine=fine)
    rec.penalty.remarks = remarks
    for code, value in (extra or {}).items():
        rec.extra[code].CopyFrom(value)
    return rec


# --- Change requests ---------------------------------------------------------------------------

def dimension(code, field="", type=C.VALUE_TYPE_TEXT, tier=C.TIER_OPEN, name=None, required=False):
    return C.Dimension(code=code, name=name or "测试维度 test dimension %s" % code, field=field,
                       type=type, tier=tier, required=required,
                       description="Added by test_catalogue.py.")


def add_change(dim, section="PENALTY", justification=None):
    return C.ProposeChangeRequest(
        catalogue=R.CATALOGUE_PUBLIC, section=section, kind=C.CHANGE_KIND_ADD_DIMENSION, dimension=dim,
        justification=justification or "处罚公示需要新的维度 (interop test): add %s." % dim.code)


def change_change(dim, section="PENALTY"):
    return C.ProposeChangeRequest(
        catalogue=R.CATALOGUE_PUBLIC, section=section, kind=C.CHANGE_KIND_CHANGE_DIMENSION,
        dimension_code=dim.code, dimension=dim,
        justification="维度需要调整 (interop test): change %s." % dim.code)


def remove_change(code, section="PENALTY"):
    return C.ProposeChangeRequest(
        catalogue=R.CATALOGUE_PUBLIC, section=section, kind=C.CHANGE_KIND_REMOVE_DIMENSION,
        dimension_code=code, justification="维度不再需要 (interop test): remove %s." % code)


# --- Calls -------------------------------------------------------------------------------------

class Unit(harness.Stubs):
    """Stubs for one unit on one node's port (a channel opened per use, closed afterwards): the
    catalogue's (cat) and harness.Stubs' (push() and the tiers)."""

    def __init__(self, port, who):
        super().__init__(port, who)
        self.cat = C_grpc.CatalogueGovernanceStub(self.ch)

    # Catalogue
    def versions(self):
        return self.cat.ListVersions(C.ListVersionsRequest(), timeout=CALL_TIMEOUT)

    def version(self, number=0):
        return self.cat.GetVersion(C.GetVersionRequest(version=number), timeout=CALL_TIMEOUT)

    def propose(self, req):
        return self.cat.ProposeChange(req, timeout=CALL_TIMEOUT)

    def review(self, cid, passed=True, reasons="合规审查意见 (interop test)"):
        req = C.ReviewChangeRequest(id=cid, reasons=reasons)
        req.passed = passed
        return self.cat.ReviewChange(req, timeout=CALL_TIMEOUT)

    def decide(self, cid, approve=True, reasons="联席会议审议意见 (interop test)",
               effective_at=None):
        req = C.DecideChangeRequest(id=cid, approve=approve, reasons=reasons)
        if isinstance(effective_at, timestamp_pb2.Timestamp):
            req.effective_at.CopyFrom(effective_at)
        elif effective_at is not None:
            req.effective_at.CopyFrom(timestamp_pb2.Timestamp(seconds=int(effective_at)))
        return self.cat.DecideChange(req, timeout=CALL_TIMEOUT)

    def change(self, cid):
        return self.cat.GetChange(C.GetChangeRequest(id=cid), timeout=CALL_TIMEOUT)

    def changes(self, state=C.CHANGE_STATE_UNSPECIFIED):
        return list(self.cat.ListChanges(C.ListChangesRequest(state=state),
                                         timeout=CALL_TIMEOUT).changes)

    def dimension_of(self, code, section="PENALTY", number=0):
        for d in section_of(self.version(number), section).dimensions:
            if d.code == code:
                return d
        raise AssertionError("no dimension %s in PUBLIC/%s" % (code, section))

    # Records
    def gov_record(self, rid):
        return self.gov.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT).record

    def open_record(self, rid):
        return self.open.GetRecord(R.GetRecordRequest(record_id=rid), timeout=CALL_TIMEOUT).record


def common_of(version, code, catalogue=R.CATALOGUE_PUBLIC):
    for cat in version.catalogues:
        if cat.catalogue == catalogue:
            for d in cat.common:
                if d.code == code:
                    return d
    raise AssertionError("version %d has no common dimension %s" % (version.version, code))


def section_of(version, code, catalogue=R.CATALOGUE_PUBLIC):
    for cat in version.catalogues:
        if cat.catalogue == catalogue:
            for s in cat.sections:
                if s.code == code:
                    return s
    raise AssertionError("version %d has no section %s" % (version.version, code))


class CatalogueCase(InteropCase):
    """Assertions and the workflow's steps, for a node in self.node."""

    node = None

    def unit(self, who):
        return Unit(self.node.port, who)

    def assertStep(self, step, unit, t0, t1, positive=None, reasons=None):
        """A workflow step taken by `unit` between our clock readings t0 and t1."""
        self.assertEqual(step.unit, unit, step)
        self.assertTrue(step.HasField("at"), "step %s has no time" % step)
        self.assertGreaterEqual(step.at.seconds, int(t0) - CLOCK_SLACK, step)
        self.assertLessEqual(step.at.seconds, int(t1) + CLOCK_SLACK, step)
        if positive is not None:
            self.assertEqual(step.positive, positive, step)
        if reasons is not None:
            self.assertEqual(step.reasons, reasons, step)

    def assertState(self, cr, state):
        self.assertEqual(C.ChangeState.Name(cr.state), C.ChangeState.Name(state), cr)

    def assertCreated(self, resp, count=1):
        self.assertEqual(len(resp.results), count, resp)
        for i, res in enumerate(resp.results):
            self.assertEqual(R.PushOutcome.Name(res.outcome), "PUSH_OUTCOME_CREATED", "result %d: %s" % (i, res))
        return [res.record_id for res in resp.results]

    def assertRejected(self, resp, field, *words):
        """A one-record batch whose record is PUSH_OUTCOME_REJECTED with INVALID_ARGUMENT on `field`, the
        reason holding every one of `words`. Returns the reason."""
        self.assertEqual(len(resp.results), 1, resp)
        res = resp.results[0]
        self.assertEqual(R.PushOutcome.Name(res.outcome), "PUSH_OUTCOME_REJECTED", res)
        self.assertEqual(res.code, SC.INVALID_ARGUMENT.value[0], res)
        self.assertEqual(res.field, field, res)
        self.assertEqual(res.record_id, "", res)
        self.assertEqual((resp.accepted, resp.rejected), (0, 1), resp)
        for w in words:
            self.assertIn(w, res.reason, "reason %r should name %r" % (res.reason, w))
        return res.reason

    def file_and_pass(self, req, filer="tax"):
        """Files `req` as `filer` and has the office pass its review. Returns the request id."""
        with self.unit(filer) as u:
            cr = u.propose(req)
        self.assertState(cr, C.CHANGE_STATE_FILED)
        with self.unit("office") as o:
            self.assertState(o.review(cr.id, True), C.CHANGE_STATE_REVIEW_PASSED)
        return cr.id

    def approve(self, req, effective_at=None):
        """Files, passes and approves `req`; returns the approved ChangeRequest."""
        cid = self.file_and_pass(req)
        with self.unit("office") as o:
            cr = o.decide(cid, True, effective_at=effective_at)
        self.assertState(cr, C.CHANGE_STATE_APPROVED)
        return cr


class OwnNodeCase(CatalogueCase):
    """A node for each test, which changes its catalogue (stopped with exit status 0)."""

    def setUp(self):
        self.node = Node(name=type(self).__name__)

    def tearDown(self):
        self.node.stop()


class SharedNodeCase(CatalogueCase, harness.SharedNodeCase):
    """One node for the whole class (started in setUpClass, stopped with exit status 0)."""


# --- 1. Reading --------------------------------------------------------------------------------

class ReadingTests(SharedNodeCase):

    def test_list_versions_shows_version_1_in_force_approved_by_seed(self):
        with self.unit("office") as o:
            resp = o.versions()
        self.assertEqual(resp.in_force, 1, resp)
        self.assertEqual(len(resp.versions), 1, resp)
        v = resp.versions[0]
        self.assertEqual((v.version, v.approved_by, v.change_request_id, v.in_force),
                         (1, "seed", "", True), v)
        self.assertTrue(v.summary.strip(), v)
        self.assertTrue(v.HasField("approved_at"), v)
        self.assertLessEqual(v.effective_at.seconds, int(time.time()), v)

    def test_get_version_0_and_1_return_the_six_catalogues_public_with_18_sections(self):
        with self.unit("office") as o:
            current, first = o.version(0), o.version(1)
        self.assertEqual(current, first, "version 0 is the version in force, which is 1")
        self.assertEqual(first.version, 1)
        self.assertEqual(first.approved_by, "seed")
        kinds = [c.catalogue for c in first.catalogues]
        self.assertEqual(sorted(kinds), [R.CATALOGUE_PUBLIC, R.CATALOGUE_SERVICE_UNIT,
                                         R.CATALOGUE_ASSOCIATION, R.CATALOGUE_VOLUNTARY,
                                         R.CATALOGUE_INDUSTRIAL, R.CATALOGUE_FINANCE])
        public = [c for c in first.catalogues if c.catalogue == R.CATALOGUE_PUBLIC][0]
        self.assertEqual(public.input_message, "credit.v1.PublicRecordInput")
        self.assertEqual(len(public.sections), 18, [s.code for s in public.sections])
        self.assertEqual({s.code for s in public.sections},
                         {n[len("CATEGORY_"):] for n in R.Category.keys()
                          if n != "CATEGORY_UNSPECIFIED"})
        penalty = section_of(first, "PENALTY")
        self.assertEqual(penalty.body, "penalty")
        self.assertEqual({(p.severity, p.min_months, p.max_months) for p in penalty.publicity},
                         {(R.SEVERITY_MINOR, 0, 3), (R.SEVERITY_GENERAL, 3, 12), (R.SEVERITY_SERIOUS, 12, 36)})
        self.assertIn("market", penalty.responsible_units)
        self.assertIn("tax", penalty.responsible_units)
        codes = {d.code: d for d in penalty.dimensions}
        self.assertEqual((codes["remarks"].field, codes["remarks"].tier),
                         ("penalty.remarks", C.TIER_OPEN))
        self.assertEqual((codes["fine_amount_fen"].type, codes["fine_amount_fen"].tier),
                         (C.VALUE_TYPE_AMOUNT_FEN, C.TIER_OPEN))

    def test_get_version_of_a_version_that_does_not_exist_is_not_found(self):
        with self.unit("office") as o:
            self.assertRpcFails(SC.NOT_FOUND, o.cat.GetVersion, C.GetVersionRequest(version=99),
                                contains="99")
            self.assertRpcFails(SC.NOT_FOUND, o.cat.GetVersion, C.GetVersionRequest(version=2))

    def test_every_registered_unit_kind_can_read_the_catalogue(self):
        units = harness.demo_units()
        self.assertIn("UNIT_KIND_FINANCE", {kind for _, kind, _, _ in units})
        for code, kind, _, _ in units:
            with self.subTest(unit=code, kind=kind), self.unit(code) as u:
                self.assertEqual(u.versions().in_force, 1)
                self.assertEqual(u.version(1).version, 1)
                u.changes()

    def test_server_reflection_lists_catalogue_governance_and_its_file(self):
        reqs = [refl_pb2.ServerReflectionRequest(list_services=""),
                refl_pb2.ServerReflectionRequest(
                    file_containing_symbol="credit.v1.CatalogueGovernance")]
        with harness.channel(self.node.port) as ch:
            resps = list(refl_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
                iter(reqs), timeout=CALL_TIMEOUT))
        self.assertEqual(len(resps), 2)
        names = {s.name for s in resps[0].list_services_response.service}
        self.assertIn("credit.v1.CatalogueGovernance", names)
        self.assertEqual(resps[1].WhichOneof("message_response"), "file_descriptor_response",
                         resps[1])
        first = descriptor_pb2.FileDescriptorProto()
        first.ParseFromString(resps[1].file_descriptor_response.file_descriptor_proto[0])
        self.assertEqual(first.name, "credit/v1/catalogue.proto")
        self.assertIn("CatalogueGovernance", [s.name for s in first.service])


# --- 2. The workflow and its permissions ------------------------------------------------------

    def test_the_served_catalogue_states_the_rules_the_checker_enforces(self):
        with self.unit("bank-a") as u:
            v = u.version(0)
        for cat in (R.CATALOGUE_PUBLIC, R.CATALOGUE_SERVICE_UNIT, R.CATALOGUE_ASSOCIATION,
                    R.CATALOGUE_VOLUNTARY):
            with self.subTest(catalogue=R.Catalogue.Name(cat)):
                rep = common_of(v, "legal_representative", cat)
                self.assertFalse(rep.required, rep)
                self.assertEqual([(c.field, list(c.equals)) for c in rep.required_when],
                                 [("subject.kind", ["SUBJECT_KIND_LEGAL_PERSON"])], rep)
                id_type = common_of(v, "legal_representative_id_type", cat)
                self.assertEqual([(c.field, list(c.equals)) for c in id_type.required_when],
                                 [("subject.legal_representative_id_number", [])], id_type)
                occurred = common_of(v, "occurred_at", cat)
                self.assertEqual((occurred.field, occurred.type, occurred.required),
                                 ("occurred_at", C.VALUE_TYPE_TIMESTAMP, True), occurred)
        fine = section_of(v, "PENALTY").dimensions
        fine = [d for d in fine if d.code == "fine_amount_fen"][0]
        self.assertTrue(fine.HasField("minimum") and fine.minimum.value == 0, fine)
        self.assertFalse(fine.HasField("maximum"), fine)
        kwh = [d for d in section_of(v, "ENERGY_USE", R.CATALOGUE_INDUSTRIAL).dimensions
               if d.code == "electricity_kwh"][0]
        self.assertTrue(kwh.HasField("minimum") and kwh.minimum.value == 0, kwh)

    def test_a_legal_person_without_representative_is_refused_as_the_catalogue_says(self):
        rec = penalty_input(fresh_src("no-rep"))
        rec.subject.legal_representative = ""
        with self.unit("market") as m:
            self.assertRejected(m.push(rec), "subject.legal_representative",
                                "required when subject.kind is SUBJECT_KIND_LEGAL_PERSON",
                                "catalogue version 1")
        rec.subject.kind = R.SUBJECT_KIND_INDIVIDUAL_BUSINESS
        rec.subject.identifier = "92310115183FQEFL3W"  # an individual business's USCC: type 92
        with self.unit("market") as m:
            self.assertCreated(m.push(rec))


class WorkflowTests(SharedNodeCase):
    """Nothing here approves a change: the node stays at version 1."""

    def new_code(self, prefix="wf"):
        return "%s_%d" % (prefix, _fresh.number())

    def test_propose_by_a_finance_unit_or_a_subject_is_denied_naming_the_government_kinds(self):
        with self.unit("office") as o:
            before = len(o.changes())
        for who in ("bank-a", "subj-acme", "portal"):
            with self.subTest(unit=who), self.unit(who) as u:
                self.assertRpcFails(SC.PERMISSION_DENIED, u.cat.ProposeChange,
                                    add_change(dimension(self.new_code())),
                                    contains=GOVERNMENT_KINDS + (who,))
        with self.unit("office") as o:
            self.assertEqual(len(o.changes()), before, "a refused proposal filed something")

    def test_propose_by_a_department_files_a_cr_request_based_on_the_newest_version(self):
        req = add_change(dimension(self.new_code("filed")))
        t0 = time.time()
        with self.unit("tax") as t:
            cr = t.propose(req)
            got = t.change(cr.id)
        t1 = time.time()
        self.assertRegex(cr.id, CHANGE_ID_RE)
        self.assertState(cr, C.CHANGE_STATE_FILED)
        self.assertEqual(cr.based_on_version, 1)
        self.assertEqual((cr.catalogue, cr.section, cr.kind, cr.dimension_code),
                         (R.CATALOGUE_PUBLIC, "PENALTY", C.CHANGE_KIND_ADD_DIMENSION, req.dimension.code))
        self.assertEqual(cr.dimension, req.dimension)
        self.assertEqual(cr.justification, req.justification)
        self.assertStep(cr.filed, "tax", t0, t1)
        self.assertFalse(cr.HasField("review"), cr)
        self.assertFalse(cr.HasField("decision"), cr)
        self.assertEqual(cr.resulting_version, 0)
        self.assertEqual(got, cr, "GetChange returns the request as filed")

    def test_propose_without_justification_is_invalid_argument(self):
        with self.unit("tax") as t:
            for text in ("", "  \u3000 "):
                with self.subTest(justification=text):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, t.cat.ProposeChange,
                                        C.ProposeChangeRequest(
                                            catalogue=R.CATALOGUE_PUBLIC, section="PENALTY",
                                            kind=C.CHANGE_KIND_ADD_DIMENSION,
                                            dimension=dimension(self.new_code()),
                                            justification=text),
                                        contains="justification")

    def test_propose_add_of_an_existing_code_is_already_exists(self):
        with self.unit("tax") as t:
            self.assertRpcFails(SC.ALREADY_EXISTS, t.cat.ProposeChange,
                                add_change(dimension("remarks", field="")),
                                contains="remarks")

    def test_propose_change_or_remove_of_an_unknown_code_is_not_found(self):
        with self.unit("tax") as t:
            self.assertRpcFails(SC.NOT_FOUND, t.cat.ProposeChange,
                                change_change(dimension("no_such_dimension")),
                                contains=("dimension_code", "no_such_dimension"))
            self.assertRpcFails(SC.NOT_FOUND, t.cat.ProposeChange,
                                remove_change("no_such_dimension"),
                                contains=("dimension_code", "no_such_dimension"))

    def test_propose_to_an_unknown_section_is_not_found(self):
        with self.unit("tax") as t:
            self.assertRpcFails(SC.NOT_FOUND, t.cat.ProposeChange,
                                add_change(dimension(self.new_code()), section="NO_SUCH_SECTION"),
                                contains=("section", "NO_SUCH_SECTION"))

    def test_propose_add_with_a_bad_field_path_is_invalid_argument_naming_the_field(self):
        code = self.new_code("bad_path")
        with self.unit("tax") as t:
            self.assertRpcFails(SC.INVALID_ARGUMENT, t.cat.ProposeChange,
                                add_change(dimension(code, field="penalty.no_such_field")),
                                contains=("field", "no_such_field", "PENALTY", code))

    def test_propose_with_a_bad_rule_is_invalid_argument_naming_the_dimension(self):
        with self.unit("office") as o:
            doc = o.dimension_of("decision_document_number")
            fine = o.dimension_of("fine_amount_fen")
        bad_pattern = C.Dimension()
        bad_pattern.CopyFrom(doc)
        bad_pattern.pattern = "[A-Z"
        unknown_field = C.Dimension()
        unknown_field.CopyFrom(doc)
        unknown_field.required = False
        unknown_field.required_when.add(field="subject.no_such_field")
        text_bound = C.Dimension()
        text_bound.CopyFrom(doc)
        text_bound.maximum.value = 10
        fraction = C.Dimension()
        fraction.CopyFrom(fine)
        fraction.maximum.value = 0.5
        with self.unit("tax") as t:
            for dim, words in ((bad_pattern, ("decision_document_number", "pattern")),
                               (unknown_field, ("decision_document_number", "no_such_field")),
                               (text_bound, ("decision_document_number", "for numbers")),
                               (fraction, ("fine_amount_fen", "whole number"))):
                with self.subTest(words=words):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, t.cat.ProposeChange,
                                        change_change(dim), contains=words)

    def test_review_by_a_department_is_permission_denied_naming_office(self):
        with self.unit("tax") as t:
            cr = t.propose(add_change(dimension(self.new_code())))
            self.assertRpcFails(SC.PERMISSION_DENIED, t.cat.ReviewChange,
                                C.ReviewChangeRequest(id=cr.id, reasons="looks fine",
                                                      passed=True),
                                contains="UNIT_KIND_OFFICE")
            self.assertRpcFails(SC.PERMISSION_DENIED, t.cat.DecideChange,
                                C.DecideChangeRequest(id=cr.id, approve=True, reasons="yes"),
                                contains="UNIT_KIND_OFFICE")
            self.assertState(t.change(cr.id), C.CHANGE_STATE_FILED)

    def test_review_by_the_office_without_reasons_is_invalid_argument(self):
        with self.unit("tax") as t:
            cr = t.propose(add_change(dimension(self.new_code())))
        with self.unit("office") as o:
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.cat.ReviewChange,
                                C.ReviewChangeRequest(id=cr.id, reasons="", passed=True),
                                contains="reasons")
            self.assertState(o.change(cr.id), C.CHANGE_STATE_FILED)

    def test_deciding_a_filed_request_is_failed_precondition(self):
        with self.unit("tax") as t:
            cr = t.propose(add_change(dimension(self.new_code())))
        with self.unit("office") as o:
            for approve in (True, False):
                with self.subTest(approve=approve):
                    self.assertRpcFails(SC.FAILED_PRECONDITION, o.cat.DecideChange,
                                        C.DecideChangeRequest(id=cr.id, approve=approve,
                                                              reasons="too early"),
                                        contains=(cr.id, "CHANGE_STATE_FILED"))
            self.assertState(o.change(cr.id), C.CHANGE_STATE_FILED)

    def test_a_failed_review_is_final_and_keeps_the_office_and_its_reasons(self):
        reasons = "缺少法律依据 no legal basis given (interop test)"
        t0 = time.time()
        with self.unit("market") as m:
            cr = m.propose(add_change(dimension(self.new_code())))
        with self.unit("office") as o:
            failed = o.review(cr.id, False, reasons)
            t1 = time.time()
            self.assertState(failed, C.CHANGE_STATE_REVIEW_FAILED)
            self.assertStep(failed.filed, "market", t0, t1)
            self.assertStep(failed.review, "office", t0, t1, positive=False, reasons=reasons)
            self.assertEqual(o.change(cr.id), failed)
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.cat.DecideChange,
                                C.DecideChangeRequest(id=cr.id, approve=True, reasons="approve"),
                                contains=(cr.id, "CHANGE_STATE_REVIEW_FAILED"))
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.cat.ReviewChange,
                                C.ReviewChangeRequest(id=cr.id, reasons="again", passed=True),
                                contains=(cr.id, "CHANGE_STATE_REVIEW_FAILED"))
            self.assertEqual(o.change(cr.id), failed, "a refused step changed the request")

    def test_review_pass_then_rejection_is_final_and_makes_no_new_version(self):
        with self.unit("office") as o:
            versions_before = o.versions()
        t0 = time.time()
        with self.unit("tax") as t:
            cr = t.propose(add_change(dimension(self.new_code("rejected"))))
        with self.unit("office") as o:
            passed = o.review(cr.id, True, "合规 compliant")
            self.assertState(passed, C.CHANGE_STATE_REVIEW_PASSED)
            rejected = o.decide(cr.id, False, "暂不需要 not needed now")
            t1 = time.time()
            self.assertState(rejected, C.CHANGE_STATE_REJECTED)
            self.assertStep(rejected.filed, "tax", t0, t1)
            self.assertStep(rejected.review, "office", t0, t1, positive=True,
                            reasons="合规 compliant")
            self.assertStep(rejected.decision, "office", t0, t1, positive=False,
                            reasons="暂不需要 not needed now")
            self.assertLessEqual(rejected.filed.at.ToNanoseconds(),
                                 rejected.review.at.ToNanoseconds())
            self.assertLessEqual(rejected.review.at.ToNanoseconds(),
                                 rejected.decision.at.ToNanoseconds())
            self.assertEqual(rejected.resulting_version, 0)
            self.assertFalse(rejected.HasField("effective_at"), rejected)
            self.assertEqual(o.change(cr.id), rejected)
            self.assertEqual(o.versions(), versions_before, "a rejection made a version")
            self.assertRpcFails(SC.NOT_FOUND, o.cat.GetVersion, C.GetVersionRequest(version=2))
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.cat.DecideChange,
                                C.DecideChangeRequest(id=cr.id, approve=True, reasons="again"),
                                contains=cr.id)

    def test_get_change_of_an_unknown_id_is_not_found_and_of_a_malformed_id_invalid(self):
        with self.unit("bank-a") as b:
            self.assertRpcFails(SC.NOT_FOUND, b.cat.GetChange,
                                C.GetChangeRequest(id="CR-999999"), contains="CR-999999")
            # One id per request: "CR-0000001" is not another name of CR-000001.
            for bad in ("", "CR-", "CR-12x", "cr-000001", "CR-000000", "42", "CR-0000001",
                        "CR-00001"):
                with self.subTest(id=bad):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, b.cat.GetChange,
                                        C.GetChangeRequest(id=bad), contains="id")

    def test_list_changes_lists_requests_oldest_first_and_filters_by_state(self):
        with self.unit("tax") as t:
            ids = [t.propose(add_change(dimension(self.new_code("list")))).id for _ in range(3)]
        with self.unit("office") as o:
            o.review(ids[1], False, "不合规 not compliant")
            o.review(ids[2], True, "合规 compliant")
            every = [c.id for c in o.changes()]
            self.assertEqual([i for i in every if i in ids], ids, "not oldest first: %s" % every)
            self.assertEqual(every, sorted(every, key=lambda i: int(i[3:])),
                             "ListChanges is not in filing order")
            want = {ids[0]: C.CHANGE_STATE_FILED, ids[1]: C.CHANGE_STATE_REVIEW_FAILED,
                    ids[2]: C.CHANGE_STATE_REVIEW_PASSED}
            for state in (C.CHANGE_STATE_FILED, C.CHANGE_STATE_REVIEW_FAILED, C.CHANGE_STATE_REVIEW_PASSED,
                          C.CHANGE_STATE_APPROVED, C.CHANGE_STATE_REJECTED):
                with self.subTest(state=C.ChangeState.Name(state)):
                    got = o.changes(state)
                    self.assertEqual({c.state for c in got} - {state}, set())
                    self.assertEqual({c.id for c in got if c.id in ids},
                                     {i for i, s in want.items() if s == state})
                    listed = [c.id for c in got]
                    self.assertEqual(listed, [i for i in every if i in set(listed)])
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.cat.ListChanges,
                                C.ListChangesRequest(state=99), contains="state")


# --- 3. A dimension added, then used -----------------------------------------------------------

class AddedDimensionTest(OwnNodeCase):

    def test_an_extra_dimension_is_refused_before_approval_then_accepted_stored_and_shown(self):
        rectified = R.ExtraValue(date=harness.pdate(harness.recent_day(5)))
        rec = penalty_input(fresh_src("add-extra"), extra={"rectified_on": rectified})
        as_text = penalty_input(fresh_src("add-text"),
                                extra={"rectified_on": R.ExtraValue(text="2024-05-01")})
        dim = dimension("rectified_on", field="", type=C.VALUE_TYPE_DATE, tier=C.TIER_OPEN,
                        name="整改完成日期 rectified on")
        cid = self.file_and_pass(add_change(dim))
        with self.unit("market") as m:
            self.assertRejected(m.push(rec), "extra.rectified_on", "catalogue version 1")
        t0 = time.time()
        with self.unit("office") as o:
            cr = o.decide(cid, True)
            t1 = time.time()
            self.assertState(cr, C.CHANGE_STATE_APPROVED)
            self.assertEqual(cr.resulting_version, 2)
            self.assertStep(cr.decision, "office", t0, t1, positive=True)
            self.assertTrue(cr.HasField("effective_at"), cr)
            self.assertLessEqual(cr.effective_at.seconds, int(t1) + CLOCK_SLACK)
            versions = o.versions()
            self.assertEqual(versions.in_force, 2, versions)
            self.assertEqual([(v.version, v.in_force) for v in versions.versions],
                             [(1, False), (2, True)])
            v2 = versions.versions[1]
            self.assertEqual((v2.approved_by, v2.change_request_id), ("office", cid), v2)
            self.assertIn("rectified_on", v2.summary)
            self.assertEqual(o.dimension_of("rectified_on", number=2), dim)
            self.assertEqual(o.version(0).version, 2)
            self.assertEqual(o.change(cid), cr)
        with self.unit("market") as m:
            (rid,) = self.assertCreated(m.push(rec))
            self.assertRejected(m.push(as_text), "extra.rectified_on", "date", "VALUE_TYPE_DATE")
        for who, tier in (("office", "gov"), ("portal", "open"), ("bank-a", "open")):
            with self.subTest(unit=who, tier=tier), self.unit(who) as u:
                got = u.gov_record(rid) if tier == "gov" else u.open_record(rid)
                self.assertEqual(got.meta.catalogue_version, 2, got.meta)
                self.assertEqual(got.meta.source_record_id, rec.source_record_id)
                self.assertEqual(set(got.extra.keys()), {"rectified_on"}, got)
                self.assertEqual(got.extra["rectified_on"], rectified)
                self.assertEqual(got.penalty.decision_document_number,
                                 rec.penalty.decision_document_number)


# --- 4. A dimension removed, then refused ------------------------------------------------------

class RemovedDimensionTest(OwnNodeCase):

    def test_a_removed_dimension_is_refused_in_pushes_and_hidden_from_the_open_tier(self):
        uscc = fresh_uscc()
        earlier = penalty_input(fresh_src("rm-earlier"), uscc, remarks="已整改 put right")
        with self.unit("market") as m:
            (old_id,) = self.assertCreated(m.push(earlier))
        with self.unit("portal") as p:
            self.assertEqual(p.open_record(old_id).penalty.remarks, "已整改 put right",
                             "version 1: remarks is an open dimension")
        cr = self.approve(remove_change("remarks"))
        self.assertEqual(cr.resulting_version, 2)
        with self.unit("office") as o:
            self.assertEqual(o.versions().in_force, 2)
            self.assertNotIn("remarks", {d.code for d in section_of(o.version(2), "PENALTY")
                                         .dimensions})
        with_remarks = penalty_input(fresh_src("rm-with"), uscc, remarks="备注 a remark")
        without = penalty_input(fresh_src("rm-without"), uscc)
        with self.unit("market") as m:
            self.assertRejected(m.push(with_remarks), "penalty.remarks", "catalogue version 2")
            (new_id,) = self.assertCreated(m.push(without))
        with self.unit("office") as o:
            self.assertEqual(o.gov_record(new_id).meta.catalogue_version, 2)
            kept = o.gov_record(old_id)
            self.assertEqual(kept.penalty.remarks, "已整改 put right",
                             "the government tier still shows the stored value")
            self.assertEqual(kept.meta.catalogue_version, 1)
        for who in ("portal", "bank-a"):
            with self.subTest(unit=who), self.unit(who) as u:
                shown = u.open_record(old_id)
                self.assertEqual(shown.penalty.remarks, "",
                                 "the open tier shows a value that is no dimension any more")
                self.assertEqual(shown.penalty.decision_document_number,
                                 earlier.penalty.decision_document_number)
                self.assertEqual(shown.penalty.fine_amount_fen, earlier.penalty.fine_amount_fen)
                listed = u.open.ListRecords(
                    R.ListRecordsRequest(subject=R.SubjectRef(kind=R.SUBJECT_KIND_LEGAL_PERSON,
                                                              identifier=uscc)),
                    timeout=CALL_TIMEOUT).records
                self.assertEqual({r.meta.record_id for r in listed}, {old_id, new_id})
                self.assertEqual({r.penalty.remarks for r in listed}, {""})


class BoundChangeTest(OwnNodeCase):

    def test_an_approved_maximum_rejects_larger_values_naming_the_version_until_cleared(self):
        with self.unit("market") as m:
            self.assertCreated(m.push(penalty_input(fresh_src("max-before"), fine=1000001)))
        with self.unit("office") as o:
            dim = o.dimension_of("fine_amount_fen")
        dim.maximum.value = 1000000
        self.assertEqual(self.approve(change_change(dim)).resulting_version, 2)
        with self.unit("office") as o:
            shown = o.dimension_of("fine_amount_fen")
            self.assertEqual((shown.minimum.value, shown.maximum.value), (0, 1000000))
        with self.unit("market") as m:
            self.assertRejected(m.push(penalty_input(fresh_src("max-above"), fine=1000001)),
                                "penalty.fine_amount_fen",
                                "1000001 is above the maximum 1000000", "catalogue version 2")
            self.assertRejected(m.push(penalty_input(fresh_src("max-neg"), fine=-1)),
                                "penalty.fine_amount_fen", "below the minimum 0",
                                "catalogue version 2")
            self.assertCreated(m.push(penalty_input(fresh_src("max-at"), fine=1000000)))
        # A change clears it as it set it.
        dim.ClearField("maximum")
        self.assertEqual(self.approve(change_change(dim)).resulting_version, 3)
        with self.unit("market") as m:
            self.assertCreated(m.push(penalty_input(fresh_src("max-after"), fine=1000001)))


class StreamAcrossVersionsTest(OwnNodeCase):

    def test_a_stream_is_checked_under_the_version_in_force_at_its_half_close(self):
        """The node checks a streamed record as its message arrives (while the client sends the
        next); a version that takes effect before the client half-closes has the stream's
        records checked again under it, as its README says."""
        with self.unit("office") as o:
            dim = o.dimension_of("fine_amount_fen")
        dim.maximum.value = 1000000
        cid = self.file_and_pass(change_change(dim))
        with self.unit("office") as o:
            effective = int(time.time()) + EFFECT_DELAY
            self.assertEqual(o.decide(cid, True, effective_at=effective).resulting_version, 2)
        above = penalty_input(fresh_src("stream-above"), fine=1000001)
        within = penalty_input(fresh_src("stream-within"), fine=1000000)
        sent = {}

        def records():
            yield above
            yield within
            sent["at"] = time.time()
            # Half-close only once version 2 is in force.
            while time.time() < effective + 1:
                time.sleep(0.1)

        with self.unit("market") as m:
            resp = m.collect.Push(records(), timeout=EFFECT_POLL + EFFECT_DELAY)
        if sent["at"] >= effective:
            harness.observe("stream across versions: the records were sent too late "
                            "(%.1f s after the change took effect)" % (sent["at"] - effective))
        self.assertEqual(len(resp.results), 2, resp)
        first, second = resp.results
        self.assertEqual(R.PushOutcome.Name(first.outcome), "PUSH_OUTCOME_REJECTED", first)
        self.assertEqual(first.field, "penalty.fine_amount_fen", first)
        self.assertIn("above the maximum 1000000", first.reason)
        self.assertIn("catalogue version 2", first.reason)
        self.assertEqual(R.PushOutcome.Name(second.outcome), "PUSH_OUTCOME_CREATED", second)
        with self.unit("office") as o:
            self.assertEqual(o.gov_record(second.record_id).meta.catalogue_version, 2)


# --- 5. A tier change taking effect at its time -----------------------------------------------

class TierChangeTest(OwnNodeCase):

    def test_a_tier_change_takes_effect_at_its_time_and_effective_times_are_checked(self):
        rec = penalty_input(fresh_src("tier"), fine=123400)
        with self.unit("market") as m:
            (rid,) = self.assertCreated(m.push(rec))
        with self.unit("office") as o:
            dim = o.dimension_of("fine_amount_fen")
        dim.tier = C.TIER_GOVERNMENT
        cid = self.file_and_pass(change_change(dim))
        # A second request, ready for deliberation, for the effective times that are refused.
        other = self.file_and_pass(add_change(dimension("tier_test_note")))
        with self.unit("office") as o:
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.cat.DecideChange,
                                C.DecideChangeRequest(
                                    id=cid, approve=True, reasons="an hour ago",
                                    effective_at=timestamp_pb2.Timestamp(
                                        seconds=int(time.time()) - 3600)),
                                contains="effective_at")
            self.assertState(o.change(cid), C.CHANGE_STATE_REVIEW_PASSED)
            effective = int(time.time()) + EFFECT_DELAY
            cr = o.decide(cid, True, effective_at=effective)
            self.assertState(cr, C.CHANGE_STATE_APPROVED)
            self.assertEqual((cr.resulting_version, cr.effective_at.seconds), (2, effective))
            # Before its time: version 1 stays in force.
            versions = o.versions()
            shown = o.version(0).version
        with self.unit("portal") as p:
            fine_open = p.open_record(rid).penalty.fine_amount_fen
        with self.unit("market") as m:
            (early_id,) = self.assertCreated(m.push(penalty_input(fresh_src("tier-early"))))
        still_early = time.time() < effective
        if still_early:
            self.assertEqual(versions.in_force, 1, versions)
            self.assertEqual([(v.version, v.in_force) for v in versions.versions],
                             [(1, True), (2, False)])
            self.assertEqual(versions.versions[1].effective_at.seconds, effective)
            self.assertEqual(shown, 1)
            self.assertEqual(fine_open, 123400, "the open tier lost the fine before its time")
        else:
            harness.observe("tier change: the checks before the effective time ran too late"
                            " (%.1f s after it)" % (time.time() - effective))
        with self.unit("office") as o:
            # Versions take effect in order: an approval may not take effect before version 2.
            self.assertRpcFails(SC.INVALID_ARGUMENT, o.cat.DecideChange,
                                C.DecideChangeRequest(
                                    id=other, approve=True, reasons="before version 2",
                                    effective_at=timestamp_pb2.Timestamp(
                                        seconds=effective - 2)),
                                contains=("effective_at", "version 2"))
            self.assertState(o.change(other), C.CHANGE_STATE_REVIEW_PASSED)
            if still_early:
                self.assertEqual(o.gov_record(early_id).meta.catalogue_version, 1,
                                 "a record pushed before the change took effect names the"
                                 " version then in force")
        # After its time: the open tier no longer shows the fine; the government tier does.
        deadline = time.monotonic() + EFFECT_POLL
        with self.unit("portal") as p:
            while True:
                fine_open = p.open_record(rid).penalty.fine_amount_fen
                if fine_open == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
        self.assertEqual(fine_open, 0, "the open tier still shows the fine %.1f s after the"
                         " change took effect" % (time.time() - effective))
        self.assertGreaterEqual(time.time(), effective - 1, "the change took effect early")
        with self.unit("office") as o:
            self.assertEqual(o.gov_record(rid).penalty.fine_amount_fen, 123400)
            versions = o.versions()
            self.assertEqual(versions.in_force, 2, versions)
            self.assertEqual([(v.version, v.in_force) for v in versions.versions],
                             [(1, False), (2, True)])
            self.assertEqual(o.version(0).version, 2)


# --- 6. An approval that no longer applies -----------------------------------------------------

class StaleApprovalTest(OwnNodeCase):

    def test_approving_a_request_overtaken_by_a_conflicting_approval_is_failed_precondition(self):
        first = self.file_and_pass(add_change(dimension("inspection_note", name="第一 first")))
        second = self.file_and_pass(add_change(dimension("inspection_note", name="第二 second")))
        with self.unit("office") as o:
            self.assertEqual([o.change(i).based_on_version for i in (first, second)], [1, 1])
            cr = o.decide(first, True)
            self.assertEqual(cr.resulting_version, 2)
            self.assertRpcFails(SC.FAILED_PRECONDITION, o.cat.DecideChange,
                                C.DecideChangeRequest(id=second, approve=True, reasons="yes"),
                                contains=(second, "no longer applies", "inspection_note"))
            self.assertState(o.change(second), C.CHANGE_STATE_REVIEW_PASSED)
            versions = o.versions()
            self.assertEqual([v.version for v in versions.versions], [1, 2], versions)
            self.assertEqual(o.dimension_of("inspection_note").name, "第一 first")
            # Still open to deliberation: it can be rejected.
            self.assertState(o.decide(second, False, "superseded"), C.CHANGE_STATE_REJECTED)
        with self.unit("tax") as t:
            self.assertRpcFails(SC.ALREADY_EXISTS, t.cat.ProposeChange,
                                add_change(dimension("inspection_note")),
                                contains="inspection_note")
            self.assertEqual(t.propose(remove_change("inspection_note")).based_on_version, 2)


class EffectiveTimeTest(OwnNodeCase):

    def test_an_effective_time_a_moment_ago_means_the_approval_time(self):
        cid = self.file_and_pass(add_change(dimension("moment_ago")))
        t0 = time.time()
        with self.unit("office") as o:
            cr = o.decide(cid, True, effective_at=t0 - 30)
            self.assertState(cr, C.CHANGE_STATE_APPROVED)
            self.assertEqual(cr.effective_at, cr.decision.at, cr)
            v2 = o.cat.GetVersion(C.GetVersionRequest(version=2), timeout=CALL_TIMEOUT)
            self.assertEqual(v2.effective_at, v2.approved_at, v2)
            self.assertGreaterEqual(v2.effective_at.seconds, int(t0) - CLOCK_SLACK)

    def test_a_version_takes_effect_at_its_exact_instant_not_its_whole_second(self):
        """Approved to take effect at x.950 s, a version is not in force at x.101 s: the node
        compares at the precision the time was given in (it once compared whole seconds).
        The node and this test share a clock, so a reply that names the new version before
        the instant, by the client's clock after the reply came back, is early."""
        cid = self.file_and_pass(add_change(dimension("exact_instant")))
        whole = math.floor(time.time()) + 3
        eff = whole + 0.95
        in_last_second = 0
        with self.unit("office") as o:
            cr = o.decide(cid, True, effective_at=timestamp_pb2.Timestamp(seconds=whole,
                                                                          nanos=950000000))
            self.assertEqual(cr.effective_at.nanos, 950000000, cr)
            while True:
                t0 = time.time()
                v = o.version(0).version
                t1 = time.time()
                if v == 2:
                    self.assertGreaterEqual(t1, eff, "version 2 in force %.3f s early" % (eff - t1))
                else:
                    self.assertLess(t0, eff, "version 1 still in force %.3f s late" % (t0 - eff))
                if math.floor(eff) <= t0 and t1 < eff:
                    in_last_second += 1
                if t0 > eff + 0.2:
                    break
                time.sleep(0.01)
        self.assertGreater(in_last_second, 0, "no call fell between the whole second and the "
                           "effective instant, so the test proved nothing")

    def test_a_rejection_ignores_the_effective_time(self):
        cid = self.file_and_pass(add_change(dimension("rejected_late")))
        with self.unit("office") as o:
            cr = o.decide(cid, False, effective_at=time.time() - 3600)
            self.assertState(cr, C.CHANGE_STATE_REJECTED)
            self.assertFalse(cr.HasField("effective_at"), cr)


# --- 7. Persistence ----------------------------------------------------------------------------

class PersistenceTest(CatalogueCase):

    def test_versions_and_change_requests_survive_a_restart(self):
        self.node = first = Node(name="catalogue-persist-1")
        try:
            self.approve(add_change(dimension("persisted_note")))
            self.approve(change_change(dimension("persisted_note", tier=C.TIER_AUTHORIZED)),
                         effective_at=int(time.time()) + 3600)
            rejected = self.file_and_pass(remove_change("remarks"))
            with self.unit("office") as o:
                o.decide(rejected, False, "keep remarks")
            with self.unit("market") as m:
                fid = m.propose(add_change(dimension("persisted_failed"))).id
            with self.unit("office") as o:
                o.review(fid, False, "no")
            with self.unit("tax") as t:
                t.propose(add_change(dimension("persisted_filed")))
            with self.unit("bank-a") as b:
                before = (b.versions(), b.changes(), [b.version(n) for n in (1, 2, 3)])
        except BaseException:
            first.kill9()
            raise
        first.stop()
        self.assertEqual(before[0].in_force, 2)
        self.assertEqual(len(before[0].versions), 3)
        self.assertEqual([C.ChangeState.Name(c.state) for c in before[1]],
                         ["CHANGE_STATE_APPROVED", "CHANGE_STATE_APPROVED", "CHANGE_STATE_REJECTED",
                          "CHANGE_STATE_REVIEW_FAILED", "CHANGE_STATE_FILED"])
        self.node = Node(data=first.data, name="catalogue-persist-2")
        with self.node:
            with self.unit("bank-a") as b:
                after = (b.versions(), b.changes(), [b.version(n) for n in (1, 2, 3)])
            with self.unit("tax") as t:
                nxt = t.propose(add_change(dimension("persisted_after")))
        self.assertEqual(after[0], before[0])
        self.assertEqual(after[1], before[1])
        self.assertEqual(after[2], before[2])
        self.assertEqual(int(nxt.id[3:]), int(before[1][-1].id[3:]) + 1,
                         "a request filed after the restart reuses or skips an id")
        self.assertEqual(nxt.based_on_version, 3)


# --- 8. A seed file with a fault ---------------------------------------------------------------

SEED = os.path.join(harness.SOURCE_DIR, "proto", "catalogue.textproto")


class BadSeedTests(InteropCase):

    def args(self, catalogue):
        data = os.path.join(harness.new_dir("bad-seed"), "data")
        return ["--listen", "127.0.0.1:0", "--data", data, "--tls", harness.tls_dir(),
                "--catalogue", catalogue]

    def assertRefusesToStart(self, catalogue, *words):
        rc, out, err = harness.run_creditd(self.args(catalogue))
        self.assertEqual(rc, 2, "exit status %s; stdout %r; stderr %r" % (rc, out, err))
        self.assertNotIn("listening on", out)
        for w in words:
            self.assertIn(w, err, "stderr %r should name %r" % (err, w))
        return err

    def seed_with(self, old, new, after=None):
        """A copy of the seed with line `old` (stripped) replaced by `new`, the first such line
        after the line `after` (stripped). Returns (path, 1-based line number)."""
        with open(SEED, encoding="utf-8") as f:
            lines = f.read().split("\n")
        start = [k for k, l in enumerate(lines) if l.strip() == after][0] if after else -1
        i = [k for k, l in enumerate(lines) if k > start and l.strip() == old][0]
        lines[i] = lines[i].replace(old, new)
        path = os.path.join(harness.new_dir("seed"), "catalogue.textproto")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return path, i + 1

    def test_the_unchanged_seed_file_starts_a_node_at_version_1(self):
        with Node(extra=["--catalogue", SEED], name="good-seed") as node:
            with Unit(node.port, "office") as o:
                self.assertEqual(o.versions().in_force, 1)

    def test_a_field_path_that_does_not_resolve_exits_2_naming_the_file_and_entry(self):
        path, _ = self.seed_with('field: "penalty.remarks"', 'field: "penalty.no_such_field"')
        self.assertRefusesToStart(path, path, "catalogue PUBLIC", "section PENALTY",
                                  "dimension remarks", "no field", "no_such_field")

    def test_a_syntax_error_exits_2_naming_the_file_and_line(self):
        path, line = self.seed_with('code: "remarks"', 'code: "remarks',
                                    after='code: "PENALTY"')
        self.assertRefusesToStart(path, "%s:%d:" % (path, line), "unterminated string")

    def test_an_unreadable_catalogue_path_exits_2_naming_it(self):
        missing = os.path.join(harness.new_dir("seed"), "no-such-catalogue.textproto")
        self.assertRefusesToStart(missing, missing, "catalogue")
        directory = harness.new_dir("seed-dir")
        self.assertRefusesToStart(directory, directory, "not a regular file")


if __name__ == "__main__":
    unittest.main()
