"""test_codegen.py: the wire API as clients in other languages see it.

Every credit.v1 .proto (and the store's) compiles with protoc for C++, Java, Python and Go
(where the Go plugin is installed) without a line on stderr: a warning today is a broken
client build tomorrow. Then the README's "Clients in other languages" is run as written: its
Python codegen command and client, its Node.js client (when npm's @grpc/grpc-js and
@grpc/proto-loader are installed in BUILD/npm/node_modules; else those tests skip and say
so), and its Go codegen command (when protoc-gen-go and protoc-gen-go-grpc are installed),
against a real node. A Node client that passes a JavaScript Date for a Timestamp gets the
node's refusal worded for that mistake.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_codegen
"""

import json
import os
import re
import shutil
import subprocess
import unittest

from google.protobuf import json_format

import harness
from harness import InteropCase, Node

PROTO_DIR = os.path.join(harness.SOURCE_DIR, "proto")
README = os.path.join(harness.SOURCE_DIR, "README.md")
# npm packages live in the build tree: BUILD/npm/node_modules, BUILD being CREDITD's
# grandparent (BUILD/server/creditd), unless CREDIT_NODE_MODULES says otherwise.
NODE_MODULES = os.environ.get("CREDIT_NODE_MODULES") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(harness.CREDITD or "."))), "npm",
    "node_modules")


def setUpModule():
    harness.setup_module()


def tearDownModule():
    harness.teardown_module()


def all_protos():
    out = []
    for sub in ("credit/v1", "credit/store/v1"):
        d = os.path.join(PROTO_DIR, sub)
        out += sorted(sub + "/" + f for f in os.listdir(d) if f.endswith(".proto"))
    return out


def readme_blocks(lang):
    """The fenced blocks of `lang` in the README's "Clients in other languages" section."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Clients in other languages\n(.*?)^## ", text, re.S | re.M)
    if not m:
        raise AssertionError("README.md has no section 'Clients in other languages'")
    return re.findall(r"^```%s\n(.*?)^```" % re.escape(lang), m.group(1), re.S | re.M)


def readme_block(lang, containing):
    found = [b for b in readme_blocks(lang) if containing in b]
    if len(found) != 1:
        raise AssertionError("README: want one ```%s block with %r, found %d"
                             % (lang, containing, len(found)))
    return found[0]


def run(argv, cwd, env=None, timeout=120, shell=False):
    p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout, shell=shell,
                       executable="/bin/bash" if shell else None)
    return p


def have_node_modules():
    return shutil.which("node") and all(
        os.path.isdir(os.path.join(NODE_MODULES, "@grpc", m)) for m in ("grpc-js", "proto-loader"))


NO_NODE = ("node or npm's @grpc/grpc-js and @grpc/proto-loader missing in %s "
           "(npm install --prefix BUILD/npm @grpc/grpc-js @grpc/proto-loader)" % NODE_MODULES)


class EveryProtoCompilesTest(InteropCase):
    """protoc's own generators and the Python and Go plugins accept every file silently."""

    def compile(self, *out_args, protoc=("protoc",)):
        out = harness.new_dir("gen")
        args = list(protoc) + ["-I" + PROTO_DIR, "-I/usr/include"] + \
            [a.replace("OUT", out) for a in out_args] + all_protos()
        p = run(args, cwd=PROTO_DIR)
        self.assertEqual(p.returncode, 0, "%s failed:\n%s" % (" ".join(args), p.stderr))
        self.assertEqual(p.stderr, "", "%s warned:\n%s" % (" ".join(args), p.stderr))
        return out

    def test_every_proto_compiles_for_cpp_without_a_warning(self):
        out = self.compile("--cpp_out=OUT")
        self.assertTrue(os.path.isfile(os.path.join(out, "credit/v1/record.pb.h")))

    def test_every_proto_compiles_for_java_into_one_class_per_message(self):
        out = self.compile("--java_out=OUT")
        java = os.path.join(out, "org", "creditd", "credit", "v1")
        # java_multiple_files: the messages are top-level classes; each file's outer class
        # holds only its descriptor and is named so that it clashes with no message (protoc
        # would otherwise make RecordOuterClass beside Record).
        made = os.listdir(java)
        for name in ("Record.java", "PushResult.java", "RecordProto.java", "UnitProto.java"):
            self.assertIn(name, made)
        self.assertEqual([m for m in made if m.endswith("OuterClass.java")], [])

    def test_every_proto_compiles_for_python_with_grpc_tools_without_a_warning(self):
        out = self.compile("--python_out=OUT", "--grpc_python_out=OUT",
                           protoc=("/usr/bin/python3", "-m", "grpc_tools.protoc"))
        self.assertTrue(os.path.isfile(os.path.join(out, "credit/v1/catalogue_pb2.py")))
        # No field is named for a Python keyword: every field is an attribute.
        p = run(["/usr/bin/python3", "-c",
                 "import keyword, sys; sys.path.insert(0, %r)\n"
                 "from credit.v1 import catalogue_pb2, industrial_pb2, record_pb2\n"
                 "bad = [m.full_name + '.' + f.name for mod in (catalogue_pb2, industrial_pb2,"
                 " record_pb2) for m in mod.DESCRIPTOR.message_types_by_name.values()"
                 " for f in m.fields if keyword.iskeyword(f.name)]\n"
                 "print(bad)" % out], cwd=out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "[]")

    def test_every_proto_compiles_for_go_without_a_warning(self):
        if not shutil.which("protoc-gen-go"):
            self.skipTest("protoc-gen-go is not installed (apt-get install protoc-gen-go)")
        out = self.compile("--go_out=OUT", "--go_opt=module=creditd/gen/go")
        self.assertTrue(os.path.isfile(os.path.join(out, "credit/v1/record.pb.go")))
        self.assertTrue(os.path.isfile(os.path.join(out, "credit/store/v1/stored.pb.go")))


