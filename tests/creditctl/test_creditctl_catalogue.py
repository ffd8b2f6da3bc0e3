"""test_creditctl_catalogue.py: `creditctl catalogue` against the real creditd.

The catalogue's governance end to end through the command line: reading the versions and the
version in force, a department filing an extra dimension, the office's compliance review and
deliberation, the new version that approval makes, the client-side diff between versions and
the history of change requests. Written against proto/credit/v1/catalogue.proto and the seed
(version 1: the public catalogue's 18 sections; PENALTY with the publicity windows of
record.proto's Severity: SEVERITY_MINOR 0-3 months, SEVERITY_GENERAL 3-12, SEVERITY_SERIOUS 12-36).

Two nodes (harness.Node, one fresh PKI for the module): CatalogueReadingTest's node is never
changed, so it stays at version 1; CatalogueGovernanceTest's node goes through the workflow
once (propose as `tax`, a review by `tax` that must be refused, review and approval by
`office`, a second review that must be refused), recorded step by step by `flow()`, and each
test asserts one part of what was recorded. Everything goes through the creditctl binary:
its exit status (0 ok, 1 an error from the node or a bad file, 2 a usage error), its text for
people and its JSON, which Python's json module must accept.

Run (from tests/creditctl/; the harness is tests/interop/harness.py):
  PYTHONPATH=../interop CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_creditctl_catalogue
"""

import json
import os
import re
import unittest

import harness
from harness import CtlCase, Node

RFC3339_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3,9})?Z"
CHANGE_ID_RE = re.compile(r"^\S+$")
DIFF_LINE_RE = re.compile(r"^[-+~] ")

# The dimension the department asks for: a value the penalty proto does not have, so it travels
# in the record's `extra` map (field empty), open to everyone.
NEW_CODE = "interop_remark"
NEW_PATH = "PUBLIC/PENALTY/" + NEW_CODE
PROPOSAL = {
    "catalogue": "CATALOGUE_PUBLIC",
    "section": "PENALTY",
    "kind": "CHANGE_KIND_ADD_DIMENSION",
    "dimension": {
        "code": NEW_CODE,
        "name": "整改说明 rectification remark",
        "field": "",
        "type": "VALUE_TYPE_TEXT",
        "required": False,
        "tier": "TIER_OPEN",
        "description": "What the subject has done to put the violation right, in one line.",
    },
    "justification": "税务处罚公示需要附带整改说明 (interop test): penalties should say what "
                     "the subject did to put things right.",
}


def setUpModule():
    harness.setup_module()
    harness.require_creditctl()


def tearDownModule():
    harness.teardown_module()


class _CatalogueCase(CtlCase):
    """One node for the class; creditctl runs against it as a unit of the demo PKI."""

    node = None
    node_name = "catalogue"

    @classmethod
    def setUpClass(cls):
        cls.node = Node(name=cls.node_name)

    @classmethod
    def tearDownClass(cls):
        if cls.node is not None:
            cls.node.stop()  # insists on exit status 0
            cls.node = None

    @classmethod
    def ctl(cls, args, who="tax", stdin_text=None):
        """Runs creditctl as `who`; returns (exit status, stdout, stderr)."""
        return harness.creditctl_as(cls.node.port, who, args, stdin_text=stdin_text)

    def run_ok(self, args, who="tax", stdin_text=None):
        return self.assertExit(0, self.ctl(args, who, stdin_text), args)

    def run_json(self, args, who="tax"):
        out, _ = self.run_ok(["--json"] + list(args), who)
        self.assertTrue(out.endswith("\n"), "JSON output should end with a newline: %r" % out)
        return json.loads(out)

    def assertFailsWith(self, code, result, args):
        """Exit 1 and the node's status named on stderr the way creditctl names it."""
        _, err = self.assertExit(1, result, args)
        self.assertIn("creditctl: %s:" % code, err)
        return err


