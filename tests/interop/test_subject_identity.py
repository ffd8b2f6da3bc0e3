"""test_subject_identity.py: one subject, one key (issue 10, part 1), through python3-grpcio.

A unified social credit code (USCC) is one subject whatever kind a record says: its positions
1-2 give the kind (92 individual business, 5x social organisation, 12 public institution, the
rest legal persons), and another kind is INVALID_ARGUMENT on subject.kind. The older codes
(registration number, organisation code, tax number) are validated and put in their normal
spelling, and are aliases of the subject: a record stating a USCC with them binds them, a code
bound to one USCC is refused for another, a record naming only an older code is filed under
the USCC once the code is bound, and a query by any of the codes lists the whole subject, in
pages, whichever keys its records were filed under.

The organisation-code check is written here from ../shared/DOMAIN.md (GB 11714), not taken
from the server.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v \\
      test_subject_identity
"""

import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, PushAssertions, legal_subject, penalty_input

from credit.v1 import record_pb2 as R

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

_fresh = harness.Fresh(uscc_base=810000)
fresh_uscc = _fresh.uscc
fresh_src = _fresh.src
make_uscc = harness.make_uscc

FOUR_KINDS_USCC = "915002279XU7Y4A313"  # the issue's: an enterprise (91)
assert make_uscc(FOUR_KINDS_USCC[:16]) == FOUR_KINDS_USCC

ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def org_check(first8):
    """The GB 11714 check character of an organisation code's first 8 characters."""
    value = lambda c: int(c) if c.isdigit() else ord(c) - ord("A") + 10  # noqa: E731
    c = 11 - sum(value(ch) * w for ch, w in zip(first8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def org_of(uscc):
    """The organisation code inside a USCC: positions 9-17."""
    return uscc[8:17]


assert org_check(org_of(FOUR_KINDS_USCC)[:8]) == org_of(FOUR_KINDS_USCC)[8]


def fresh_org():
    """A valid organisation code no USCC of this module holds."""
    first8 = "7%07d" % _fresh.number()
    return first8 + org_check(first8)


def fresh_reg():
    """A 15-digit registration number."""
    return "500227%09d" % _fresh.number()


def full_width(s):
    """s in full-width forms (U+FF01..U+FF5E), as a Chinese input method types it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def subject(identifier, kind=R.SUBJECT_KIND_LEGAL_PERSON, **codes):
    s = legal_subject(identifier)
    s.kind = kind
    for k, v in codes.items():
        setattr(s, k, v)
    return s


def ref(identifier, kind=R.SUBJECT_KIND_LEGAL_PERSON):
    return R.SubjectRef(kind=kind, identifier=identifier)


class SubjectIdentityTests(harness.SharedNodeCase, PushAssertions):

    def push(self, *records):
        with harness.Stubs(self.node.port, "market") as c:
            return c.push(*records)

    def listed(self, identifier, kind=R.SUBJECT_KIND_LEGAL_PERSON, tier="gov", page_size=0):
        with harness.Stubs(self.node.port, "office") as c:
            return [r.meta.record_id for r in c.list_all(tier, ref(identifier, kind),
                                                         page_size=page_size)]

    def stored_subject(self, record_id):
        with harness.Stubs(self.node.port, "office") as c:
            return c.gov.GetRecord(R.GetRecordRequest(record_id=record_id),
                                   timeout=CALL_TIMEOUT).record.meta.subject

    def list_fails(self, code, identifier, kind, contains=()):
        with harness.Stubs(self.node.port, "office") as c:
            self.assertRpcFails(code, c.gov.ListRecords,
                                R.ListRecordsRequest(subject=ref(identifier, kind)),
                                timeout=CALL_TIMEOUT, contains=contains)

    # --- One USCC, one kind ----------------------------------------------------------------

    def test_one_uscc_is_one_subject_of_the_kind_its_type_gives(self):
        kinds = [R.SUBJECT_KIND_LEGAL_PERSON, R.SUBJECT_KIND_INDIVIDUAL_BUSINESS, R.SUBJECT_KIND_SOCIAL_ORGANISATION,
                 R.SUBJECT_KIND_PUBLIC_INSTITUTION]
        recs = [penalty_input(fresh_src("kinds"), subject(FOUR_KINDS_USCC, k)) for k in kinds]
        resp = self.push(*recs)
        self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED)
        for i in (1, 2, 3):
            self.assertRejected(resp.results[i], i, SC.INVALID_ARGUMENT, "subject.kind")
            self.assertIn("91", resp.results[i].reason)
            self.assertIn("SUBJECT_KIND_LEGAL_PERSON", resp.results[i].reason)
        self.assertEqual(self.listed(FOUR_KINDS_USCC), [resp.results[0].record_id])
        # A query's kind must fit the code too.
        for k in kinds[1:]:
            self.list_fails(SC.INVALID_ARGUMENT, FOUR_KINDS_USCC, k,
                            contains=("subject.kind", "SUBJECT_KIND_LEGAL_PERSON"))

    def test_each_organisation_type_takes_its_own_kind(self):
        cases = [("92", R.SUBJECT_KIND_INDIVIDUAL_BUSINESS), ("51", R.SUBJECT_KIND_SOCIAL_ORGANISATION),
                 ("52", R.SUBJECT_KIND_SOCIAL_ORGANISATION), ("53", R.SUBJECT_KIND_SOCIAL_ORGANISATION),
                 ("12", R.SUBJECT_KIND_PUBLIC_INSTITUTION), ("11", R.SUBJECT_KIND_LEGAL_PERSON), ("93", R.SUBJECT_KIND_LEGAL_PERSON)]
        for prefix, kind in cases:
            u = make_uscc("%s500227MA%06d" % (prefix, 900000 + _fresh.number()))
            wrong = R.SUBJECT_KIND_LEGAL_PERSON if kind != R.SUBJECT_KIND_LEGAL_PERSON else R.SUBJECT_KIND_INDIVIDUAL_BUSINESS
            resp = self.push(penalty_input(fresh_src("type"), subject(u, kind)),
                             penalty_input(fresh_src("type"), subject(u, wrong)))
            with self.subTest(prefix=prefix):
                self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED)
                self.assertRejected(resp.results[1], 1, SC.INVALID_ARGUMENT, "subject.kind")
                self.assertIn(prefix, resp.results[1].reason)
                self.assertEqual(self.listed(u, kind), [resp.results[0].record_id])

    # --- Spellings ---------------------------------------------------------------------------

    def test_variant_spellings_of_codes_are_normalised_or_rejected(self):
        u = fresh_uscc()
        org = org_of(u)
        reg = fresh_reg()
        # Normalised: full-width forms, lower case, the XXXXXXXX-X spelling.
        good = penalty_input(fresh_src("spell"), subject(
            full_width(u), registration_number=full_width(reg),
            organisation_code=(org[:8] + "-" + org[8]).lower(), tax_number=full_width(u)))
        # Rejected: a spaced or hyphenated code in any code field.
        spaced_tax = penalty_input(fresh_src("spell"), subject(
            u, tax_number=u[:6] + " " + u[6:]))
        hyphen_tax = penalty_input(fresh_src("spell"), subject(
            u, tax_number=u[:8] + "-" + u[8:]))
        spaced_reg = penalty_input(fresh_src("spell"), subject(
            u, registration_number=reg[:6] + " " + reg[6:]))
        usc_as_reg = penalty_input(fresh_src("spell"), subject(u, registration_number=u))
        spaced_org = penalty_input(fresh_src("spell"), subject(
            u, organisation_code=org[:4] + " " + org[4:]))
        spaced_id = penalty_input(fresh_src("spell"), subject(u[:8] + " " + u[8:]))
        resp = self.push(good, spaced_tax, hyphen_tax, spaced_reg, usc_as_reg, spaced_org,
                         spaced_id)
        self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED)
        for i, field in ((1, "subject.tax_number"), (2, "subject.tax_number"),
                         (3, "subject.registration_number"), (4, "subject.registration_number"),
                         (5, "subject.organisation_code"), (6, "subject.identifier")):
            self.assertRejected(resp.results[i], i, SC.INVALID_ARGUMENT, field)
        s = self.stored_subject(resp.results[0].record_id)
        self.assertEqual((s.identifier, s.registration_number, s.organisation_code,
                          s.tax_number), (u, reg, org, u))
        rid = resp.results[0].record_id
        for asked in (u, full_width(u), reg, org, org[:8] + "-" + org[8], org.lower()):
            with self.subTest(asked=asked):
                self.assertEqual(self.listed(asked), [rid])

    def test_tax_number_forms(self):
        u = fresh_uscc()
        tax15 = "500227" + org_of(u)
        person_tax = harness.REP_ID + "01"
        resp = self.push(
            penalty_input(fresh_src("tax"), subject(u, tax_number=tax15)),
            penalty_input(fresh_src("tax"), subject(u, tax_number="50022" + org_of(u))),
            penalty_input(fresh_src("tax"), subject(u, tax_number=fresh_uscc())),
            penalty_input(fresh_src("tax"), subject(u, tax_number=person_tax)))
        self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED)
        self.assertRejected(resp.results[1], 1, SC.INVALID_ARGUMENT, "subject.tax_number")
        self.assertRejected(resp.results[2], 2, SC.INVALID_ARGUMENT, "subject.tax_number")
        # A person's 20-character number is not a company's.
        self.assertRejected(resp.results[3], 3, SC.INVALID_ARGUMENT, "subject.tax_number")
        self.assertNotIn(harness.REP_ID, resp.results[3].reason)
        self.assertEqual(self.listed(tax15), [resp.results[0].record_id])

    # --- Older codes join the subject -----------------------------------------------------------

    def test_older_codes_are_aliases_of_one_subject_found_by_any(self):
        u, reg = fresh_uscc(), fresh_reg()
        org, tax15 = org_of(u), "500227" + org_of(u)
        # B names only the registration number, before any record binds it.
        b = self.push(penalty_input(fresh_src("B"), subject(reg, registration_number=reg)))
        self.assertResult(b.results[0], 0, R.PUSH_OUTCOME_CREATED)
        b_id = b.results[0].record_id
        self.assertEqual(self.listed(reg), [b_id])
        self.assertEqual(self.listed(u), [])
        # A states the USCC with its older codes: they are bound.
        a = self.push(penalty_input(fresh_src("A"), subject(
            u, registration_number=reg, organisation_code=org[:8] + "-" + org[8],
            tax_number=tax15)))
        self.assertResult(a.results[0], 0, R.PUSH_OUTCOME_CREATED)
        # C names only the organisation code (bound implicitly by the USCC); D the tax number.
        cd = self.push(penalty_input(fresh_src("C"), subject(org, organisation_code=org)),
                       penalty_input(fresh_src("D"), subject(tax15, tax_number=tax15)))
        self.assertResult(cd.results[0], 0, R.PUSH_OUTCOME_CREATED)
        self.assertResult(cd.results[1], 1, R.PUSH_OUTCOME_CREATED)
        want = sorted([b_id, a.results[0].record_id, cd.results[0].record_id,
                       cd.results[1].record_id])
        for asked in (u, reg, org, tax15):
            for tier in ("gov", "open"):
                with self.subTest(asked=asked, tier=tier):
                    self.assertEqual(self.listed(asked, tier=tier), want)

    def test_a_binding_earlier_in_the_same_batch_is_seen_by_later_records(self):
        u, reg = fresh_uscc(), fresh_reg()
        resp = self.push(
            penalty_input(fresh_src("batch"), subject(u, registration_number=reg)),
            # The code is now the enterprise's, a legal person: this kind contradicts it.
            penalty_input(fresh_src("batch"), subject(reg, R.SUBJECT_KIND_SOCIAL_ORGANISATION,
                                                      registration_number=reg)),
            penalty_input(fresh_src("batch"), subject(reg, registration_number=reg)),
            # Another USCC may not take the code bound a record earlier.
            penalty_input(fresh_src("batch"), subject(fresh_uscc(), registration_number=reg)))
        self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED)
        self.assertRejected(resp.results[1], 1, SC.INVALID_ARGUMENT, "subject.kind")
        self.assertIn(u, resp.results[1].reason)
        self.assertResult(resp.results[2], 2, R.PUSH_OUTCOME_CREATED)
        self.assertRejected(resp.results[3], 3, SC.FAILED_PRECONDITION,
                            "subject.registration_number")
        self.assertEqual(self.listed(u), sorted([resp.results[0].record_id,
                                                 resp.results[2].record_id]))

    def test_a_binding_earlier_in_a_push_stream_is_seen_by_later_records(self):
        u, reg = fresh_uscc(), fresh_reg()
        records = [
            penalty_input(fresh_src("stream"), subject(u, registration_number=reg)),
            penalty_input(fresh_src("stream"), subject(reg, R.SUBJECT_KIND_INDIVIDUAL_BUSINESS,
                                                       registration_number=reg)),
            penalty_input(fresh_src("stream"), subject(fresh_uscc(), registration_number=reg)),
        ]
        with harness.Stubs(self.node.port, "market") as c:
            resp = c.collect.Push(iter(records), timeout=CALL_TIMEOUT)
        self.assertResult(resp.results[0], 0, R.PUSH_OUTCOME_CREATED)
        self.assertRejected(resp.results[1], 1, SC.INVALID_ARGUMENT, "subject.kind")
        self.assertRejected(resp.results[2], 2, SC.FAILED_PRECONDITION,
                            "subject.registration_number")

    def test_a_correction_may_name_the_uscc_of_the_code_it_was_filed_under(self):
        u, reg = fresh_uscc(), fresh_reg()
        src = fresh_src("corr")
        first = self.push(penalty_input(src, subject(reg, registration_number=reg)))
        rid = first.results[0].record_id
        self.assertResult(first.results[0], 0, R.PUSH_OUTCOME_CREATED)

        def correct(subj, timeout=CALL_TIMEOUT):
            with harness.Stubs(self.node.port, "market") as c:
                return c.collect.Correct(R.CorrectRequest(
                    record_id=rid, reason="the USCC was found", record=penalty_input(src, subj)),
                    timeout=timeout)
        # A USCC that does not state the code is another subject: refused.
        self.assertRpcFails(SC.FAILED_PRECONDITION, correct, subject(fresh_uscc()),
                            contains="record.subject")
        # The USCC with the code binds it: the same subject, now under its USCC.
        got = correct(subject(u, registration_number=reg))
        self.assertEqual((got.outcome, got.version), (R.PUSH_OUTCOME_NEW_VERSION, 2))
        self.assertEqual(self.stored_subject(rid).identifier, u)
        for asked in (u, reg, org_of(u)):
            self.assertEqual(self.listed(asked), [rid])

    def test_a_record_first_sent_under_a_code_may_come_again_with_its_uscc(self):
        u, reg = fresh_uscc(), fresh_reg()
        src = fresh_src("again")
        first = self.push(penalty_input(src, subject(reg, registration_number=reg)))
        self.assertResult(first.results[0], 0, R.PUSH_OUTCOME_CREATED)
        again = self.push(penalty_input(src, subject(u, registration_number=reg)))
        self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=2,
                          record_id=first.results[0].record_id)
        # Without the code, another USCC is another subject.
        other = self.push(penalty_input(src, subject(fresh_uscc())))
        self.assertRejected(other.results[0], 0, SC.FAILED_PRECONDITION, "subject")
        self.assertEqual(self.listed(reg), [first.results[0].record_id])

    def test_contradictory_codes_are_rejected(self):
        u = fresh_uscc()
        other = fresh_org()
        bad_check = org_of(u)[:8] + ("0" if org_of(u)[8] != "0" else "1")
        resp = self.push(
            penalty_input(fresh_src("contra"), subject(u, organisation_code=other)),
            penalty_input(fresh_src("contra"), subject(u, organisation_code=bad_check)),
            penalty_input(fresh_src("contra"), subject(u, tax_number="500227" + other)),
            penalty_input(fresh_src("contra"), subject(u, tax_number=fresh_uscc())),
            penalty_input(fresh_src("contra"), subject(other, organisation_code=other,
                                                       tax_number="500227" + fresh_org())))
        for i, field in enumerate(("subject.organisation_code", "subject.organisation_code",
                                   "subject.tax_number", "subject.tax_number",
                                   "subject.tax_number")):
            self.assertRejected(resp.results[i], i, SC.INVALID_ARGUMENT, field)
        self.assertIn("positions 9 to 17", resp.results[0].reason)
        self.assertEqual(self.listed(u), [])

    def test_a_code_bound_to_another_uscc_is_refused(self):
        u1, u2, reg = fresh_uscc(), fresh_uscc(), fresh_reg()
        first = self.push(penalty_input(fresh_src("bound"), subject(u1, registration_number=reg)))
        self.assertResult(first.results[0], 0, R.PUSH_OUTCOME_CREATED)
        resp = self.push(
            penalty_input(fresh_src("bound"), subject(u2, registration_number=reg)),
            penalty_input(fresh_src("bound"), subject(u2, tax_number="500227" + org_of(u2))),
            # Codes of two subjects on one record without a USCC.
            penalty_input(fresh_src("bound"), subject(reg, registration_number=reg,
                                                      organisation_code=org_of(u2))))
        self.assertRejected(resp.results[0], 0, SC.FAILED_PRECONDITION,
                            "subject.registration_number")
        self.assertIn(u1, resp.results[0].reason)
        self.assertIn(u2, resp.results[0].reason)
        self.assertResult(resp.results[1], 1, R.PUSH_OUTCOME_CREATED)  # u2 binds its own codes
        self.assertRejected(resp.results[2], 2, SC.FAILED_PRECONDITION,
                            "subject.organisation_code")
        self.assertIn(u1, resp.results[2].reason)
        self.assertIn(u2, resp.results[2].reason)
        self.assertEqual(self.listed(reg), [first.results[0].record_id])
        self.assertEqual(self.listed(org_of(u2)), [resp.results[1].record_id])
        # A query by a bound code takes the USCC's kind.
        self.list_fails(SC.INVALID_ARGUMENT, reg, R.SUBJECT_KIND_INDIVIDUAL_BUSINESS,
                        contains=("subject.kind", u1))

    def test_pages_run_across_every_key_of_a_subject(self):
        u, reg = fresh_uscc(), fresh_reg()
        org = org_of(u)
        ids = []
        # Filed under the registration number and the organisation code, before the binding...
        for _ in range(3):
            r = self.push(penalty_input(fresh_src("page"), subject(reg, registration_number=reg)))
            ids.append(r.results[0].record_id)
        early_src = fresh_src("page")
        r = self.push(penalty_input(early_src, subject(org, organisation_code=org)))
        early = r.results[0].record_id
        ids.append(early)
        # ... under the USCC, with the binding, and after it.
        for _ in range(3):
            r = self.push(penalty_input(fresh_src("page"), subject(u, registration_number=reg)))
            ids.append(r.results[0].record_id)
        r = self.push(penalty_input(fresh_src("page"), subject(reg, registration_number=reg)))
        ids.append(r.results[0].record_id)
        # A record filed under its organisation code comes again under the USCC: the same
        # subject, a new version, still listed once.
        again = self.push(penalty_input(early_src, subject(u, organisation_code=org),
                                        fine=600000))
        self.assertResult(again.results[0], 0, R.PUSH_OUTCOME_NEW_VERSION, version=2, record_id=early)
        want = sorted(ids)
        for asked in (u, reg, org):
            for size in (1, 2, 3, 0):
                with self.subTest(asked=asked, page_size=size):
                    self.assertEqual(self.listed(asked, page_size=size), want)


if __name__ == "__main__":
    unittest.main()