class ReadmeClientsTest(InteropCase):
    """The README's commands and clients, run as written against a node."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node()
        crt, key = harness.cert_paths("tax")
        cls.env = dict(os.environ, CREDIT_TARGET="localhost:%d" % cls.node.port,
                       CREDIT_CA=os.path.join(harness.tls_dir(), "ca.crt"),
                       CREDIT_CERT=crt, CREDIT_KEY=key, NODE_PATH=NODE_MODULES)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def root(self):
        """A directory standing in for the repository's root: proto/ and the README's files."""
        root = harness.new_dir("root")
        os.symlink(PROTO_DIR, os.path.join(root, "proto"))
        return root

    def test_the_readme_python_codegen_and_client_reach_health_and_whoami(self):
        root = self.root()
        cmd = readme_block("sh", "grpc_tools.protoc")
        p = run(cmd, cwd=root, shell=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""), cmd)
        with open(os.path.join(root, "client.py"), "w", encoding="utf-8") as f:
            f.write(readme_block("python", "WhoAmI"))
        p = run(["/usr/bin/python3", "client.py"], cwd=root, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        from harness import unit_pb2
        kind = unit_pb2.UnitKind.Name(unit_pb2.UNIT_KIND_DEPARTMENT)
        self.assertEqual(p.stdout.split("\n")[:2], ["health SERVING", "unit tax " + kind])

    def test_the_readme_node_client_reaches_health_and_whoami(self):
        if not have_node_modules():
            self.skipTest(NO_NODE)
        root = self.root()
        with open(os.path.join(root, "client.js"), "w", encoding="utf-8") as f:
            f.write(readme_block("js", "WhoAmI"))
        p = run(["node", "client.js"], cwd=root, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        from harness import unit_pb2
        kind = unit_pb2.UnitKind.Name(unit_pb2.UNIT_KIND_DEPARTMENT)
        lines = p.stdout.split("\n")
        self.assertEqual(lines[0], "health SERVING")
        self.assertRegex(lines[1], r"^unit tax %s now \d{10}$" % kind)

    def test_a_js_date_for_occurred_at_is_refused_as_that_mistake(self):
        # The integration engineer's mistake: a Date where a Timestamp message is expected.
        # proto-loader sends it as an empty message; the node names the mistake. A real
        # timestamp in the same record is taken, and int64 amounts travel as strings.
        if not have_node_modules():
            self.skipTest(NO_NODE)
        f = harness.Fresh(uscc_base=920000)
        rec = harness.penalty_input(f.src("js"), harness.legal_subject(f.uscc()))
        as_json = json_format.MessageToDict(rec, preserving_proto_field_name=True)
        as_json.pop("occurred_at", None)
        crt, key = harness.cert_paths("market")
        env = dict(self.env, CREDIT_CERT=crt, CREDIT_KEY=key, RECORD=json.dumps(as_json))
        script = r"""
const fs = require("fs");
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");
const opts = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
               includeDirs: ["proto"] };
const credit = grpc.loadPackageDefinition(
    loader.loadSync(["credit/v1/record.proto"], opts)).credit.v1;
const env = process.env;
const creds = grpc.credentials.createSsl(fs.readFileSync(env.CREDIT_CA),
    fs.readFileSync(env.CREDIT_KEY), fs.readFileSync(env.CREDIT_CERT));
const stub = new credit.PublicCreditCollection(env.CREDIT_TARGET, creds);
const wrong = Object.assign(JSON.parse(env.RECORD), { occurred_at: new Date() });
const now = Date.now();
const right = Object.assign(JSON.parse(env.RECORD), {
  occurred_at: { seconds: String(Math.floor(now / 1000)), nanos: 0 } });
stub.PushBatch({ records: [wrong] }, (err, res) => {
  if (err) throw err;
  stub.PushBatch({ records: [right] }, (err2, res2) => {
    if (err2) throw err2;
    console.log(JSON.stringify([res.results[0], res2.results[0]]));
    process.exit(0);
  });
});
"""
        root = self.root()
        with open(os.path.join(root, "push.js"), "w", encoding="utf-8") as fh:
            fh.write(script)
        p = run(["node", "push.js"], cwd=root, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        wrong, right = json.loads(p.stdout)
        from harness import R
        self.assertEqual(wrong["outcome"], R.PushOutcome.Name(R.PUSH_OUTCOME_REJECTED))
        self.assertEqual(wrong["field"], "occurred_at")
        self.assertEqual(wrong["reason"],
                         "is 1970-01-01T00:00:00Z: a timestamp of 0 usually means the client "
                         "sent a Date or a number where a google.protobuf.Timestamp "
                         "{seconds, nanos} was expected")
        self.assertEqual(right["outcome"], R.PushOutcome.Name(R.PUSH_OUTCOME_CREATED), right)

    def test_the_readme_go_codegen_makes_every_file(self):
        for plugin in ("protoc-gen-go", "protoc-gen-go-grpc"):
            if not shutil.which(plugin):
                self.skipTest("%s is not installed (apt-get install %s)" % (plugin, plugin))
        root = self.root()
        cmd = readme_block("sh", "--go_out")
        p = run(cmd, cwd=root, shell=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""), cmd)
        made = sorted(os.listdir(os.path.join(root, "gen", "go", "credit", "v1")))
        for proto in os.listdir(os.path.join(PROTO_DIR, "credit", "v1")):
            self.assertIn(proto.replace(".proto", ".pb.go"), made)
        self.assertIn("unit_grpc.pb.go", made)


if __name__ == "__main__":
    unittest.main()