def section_block(show_text, code):
    """The lines `catalogue show` prints for one section: its heading to the next heading."""
    lines = show_text.splitlines()
    heading = re.compile(r"^  section %s  " % re.escape(code))
    for i, line in enumerate(lines):
        if heading.match(line):
            end = i + 1
            while end < len(lines) and not re.match(r"^(  section |catalogue |$)", lines[end]):
                end += 1
            return lines[i:end]
    raise AssertionError("no section %s in:\n%s" % (code, show_text))


def diff_lines(text):
    return [line for line in text.splitlines() if DIFF_LINE_RE.match(line)]


def find_section(version, catalogue, code):
    for cat in version.get("catalogues", []):
        if cat.get("catalogue") == catalogue:
            for sec in cat.get("sections", []):
                if sec.get("code") == code:
                    return sec
    raise AssertionError("no %s/%s in version %s" % (catalogue, code, version.get("version")))


class CatalogueReadingTest(_CatalogueCase):
    """A node nobody changes: version 1, the seed, is in force."""

    node_name = "catalogue-read"

    def test_list_shows_version_1_in_force_and_the_public_catalogue_with_18_sections(self):
        out, _ = self.run_ok(["catalogue", "list"])
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^ +VERSION +EFFECTIVE +APPROVED BY +CHANGE REQUEST +SUMMARY$")
        self.assertRegex(lines[1], r"^\* +1 +%s +seed +- +\S" % RFC3339_UTC)
        self.assertEqual([line for line in lines if line.startswith("*")], [lines[1]])
        self.assertIn("catalogues of version 1, in force:", out)
        counts = re.search(r"(?m)^PUBLIC +(\d+) +(\d+) +\S", out)
        self.assertIsNotNone(counts, out)
        self.assertEqual(int(counts.group(1)), 18)
        self.assertGreater(int(counts.group(2)), 18)

    def test_list_json_parses_and_names_version_1_in_force(self):
        data = self.run_json(["catalogue", "list"])
        self.assertEqual(data["list"]["inForce"], 1)
        versions = data["list"]["versions"]
        self.assertEqual([v["version"] for v in versions], [1])
        self.assertTrue(versions[0]["inForce"])
        self.assertEqual(versions[0]["approvedBy"], "seed")
        self.assertRegex(versions[0]["effectiveAt"], "^%s$" % RFC3339_UTC)
        self.assertEqual(data["current"]["version"], 1)
        self.assertIn("CATALOGUE_PUBLIC", [c["catalogue"] for c in data["current"]["catalogues"]])

    def test_show_prints_the_penalty_section_with_its_publicity_windows(self):
        out, _ = self.run_ok(["catalogue", "show"])
        self.assertRegex(out, r"(?m)^version +1$")
        self.assertRegex(out, r"(?m)^approved +%s by seed$" % RFC3339_UTC)
        self.assertRegex(out, r"(?m)^catalogue PUBLIC  .* \(input credit\.v1\.PublicRecordInput\)$")
        block = section_block(out, "PENALTY")
        self.assertRegex(block[0], r"^  section PENALTY  .*\(body penalty\)$")
        text = "\n".join(block)
        self.assertRegex(text, r"(?m)^    publicity +SEVERITY_MINOR 0-3 months, SEVERITY_GENERAL 3-12 months, "
                               r"SEVERITY_SERIOUS 12-36 months$")
        self.assertRegex(text, r"(?m)^    responsible +\S")
        self.assertRegex(text, r"(?m)^    CODE +FIELD +TYPE +REQUIRED +TIER +NAME$")
        self.assertRegex(text, r"(?m)^    decision_document_number +"
                               r"penalty\.decision_document_number +TEXT +yes +OPEN +\S")
        self.assertNotIn(NEW_CODE, out)
        # Conditions and rules: REQUIRED "when", then a line per dimension below the table.
        self.assertRegex(text, r"(?m)^    CODE +RULES$")
        self.assertRegex(text, r"(?m)^    fine_amount_fen +at least 0$")
        self.assertRegex(out, r"(?m)^    legal_representative +subject\.legal_representative +"
                              r"TEXT +when +OPEN +\S")
        self.assertRegex(out, r"(?m)^    legal_representative +required when subject\.kind is "
                              r"SUBJECT_KIND_LEGAL_PERSON$")
        self.assertRegex(out, r"(?m)^    legal_representative_id_type +required when "
                              r"subject\.legal_representative_id_number is given$")
        self.assertRegex(out, r"(?m)^    utilisation_pct +at least 0, at most 100$")
        self.assertRegex(out, r"(?m)^    evidence_digest +matches \[0-9a-f\]\{64\}$")
        # Version 1 asked for by number is the same text.
        out1, _ = self.run_ok(["catalogue", "show", "1"])
        self.assertEqual(out1, out)

    def test_show_json_parses_with_the_penalty_windows(self):
        v = self.run_json(["catalogue", "show", "1"])
        self.assertEqual(v["version"], 1)
        pen = find_section(v, "CATALOGUE_PUBLIC", "PENALTY")
        windows = {w["severity"]: (w.get("minMonths", 0), w.get("maxMonths", 0))
                   for w in pen["publicity"]}
        self.assertEqual(windows, {"SEVERITY_MINOR": (0, 3), "SEVERITY_GENERAL": (3, 12), "SEVERITY_SERIOUS": (12, 36)})

    def test_diff_of_a_version_with_itself_prints_no_differences_and_exits_0(self):
        out, _ = self.run_ok(["catalogue", "diff", "1", "1"])
        self.assertEqual(diff_lines(out), [])
        self.assertEqual(out, "versions 1 and 1 do not differ\n")
        data = self.run_json(["catalogue", "diff", "1", "1"])
        self.assertEqual(data, {"from": 1, "to": 1, "differences": []})

    def test_history_of_a_fresh_node_is_empty(self):
        out, _ = self.run_ok(["catalogue", "history"])
        self.assertRegex(out, r"^ID +STATE +KIND +CHANGE +PROPOSED BY +PROPOSED AT +REVIEWED BY"
                              r" +DECIDED BY +VERSION\n$")
        self.assertEqual(self.run_json(["catalogue", "history"]).get("changes", []), [])

    def test_show_of_a_version_that_does_not_exist_is_not_found(self):
        args = ["catalogue", "show", "99"]
        self.assertFailsWith("NOT_FOUND", self.ctl(args), args)

    def test_get_of_an_unknown_change_request_is_not_found(self):
        args = ["catalogue", "get", "CR-999999"]
        self.assertFailsWith("NOT_FOUND", self.ctl(args), args)

    def test_propose_of_malformed_json_exits_1_naming_the_field_and_files_nothing(self):
        bad = dict(PROPOSAL, colour="blue")
        args = ["catalogue", "propose", "-"]
        _, err = self.assertExit(1, self.ctl(args, stdin_text=json.dumps(bad)), args)
        self.assertRegex(err, r"^creditctl: stdin: colour: ")
        _, err = self.assertExit(1, self.ctl(args, stdin_text="{not json"), args)
        self.assertTrue(err.startswith("creditctl: stdin: "), err)
        missing = os.path.join(harness.new_dir("no-file"), "absent.json")
        args = ["catalogue", "propose", missing]
        _, err = self.assertExit(1, self.ctl(args), args)
        self.assertIn(missing, err)
        self.assertEqual(self.run_json(["catalogue", "history"]).get("changes", []), [])

    def test_catalogue_usage_errors_exit_2(self):
        for args in (["catalogue"],
                     ["catalogue", "bogus"],
                     ["catalogue", "list", "extra"],
                     ["catalogue", "show", "one"],
                     ["catalogue", "show", "0"],
                     ["catalogue", "diff", "1"],
                     ["catalogue", "diff", "1", "x"],
                     ["catalogue", "propose"],
                     ["catalogue", "review", "CR-000001", "pass"],
                     ["catalogue", "review", "CR-000001", "pass", "--reason", ""],
                     ["catalogue", "review", "CR-000001", "maybe", "--reason", "x"],
                     ["catalogue", "decide", "CR-000001", "approve"],
                     ["catalogue", "decide", "CR-000001", "yes", "--reason", "x"],
                     ["catalogue", "decide", "CR-000001", "approve", "--reason", "x",
                      "--effective", "tomorrow"],
                     ["catalogue", "decide", "CR-000001", "reject", "--reason", "x",
                      "--effective", "2030-01-01T00:00:00Z"],
                     ["catalogue", "review", "CR-000001", "pass", "--reason", "x",
                      "--effective", "2030-01-01T00:00:00Z"],
                     ["catalogue", "history", "--state", "NOPE"],
                     ["catalogue", "history", "--reason", "x"],
                     ["catalogue", "get"],
                     ["catalogue", "get", "CR-000001", "--state", "filed"],
                     ["units", "--reason", "x"]):
            _, err = self.assertExit(2, self.ctl(args), args)
            self.assertIn("usage: creditctl", err)

    def test_help_documents_every_catalogue_subcommand(self):
        out, _ = self.assertExit(0, harness.run_creditctl(["--help"]), ["--help"])
        for usage in ("catalogue list", "catalogue show [VERSION]", "catalogue diff V1 V2",
                      "catalogue propose FILE", "catalogue review ID pass|fail --reason TEXT",
                      "catalogue decide ID approve|reject --reason TEXT [--effective RFC3339]",
                      "catalogue history [--state STATE]", "catalogue get ID"):
            self.assertIn(usage, out)


