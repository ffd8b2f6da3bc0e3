"""test_lender_nodejs.py: a lender's whole flow from Node.js (@grpc/grpc-js, @grpc/proto-loader).

A lender's system is rarely C. nodejs/lender_flow.js, a client nobody here wrote, loads the
shipped .proto files with @grpc/proto-loader and drives the flow against the real creditd:
consent request (bank-a) → approval (subj-acme itself, and the portal relaying another) →
an authorized query → GetPortrait → the portrait's signature checked with node's crypto against
the key GetSigningKey publishes (and a changed byte refused) → the subject sees the use.

Node comes from Debian's nodejs; the npm packages are installed into the build tree by the test
command (.ci/run: `npm install --prefix build-asan/npm @grpc/grpc-js @grpc/proto-loader`) and
found as test_codegen finds them (CREDIT_NODE_MODULES, else BUILD/npm/node_modules). Unlike
test_codegen's Node checks, this test fails, never skips, when either is missing: CI has them.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_lender_nodejs
"""

import json
import os
import shutil
import subprocess

import harness
from harness import CALL_TIMEOUT, InteropCase, Node, R

ACME_USCC = "91500227MA5UACME5L"  # subj-acme's own (certs/demo-units.tsv)
TEMPLATE = "SMALL_MICRO_BASIC"
FLOW_TIMEOUT = 120.0  # seconds for the whole flow, node start-up included

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module


def node_modules():
    """Where the test command installed the npm packages, as test_codegen finds them:
    CREDIT_NODE_MODULES, else BUILD/npm/node_modules (BUILD: CREDITD's grandparent)."""
    return os.environ.get("CREDIT_NODE_MODULES") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(harness.CREDITD))), "npm",
        "node_modules")


class LenderFlowFromNodeJs(InteropCase):
    def test_a_lender_in_nodejs_gets_consent_queries_and_verifies_a_portrait(self):
        node_bin = shutil.which("node") or shutil.which("nodejs")
        self.assertIsNotNone(node_bin, "Node.js is required (Debian's nodejs)")
        modules = node_modules()
        for pkg in ("@grpc/grpc-js", "@grpc/proto-loader"):
            self.assertTrue(os.path.isdir(os.path.join(modules, pkg)),
                            "%s is not installed in %s: run npm install --prefix %s "
                            "@grpc/grpc-js @grpc/proto-loader"
                            % (pkg, modules, os.path.dirname(modules)))
        with Node(name="lender-nodejs") as node:
            with harness.Stubs(node.port, "market") as market:
                subject = harness.legal_subject(ACME_USCC, name="璧山示例科技有限公司 Acme")
                resp = market.push(harness.penalty_input("node-pen-1", subject,
                                                         severity=R.SEVERITY_SERIOUS))
                self.assertEqual(resp.accepted, 1, resp)
                record_id = resp.results[0].record_id
            units = {}
            for who in ("bank-a", "subj-acme", "portal"):
                crt, key = harness.cert_paths(who)
                units[who] = {"cert": crt, "key": key}
            cfg = {"target": "localhost:%d" % node.port,
                   "ca": os.path.join(harness.tls_dir(), "ca.crt"), "units": units,
                   "protoDir": os.path.join(harness.SOURCE_DIR, "proto"), "uscc": ACME_USCC,
                   "template": TEMPLATE}
            env = dict(os.environ, NODE_PATH=modules)
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nodejs",
                                  "lender_flow.js")
            p = subprocess.run([node_bin, script, json.dumps(cfg)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=FLOW_TIMEOUT)
            self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
            seen = json.loads(p.stdout.decode("utf-8"))
        self.assertEqual(seen["grant_status"], "GRANT_STATUS_ACTIVE")
        self.assertEqual(seen["data_grant_status"], "GRANT_STATUS_ACTIVE")
        self.assertEqual(seen["data_grant_approved_by"], "portal")
        self.assertGreaterEqual(seen["listed"], 1)
        self.assertEqual(seen["template"], TEMPLATE)
        self.assertEqual(seen["template_version"], 1)
        self.assertEqual(seen["key_id"], seen["published_key_id"])
        items = {i["code"]: i for i in seen["items"]}
        self.assertEqual(items["penalties"]["count"], 1)
        self.assertEqual(items["penalties"]["entries"], [record_id])
        self.assertTrue(seen["verified"], "node's crypto did not verify the portrait")
        self.assertFalse(seen["changed_verified"], "a changed byte still verified")
        self.assertEqual(len(seen["uses"]), 1)
        self.assertEqual(seen["uses"][0]["used_by"], "bank-a")
        self.assertGreaterEqual(seen["grants_seen_by_subject"], 2)