class _Flow:
    """What each step of the governance workflow returned: (exit status, stdout, stderr)."""
    done = False
    steps = {}
    change_id = None


FLOW = _Flow()


class CatalogueGovernanceTest(_CatalogueCase):
    """A department's proposal through review and deliberation into version 2."""

    node_name = "catalogue-govern"

    def flow(self):
        """Runs the workflow once (the first test to ask) and returns the recorded steps. Steps
        are not asserted here: each test asserts its own, so one failure names its step."""
        if FLOW.done:
            return FLOW.steps
        FLOW.done = True
        s = FLOW.steps
        path = os.path.join(harness.new_dir("proposal"), "proposal.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(PROPOSAL, f, ensure_ascii=False)
        s["propose"] = self.ctl(["catalogue", "propose", path], who="tax")
        first = s["propose"][1].splitlines()[:1]
        m = re.match(r"^id +(\S+)$", first[0]) if first else None
        FLOW.change_id = cid = m.group(1) if m else "CR-not-filed"
        s["filed"] = self.ctl(["--json", "catalogue", "get", cid], who="tax")
        s["review_by_tax"] = self.ctl(["catalogue", "review", cid, "pass", "--reason",
                                       "a department reviewing its own request"], who="tax")
        s["review"] = self.ctl(["catalogue", "review", cid, "pass", "--reason",
                                "符合目录管理办法 within the catalogue rules"], who="office")
        s["decide"] = self.ctl(["catalogue", "decide", cid, "approve", "--reason",
                                "联席会议审议通过 approved by the joint meeting"], who="office")
        s["review_again"] = self.ctl(["catalogue", "review", cid, "fail", "--reason",
                                      "too late"], who="office")
        return s

    def step(self, name, want=0):
        """The recorded step, asserted to have exited `want`; returns (stdout, stderr)."""
        return self.assertExit(want, self.flow()[name], ["(step %s)" % name])

    def test_propose_as_a_department_prints_the_new_request_id_first_in_state_filed(self):
        out, _ = self.step("propose")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^id +\S+$")
        self.assertRegex(FLOW.change_id, CHANGE_ID_RE)
        self.assertRegex(out, r"(?m)^state +CHANGE_STATE_FILED$")
        self.assertRegex(out, r"(?m)^kind +CHANGE_KIND_ADD_DIMENSION$")
        self.assertRegex(out, r"(?m)^catalogue +PUBLIC$")
        self.assertRegex(out, r"(?m)^section +PENALTY$")
        self.assertRegex(out, r"(?m)^dimension +%s$" % NEW_CODE)
        self.assertRegex(out, r"(?m)^  field +extra$")
        self.assertRegex(out, r"(?m)^  type +TEXT$")
        self.assertRegex(out, r"(?m)^  required +no$")
        self.assertRegex(out, r"(?m)^  tier +OPEN$")
        self.assertRegex(out, r"(?m)^based on version +1$")
        self.assertRegex(out, r"(?m)^filed +tax at %s$" % RFC3339_UTC)
        self.assertRegex(out, r"(?m)^review +-$")
        self.assertRegex(out, r"(?m)^resulting version +-$")

    def test_the_filed_request_reads_back_as_json(self):
        out, _ = self.step("filed")
        ch = json.loads(out)
        self.assertEqual(ch["id"], FLOW.change_id)
        self.assertEqual(ch["state"], "CHANGE_STATE_FILED")
        self.assertEqual(ch["catalogue"], "CATALOGUE_PUBLIC")
        self.assertEqual(ch["section"], "PENALTY")
        self.assertEqual(ch["kind"], "CHANGE_KIND_ADD_DIMENSION")
        self.assertEqual(ch["dimension"]["code"], NEW_CODE)
        self.assertEqual(ch["dimension"]["type"], "VALUE_TYPE_TEXT")
        self.assertEqual(ch["dimension"]["tier"], "TIER_OPEN")
        self.assertNotIn("field", ch["dimension"])  # empty: an extra dimension
        self.assertEqual(ch["justification"], PROPOSAL["justification"])
        self.assertEqual(ch["filed"]["unit"], "tax")
        self.assertEqual(ch["basedOnVersion"], 1)

    def test_review_by_the_proposing_department_is_permission_denied(self):
        self.flow()
        self.assertFailsWith("PERMISSION_DENIED", FLOW.steps["review_by_tax"],
                             ["catalogue", "review", FLOW.change_id, "pass"])

    def test_review_pass_and_approval_by_the_office_make_version_2(self):
        out, _ = self.step("review")
        self.assertRegex(out.splitlines()[0], r"^id +%s$" % re.escape(FLOW.change_id))
        self.assertRegex(out, r"(?m)^state +CHANGE_STATE_REVIEW_PASSED$")
        self.assertRegex(out, r"(?m)^review +office at %s, passed$" % RFC3339_UTC)
        self.assertRegex(out, r"(?m)^review reasons +符合目录管理办法 within the catalogue rules$")
        out, _ = self.step("decide")
        self.assertRegex(out, r"(?m)^state +CHANGE_STATE_APPROVED$")
        self.assertRegex(out, r"(?m)^decision +office at %s, approved$" % RFC3339_UTC)
        self.assertRegex(out, r"(?m)^resulting version +2$")
        self.assertRegex(out, r"(?m)^effective +%s$" % RFC3339_UTC)
        # Approved without --effective: in force now.
        data = self.run_json(["catalogue", "list"])
        self.assertEqual(data["list"]["inForce"], 2)
        self.assertEqual([v["version"] for v in data["list"]["versions"]], [1, 2])
        v2 = data["list"]["versions"][1]
        self.assertEqual(v2["approvedBy"], "office")
        self.assertEqual(v2["changeRequestId"], FLOW.change_id)
        out, _ = self.run_ok(["catalogue", "list"])
        self.assertRegex(out, r"(?m)^\* +2 +%s +office +%s +" % (RFC3339_UTC,
                                                                 re.escape(FLOW.change_id)))
        self.assertRegex(out, r"(?m)^ +1 +%s +seed +- +" % RFC3339_UTC)

    def test_version_2_shows_the_new_extra_dimension_in_the_penalty_section(self):
        self.step("decide")
        out, _ = self.run_ok(["catalogue", "show", "2"], who="market")
        block = "\n".join(section_block(out, "PENALTY"))
        self.assertRegex(block, r"(?m)^    %s +extra +TEXT +no +OPEN +整改说明 rectification remark$"
                         % NEW_CODE)
        pen = find_section(self.run_json(["catalogue", "show", "2"]), "CATALOGUE_PUBLIC",
                           "PENALTY")
        self.assertIn(NEW_CODE, [d["code"] for d in pen["dimensions"]])

    def test_diff_1_2_marks_the_new_dimension_with_plus_and_nothing_else(self):
        self.step("decide")
        out, _ = self.run_ok(["catalogue", "diff", "1", "2"])
        self.assertEqual(diff_lines(out),
                         ["+ %s: extra TEXT optional OPEN  整改说明 rectification remark" % NEW_PATH])
        # The other way round it is a removal; still exit 0.
        out, _ = self.run_ok(["catalogue", "diff", "2", "1"])
        self.assertEqual([line.split(":")[0] for line in diff_lines(out)], ["- " + NEW_PATH])
        data = self.run_json(["catalogue", "diff", "1", "2"])
        self.assertEqual(data["from"], 1)
        self.assertEqual(data["to"], 2)
        self.assertEqual(len(data["differences"]), 1, data)
        d = data["differences"][0]
        self.assertEqual((d["op"], d["level"], d["catalogue"], d["section"], d["dimension"]),
                         ("+", "dimension", "CATALOGUE_PUBLIC", "PENALTY", NEW_CODE))
        self.assertNotIn("before", d)
        self.assertEqual(d["after"]["type"], "VALUE_TYPE_TEXT")

    def test_history_lists_the_request_with_its_resulting_version(self):
        self.step("decide")
        out, _ = self.run_ok(["catalogue", "history"], who="office")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^ID +STATE +KIND +CHANGE +PROPOSED BY +PROPOSED AT +REVIEWED BY"
                                   r" +DECIDED BY +VERSION$")
        self.assertEqual(len(lines), 2, out)
        self.assertRegex(lines[1], r"^%s +CHANGE_STATE_APPROVED +CHANGE_KIND_ADD_DIMENSION +%s +tax +%s +office"
                                   r" +office +2$" % (re.escape(FLOW.change_id), NEW_PATH,
                                                      RFC3339_UTC))
        out, _ = self.run_ok(["catalogue", "history", "--state", "approved"])
        self.assertEqual(len(out.splitlines()), 2, out)
        out, _ = self.run_ok(["catalogue", "history", "--state", "CHANGE_STATE_FILED"])
        self.assertEqual(len(out.splitlines()), 1, out)
        changes = self.run_json(["catalogue", "history"])["changes"]
        self.assertEqual([c["id"] for c in changes], [FLOW.change_id])
        self.assertEqual(changes[0]["resultingVersion"], 2)
        self.assertEqual(changes[0]["state"], "CHANGE_STATE_APPROVED")

    def test_reviewing_a_decided_request_is_a_failed_precondition(self):
        self.flow()
        self.assertFailsWith("FAILED_PRECONDITION", FLOW.steps["review_again"],
                             ["catalogue", "review", FLOW.change_id, "fail"])
        # Nothing changed: still approved, still version 2.
        ch = self.run_json(["catalogue", "get", FLOW.change_id])
        self.assertEqual(ch["state"], "CHANGE_STATE_APPROVED")
        self.assertEqual(ch["resultingVersion"], 2)
        self.assertEqual(ch["review"]["unit"], "office")
        self.assertTrue(ch["review"]["positive"])
        self.assertTrue(ch["decision"]["positive"])
        self.assertRegex(ch["effectiveAt"], "^%s$" % RFC3339_UTC)


if __name__ == "__main__":
    unittest.main()
