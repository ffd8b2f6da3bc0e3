"""harness.py: drive the real creditd with Debian's python3-grpcio, a client we did not write.

What it gives the test modules:

- The generated Python modules for credit/v1/*.proto, grpc.health.v1 and both grpc.reflection
  versions, compiled once per process with grpc_tools.protoc into a temporary directory
  (Debian's grpcio ships neither grpc_health nor grpc_reflection). After `import harness`,
  `from credit.v1 import unit_pb2` and `from grpc.health.v1 import health_pb2` work.
- A fresh development PKI per test module (`setup_module()` / `teardown_module()`), made by
  certs/make-dev-certs.sh, with `issue_cert()` and `revoke_cert()` for its extra modes.
- `Node`: one creditd on 127.0.0.1:0 with its own data directory and stderr log. `stop()`
  insists on exit status 0, which also catches AddressSanitizer's leak report.
- `run_creditd()`: run creditd with arguments expected to be refused, without a port.
- `SharedNodeCase`: a TestCase base with one node for the whole class.
- `credit_services()`: every method of every credit.v1 service, from the compiled protos.
- `channel()`: a mutual-TLS channel for a unit code or a certificate path; `Stubs`, a base for a
  module's stubs of one unit, with the public collection and both tiers.
- Identifiers made from the standards (`make_uscc()`, `make_resident_id()`) and, per module,
  ones no other test uses (`Fresh`); the demo's `MARKET_USCC` and a representative's `REP_ID`.
- Dates and records: `utc_today()`, `recent_day()`, `pdate()`, `tstamp()`, `json_date()`;
  `legal_subject()`, `person_subject()`, `legal_ref()` and a valid `penalty_input()`;
  `RECORD_ID_RE` and `PushAssertions` (`assertResult()`, `assertRejected()` on push results).
- creditctl: `run_creditctl()` and `creditctl_as()`, `CtlModule` (a module's node and temporary
  directory), `CtlCase` (`assertExit()`, `push_summary()`) and `penalty_json()`, a penalty as
  creditctl's printer writes it.

Environment (set by ctest): CREDITD (the binary), CREDIT_SOURCE_DIR (the repository root),
CREDIT_DESC (the build's descriptor set; informational here).

Every call in these tests carries a timeout (CALL_TIMEOUT) so that nothing hangs.
"""

import calendar
import datetime
import itertools
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

CALL_TIMEOUT = 10.0  # seconds, for every RPC
START_TIMEOUT = 30.0  # seconds until "listening on ..." appears
STOP_TIMEOUT = 20.0  # seconds for a SIGTERM'd node to exit

CREDITD = os.environ.get("CREDITD", "")
SOURCE_DIR = os.environ.get("CREDIT_SOURCE_DIR", "")
CREDIT_DESC = os.environ.get("CREDIT_DESC", "")

GRPC_PROTO_DIR = "/usr/share/grpc-proto"


def _require_env():
    missing = [n for n, v in (("CREDITD", CREDITD), ("CREDIT_SOURCE_DIR", SOURCE_DIR)) if not v]
    if missing:
        raise RuntimeError("interop tests need the environment variable(s) %s (ctest sets them)"
                           % ", ".join(missing))
    if not os.access(CREDITD, os.X_OK):
        raise RuntimeError("CREDITD=%s is not an executable file" % CREDITD)
    if not os.path.isdir(os.path.join(SOURCE_DIR, "proto", "credit", "v1")):
        raise RuntimeError("CREDIT_SOURCE_DIR=%s has no proto/credit/v1" % SOURCE_DIR)


_require_env()

# --- Generated code ---------------------------------------------------------------------------

_GEN_DIR = tempfile.mkdtemp(prefix="credit-interop-gen-")


def _remove_gen_dir():
    shutil.rmtree(_GEN_DIR, ignore_errors=True)


import atexit  # noqa: E402  (kept beside its only use)

atexit.register(_remove_gen_dir)


def _compile_protos():
    import grpc_tools
    from grpc_tools import protoc

    bundled = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    proto_root = os.path.join(SOURCE_DIR, "proto")
    credit_dir = os.path.join(proto_root, "credit", "v1")
    files = sorted("credit/v1/" + f for f in os.listdir(credit_dir) if f.endswith(".proto"))
    files += [
        "grpc/health/v1/health.proto",
        "grpc/reflection/v1/reflection.proto",
        "grpc/reflection/v1alpha/reflection.proto",
    ]
    args = [
        "grpc_tools.protoc",
        "-I" + proto_root,
        "-I" + GRPC_PROTO_DIR,
        "-I" + bundled,
        "--python_out=" + _GEN_DIR,
        "--grpc_python_out=" + _GEN_DIR,
    ] + files
    rc = protoc.main(args)
    if rc != 0:
        raise RuntimeError("grpc_tools.protoc failed (%d) on %s" % (rc, " ".join(files)))
    # Regular packages everywhere, so that nothing depends on namespace-package lookup.
    for dirpath, _dirs, names in os.walk(_GEN_DIR):
        if dirpath != _GEN_DIR and "__init__.py" not in names:
            open(os.path.join(dirpath, "__init__.py"), "w").close()
    sys.path.insert(0, _GEN_DIR)
    # grpc is Debian's package; let grpc.health / grpc.reflection come from our directory.
    grpc.__path__.append(os.path.join(_GEN_DIR, "grpc"))


_compile_protos()

# Re-exported for the test modules.
from credit.v1 import unit_pb2, unit_pb2_grpc  # noqa: E402,F401
from grpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402,F401
# For the record builders and Stubs below.
from credit.v1 import record_pb2 as R  # noqa: E402
from credit.v1 import record_pb2_grpc as R_grpc  # noqa: E402
from credit.v1 import sharing_pb2_grpc as S_grpc  # noqa: E402

# --- Certificates -----------------------------------------------------------------------------

CERT_SCRIPT = os.path.join(SOURCE_DIR, "certs", "make-dev-certs.sh")
DEMO_UNITS_TSV = os.path.join(SOURCE_DIR, "certs", "demo-units.tsv")


class _Module:
    """The per-module state: a temporary directory holding the PKI and the nodes' files."""
    workdir = None
    tls = None


_state = _Module()


def _run_script(*args):
    p = subprocess.run(["bash", CERT_SCRIPT] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("make-dev-certs.sh %s failed (%d):\n%s%s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def setup_module():
    """Call from setUpModule: a fresh temporary directory and a fresh PKI in <tmp>/tls."""
    _state.workdir = tempfile.mkdtemp(prefix="credit-interop-")
    _state.tls = os.path.join(_state.workdir, "tls")
    _run_script(_state.tls)


def teardown_module():
    """Call from tearDownModule. Set CREDIT_KEEP_TMP=1 to keep the directory for a post-mortem.
    Prints what the tests observed (observe()) and any tolerated exit-status noise."""
    if _state.workdir and not os.environ.get("CREDIT_KEEP_TMP"):
        shutil.rmtree(_state.workdir, ignore_errors=True)
    _state.workdir = None
    _state.tls = None
    seen = OBSERVED + ["tolerated: " + k for k in KNOWN_BENIGN]
    if seen:
        sys.stderr.write("\nobserved:\n" + "".join("  - %s\n" % o for o in seen))
    del OBSERVED[:]
    del KNOWN_BENIGN[:]


# What the tests saw where more than one answer is acceptable; printed at the end of the module.
OBSERVED = []


def observe(what):
    OBSERVED.append(what)


# --- Identifiers, written from the standards (not from the server) ---------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(first16):
    """Completes 16 characters into an 18-character USCC: the organisation-code check
    (GB 11714, weights 3 7 9 10 5 8 4 2) then the code's check (GB 32100, weights 3^i mod 31)."""
    org_weights = [3, 7, 9, 10, 5, 8, 4, 2]

    def org_value(c):
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    oc = 11 - sum(org_value(first16[8 + i]) * org_weights[i] for i in range(8)) % 11
    s17 = first16 + {10: "X", 11: "0"}.get(oc, str(oc))
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(s17))
    return s17 + USCC_ALPHABET[(31 - total % 31) % 31]


def make_resident_id(first17):
    """Completes 17 digits into a resident identity number (GB 11643, ISO 7064 MOD 11-2)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def tls_dir():
    assert _state.tls, "harness.setup_module() was not called"
    return _state.tls


def new_dir(prefix):
    """A new empty directory inside the module's temporary directory."""
    assert _state.workdir, "harness.setup_module() was not called"
    return tempfile.mkdtemp(prefix=prefix + "-", dir=_state.workdir)


def copy_tls(prefix="tls-copy"):
    """A private copy of the module's TLS directory (CA database included, symlinks kept)."""
    dst = os.path.join(new_dir(prefix), "tls")
    shutil.copytree(tls_dir(), dst, symlinks=True)
    return dst


def issue_cert(name, uri, tls=None):
    """make-dev-certs.sh --issue: returns the path of <tls>/extra/<name>.crt (uri "-": no SAN)."""
    tls = tls or tls_dir()
    _run_script("--issue", tls, name, uri)
    return os.path.join(tls, "extra", name + ".crt")


def revoke_cert(cert_path, tls=None):
    """make-dev-certs.sh --revoke: revokes the certificate and atomically rewrites the CRL."""
    _run_script("--revoke", tls or tls_dir(), cert_path)


def demo_units():
    """The demo units as (code, kind name, uscc or '', name), in file order (a fifth column,
    the categories a unit is responsible for, is left out)."""
    units = []
    with open(DEMO_UNITS_TSV, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            code, kind, uscc, name = line.split("\t")[:4]
            units.append((code, kind, "" if uscc == "-" else uscc, name))
    return units


def cert_paths(who, tls=None):
    """(cert, key) for a unit code ("office" -> units/office.crt), a path relative to the TLS
    directory without suffix ("bad/foreign", "extra/partner"), or a path to a .crt file."""
    tls = tls or tls_dir()
    if who.endswith(".crt"):
        crt = who if os.path.isabs(who) else os.path.join(tls, who)
    elif "/" in who:
        crt = os.path.join(tls, who + ".crt")
    else:
        crt = os.path.join(tls, "units", who + ".crt")
    key = crt[:-len(".crt")] + ".key"
    if not os.path.isfile(crt) or not os.path.isfile(key):
        raise AssertionError("no certificate/key pair for %r (%s)" % (who, crt))
    return crt, key


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# Every channel gets its own subchannel pool, so that a new channel is a new TLS connection
# (the core would otherwise share connections between channels with equal arguments).
_CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]


def channel(port, who="office", tls=None, client_cert=True, host="localhost"):
    """A mutual-TLS channel to the node for `who` (see cert_paths). client_cert=False: trust the
    CA but present no certificate. Close it (or use it as a context manager) when done."""
    tls = tls or tls_dir()
    ca = _read(os.path.join(tls, "ca.crt"))
    if client_cert:
        crt, key = cert_paths(who, tls)
        creds = grpc.ssl_channel_credentials(ca, _read(key), _read(crt))
    else:
        creds = grpc.ssl_channel_credentials(ca)
    return grpc.secure_channel("%s:%d" % (host, port), creds, options=_CHANNEL_OPTIONS)


def insecure_channel(port):
    return grpc.insecure_channel("127.0.0.1:%d" % port, options=_CHANNEL_OPTIONS)


def registry(ch):
    return unit_pb2_grpc.UnitRegistryStub(ch)


def health(ch):
    return health_pb2_grpc.HealthStub(ch)


def credit_services():
    """Every (service descriptor, method descriptor, client_streaming, server_streaming) of
    package credit.v1, from the modules compiled from proto/credit/v1 (so a method added to
    the protos is in the list)."""
    import importlib
    from google.protobuf import descriptor_pb2
    out = []
    proto_dir = os.path.join(SOURCE_DIR, "proto", "credit", "v1")
    for name in sorted(os.listdir(proto_dir)):
        if not name.endswith(".proto"):
            continue
        mod = importlib.import_module("credit.v1.%s_pb2" % name[:-len(".proto")])
        for svc in mod.DESCRIPTOR.services_by_name.values():
            for m in svc.methods:
                mp = descriptor_pb2.MethodDescriptorProto()
                m.CopyToProto(mp)
                out.append((svc, m, mp.client_streaming, mp.server_streaming))
    return out


def raw_unary(ch, path):
    """A unary call on `path` that sends and returns raw bytes."""
    return ch.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)


def call_error(fn, *args, **kwargs):
    """Runs an RPC that must fail; returns its grpc.RpcError (fails the test if it succeeds)."""
    kwargs.setdefault("timeout", CALL_TIMEOUT)
    try:
        resp = fn(*args, **kwargs)
    except grpc.RpcError as e:
        return e
    raise AssertionError("the call succeeded but should have failed; it returned %r" % (resp,))


class InteropCase(unittest.TestCase):
    """Assertions shared by the interop tests."""

    maxDiff = None

    def assertRpcFails(self, code, fn, *args, contains=(), **kwargs):
        """The RPC fails with `code` and its details contain every string of `contains`.
        Returns the error."""
        err = call_error(fn, *args, **kwargs)
        self.assertEqual(err.code(), code, "expected %s, got %s: %r"
                         % (code.name, err.code().name, err.details()))
        details = err.details() or ""
        for s in ([contains] if isinstance(contains, str) else contains):
            self.assertIn(s, details, "status details %r should name %r" % (details, s))
        return err


class Stubs:
    """One unit's stubs on one node's port, over one channel `ch` (closed by close(), or at the
    end of a with block): collect (PublicCreditCollection), open (OpenQuery) and gov
    (GovernmentSharing). A module's subclass adds the stubs and calls of its own services."""

    def __init__(self, port, who, tls=None):
        self.who = who
        self.ch = channel(port, who, tls=tls)
        self.collect = R_grpc.PublicCreditCollectionStub(self.ch)
        self.open = S_grpc.OpenQueryStub(self.ch)
        self.gov = S_grpc.GovernmentSharingStub(self.ch)

    def close(self):
        self.ch.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def push(self, *records):
        """PushBatch of public-catalogue records."""
        return self.collect.PushBatch(R.PushBatchRequest(records=list(records)),
                                      timeout=CALL_TIMEOUT)

    def list_all(self, tier, ref, catalogues=(), sections=(), categories=(), page_size=0):
        """Every record of a subject in the tier ("gov" or "open"), following next_page_token."""
        stub = self.gov if tier == "gov" else self.open
        out, token = [], ""
        for _ in range(1000):
            resp = stub.ListRecords(
                R.ListRecordsRequest(subject=ref, catalogues=list(catalogues),
                                     sections=list(sections), categories=list(categories),
                                     page_size=page_size, page_token=token),
                timeout=CALL_TIMEOUT)
            out.extend(resp.records)
            token = resp.next_page_token
            if not token:
                return out
        raise AssertionError("ListRecords never returned an empty next_page_token")


# --- Fresh identifiers, dates and records ------------------------------------------------------

MARKET_USCC = "11500227MB1607285C"  # the market bureau's own (certs/demo-units.tsv)
REP_ID = "500120199310080297"       # a legal representative (a valid GB 11643 number)


class Fresh:
    """Identifiers no other test of a module uses, all numbered by one counter of the module's
    own, so that a module makes the same ones in the same order however it is run. USCCs are
    companies (91) in the district (500227) numbered from uscc_base + 1; resident identity
    numbers are born on day 1 to 28 of the month `born` (YYYYMM). A module keeps one and takes
    its methods as functions:

        _fresh = harness.Fresh(uscc_base=100000)
        fresh_uscc = _fresh.uscc
    """

    def __init__(self, uscc_base, born="198001"):
        self._serial = itertools.count(1)
        self.uscc_base = uscc_base
        self.born = born

    def number(self):
        """The counter's next number, for what a module numbers itself."""
        return next(self._serial)

    def uscc(self):
        """A valid USCC: a company (91) in the district (500227)."""
        return make_uscc("91500227MA%06d" % (self.number() + self.uscc_base))

    def person_id(self):
        """A valid resident identity number."""
        n = self.number()
        return make_resident_id("500120%s%02d%03d" % (self.born, 1 + n % 28, n % 1000))

    def src(self, prefix):
        """A source record id, <prefix>-<number>."""
        return "%s-%d" % (prefix, self.number())


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def recent_day(days_ago=30):
    """The day `days_ago` days before today, on a day <= 28 so that month arithmetic is plain
    (by default a decision date well in the past)."""
    d = utc_today() - datetime.timedelta(days=days_ago)
    return d.replace(day=min(d.day, 28))


def pdate(d):
    """A datetime.date as a credit.v1.Date."""
    return R.Date(year=d.year, month=d.month, day=d.day)


def tstamp(d):
    """09:00 UTC on day d."""
    return timestamp_pb2.Timestamp(seconds=calendar.timegm(d.timetuple()) + 9 * 3600)


def json_date(d):
    """A datetime.date as proto3 JSON writes a credit.v1.Date."""
    return {"year": d.year, "month": d.month, "day": d.day}


def legal_subject(uscc, rep_id=REP_ID, name="璧山测试有限公司 Test Co"):
    """A company with its legal representative."""
    return R.Subject(kind=R.SUBJECT_KIND_LEGAL_PERSON, name=name, identifier=uscc,
                     legal_representative="张三 Zhang San",
                     legal_representative_id_type=R.ID_TYPE_RESIDENT_ID,
                     legal_representative_id_number=rep_id)


def person_subject(resident_id, name="李四 Li Si"):
    return R.Subject(kind=R.SUBJECT_KIND_NATURAL_PERSON, name=name, identifier=resident_id)


def legal_ref(uscc):
    return R.SubjectRef(kind=R.SUBJECT_KIND_LEGAL_PERSON, identifier=uscc)


RECORD_ID_RE = re.compile(r"^[0-9a-f]{32}$")  # a record id: 32 lower-case hex digits


class PushAssertions:
    """A TestCase mixin: assertions on one result (credit.v1.PushResult) of a pushed batch."""

    def assertResult(self, res, index, outcome, version=None, record_id=None):
        """Record `index` was taken with `outcome` (and `version` and `record_id`, if given)."""
        what = "result %d: %s" % (index, res)
        self.assertEqual(res.index, index, what)
        self.assertEqual(R.PushOutcome.Name(res.outcome), R.PushOutcome.Name(outcome), what)
        self.assertRegex(res.record_id, RECORD_ID_RE, what)
        if version is not None:
            self.assertEqual(res.version, version, what)
        if record_id is not None:
            self.assertEqual(res.record_id, record_id, what)

    def assertRejected(self, res, index, code, field):
        """Record `index` was PUSH_OUTCOME_REJECTED with status `code` on `field`, giving a reason."""
        what = "result %d: %s" % (index, res)
        self.assertEqual(res.index, index, what)
        self.assertEqual(R.PushOutcome.Name(res.outcome), "PUSH_OUTCOME_REJECTED", what)
        self.assertEqual(res.code, code.value[0], "%s: code should be %s" % (what, code.name))
        self.assertEqual(res.field, field, what)
        self.assertTrue(res.reason.strip(), "%s: no reason" % what)
        self.assertEqual(res.record_id, "", what)


def penalty_input(src, subject, severity=R.SEVERITY_GENERAL, decision=None, end=None, fine=500000,
                  unit_uscc=MARKET_USCC, authority="区市场监督管理局",
                  facts="在经营场所发布虚假广告"):
    """A valid penalty of `subject` as the market bureau pushes it (another unit: unit_uscc and
    authority), decided on `decision` (default: 30 days ago, recent_day()), its publicity
    ending on `end` (default: none given, so the node's default applies)."""
    decision = decision or recent_day(30)
    pen = R.Penalty(
        decision_document_number="璧罚〔%s〕" % src, violation_type="虚假宣传",
        violation_facts=facts, legal_basis="《广告法》第五十五条",
        penalty_category="罚款", content="罚款人民币5000元", fine_amount_fen=fine,
        decision_date=pdate(decision), authority=authority, authority_uscc=unit_uscc,
        source_unit_uscc=unit_uscc, severity=severity)
    if end is not None:
        pen.publicity_end_date.CopyFrom(pdate(end))
    return R.PublicRecordInput(source_record_id=src, category=R.CATEGORY_PENALTY,
                               subject=subject, occurred_at=tstamp(decision), penalty=pen)


# --- The node ---------------------------------------------------------------------------------

def _log_tail(path, limit=12000):
    try:
        with open(path, "r", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return "(no log: %s)" % e
    if len(text) > limit:
        text = "...\n" + text[-limit:]
    return text


# --- Known, benign exit-status noise -----------------------------------------------------------
#
# Now and then (a few nodes in a hundred) LeakSanitizer reports exactly this at creditd's exit,
# with nothing else:
#     Direct leak of 904 byte(s) in 1 object(s) allocated from:
#         #0 ... in __interceptor_malloc
#         #1 ... in CRYPTO_zalloc (libcrypto.so.3)
# 904 bytes is OpenSSL 3.0's per-thread error queue (ERR_STATE, made on a thread's first
# ERR_* call; under gdb every 904-byte CRYPTO_zalloc in creditd comes from ERR_clear_error or
# ERR_set_mark, on gRPC core threads doing TLS handshakes). OpenSSL frees it from a pthread key
# destructor when the thread exits; a gRPC core thread that is still exiting when the process
# ends has already left its pool but not yet run that destructor, so LeakSanitizer finds the
# block unreachable. It does not grow with traffic and is not creditd's memory. Only this exact
# report is tolerated (recorded in KNOWN_BENIGN); any other leak or sanitizer error fails.

KNOWN_BENIGN = []

_ERR_STATE_BYTES = 904


def only_openssl_thread_state_leak(stderr_text):
    """True if the sanitizer output in stderr_text is only LeakSanitizer blocks of 904-byte
    objects allocated straight from CRYPTO_zalloc (see above)."""
    marker = "ERROR: LeakSanitizer: detected memory leaks"
    if stderr_text.count("==ERROR:") != 1 or marker not in stderr_text:
        return False
    report = stderr_text[stderr_text.index(marker) + len(marker):]
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of )", report)
    found = 0
    for block in blocks[1:]:
        m = re.match(r"(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\)", block)
        if not m or m.group(1) != "Direct":
            return False
        if int(m.group(2)) != _ERR_STATE_BYTES * int(m.group(3)):
            return False
        frames = re.findall(r"^\s*#\d+ 0x[0-9a-f]+ (?:in )?(.*)$", block, re.M)
        if len(frames) != 2 or "malloc" not in frames[0] or \
                not frames[1].startswith("CRYPTO_zalloc ") or "libcrypto" not in frames[1]:
            return False
        found += 1
    return found > 0


class Node:
    """One creditd process. Use as a context manager or call stop() (or kill9()) yourself.

    data: the data directory (default: a new one); tls: the TLS directory (default: the module's);
    extra: more flags; env: the process's environment (default: this one's). The process's
    stderr goes to <dir>/creditd.log (self.log).
    """

    def __init__(self, extra=(), data=None, tls=None, name="node", env=None):
        self.dir = new_dir(name)
        self.data = data or os.path.join(self.dir, "data")
        self.tls = tls or tls_dir()
        self.extra = list(extra)
        self.env = env
        self.log = os.path.join(self.dir, "creditd.log")
        self.proc = None
        self.port = None
        self.pid = None
        self.start()

    def argv(self):
        return [CREDITD, "--listen", "127.0.0.1:0", "--data", self.data, "--tls", self.tls] + \
            self.extra

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "node already running"
        logf = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=logf, env=self.env)
        finally:
            logf.close()
        self.pid = self.proc.pid
        self.port = None
        lines = queue.Queue()
        stdout = self.proc.stdout

        def pump():  # reads stdout to the end, so the node can never block on a full pipe
            for raw in iter(stdout.readline, b""):
                lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
            lines.put(None)
            stdout.close()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill9()
                raise AssertionError("creditd printed no 'listening on' line within %.0f s;"
                                     " stdout %r; stderr:\n%s" % (START_TIMEOUT, seen,
                                                                 _log_tail(self.log)))
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
                raise AssertionError("creditd exited with %s before listening; stdout %r;"
                                     " stderr:\n%s" % (rc, seen, _log_tail(self.log)))
            seen.append(line)
            if line.startswith("listening on 127.0.0.1:"):
                self.port = int(line.rsplit(":", 1)[1])
                return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        os.kill(self.pid, sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; returns its exit status. Kills it and fails on timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError("creditd (pid %d) did not exit within %.0f s of SIGTERM;"
                                 " stderr:\n%s" % (self.pid, timeout, _log_tail(self.log)))

    def stop(self):
        """SIGTERM, then the exit status must be 0 (AddressSanitizer's leak report makes it
        non-zero). Returns the time it took. A node already stopped is left alone."""
        if not self.running():
            return 0.0
        t0 = time.monotonic()
        self.signal(signal.SIGTERM)
        rc = self.wait_exit()
        took = time.monotonic() - t0
        self.check_exit(rc)
        return took

    def check_exit(self, rc):
        if rc == 0:
            return
        text = self.stderr_text()
        if only_openssl_thread_state_leak(text):
            KNOWN_BENIGN.append("pid %d (%s): exit status %s from LeakSanitizer reporting only"
                                " OpenSSL per-thread error state (904-byte ERR_STATE)"
                                % (self.pid, os.path.basename(self.dir), rc))
            return
        raise AssertionError("creditd (pid %d) exited with status %s, not 0; stderr:\n%s"
                             % (self.pid, rc, _log_tail(self.log)))

    def kill9(self):
        """SIGKILL and reap, for crash tests (and cleanup)."""
        if self.running():
            self.proc.kill()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def stderr_text(self):
        return _log_tail(self.log, limit=1 << 20)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.kill9()  # the test already failed; do not pile a second error on it
            return False
        self.stop()
        return False


def run_creditd(args, timeout=START_TIMEOUT):
    """Runs creditd with `args` (the binary is prepended) where it is expected to refuse to
    start. Returns (exit status, stdout, stderr). A process still running at the timeout is
    killed and fails the test (it was listening when it should not have)."""
    p = subprocess.Popen([CREDITD] + list(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError("creditd %s was still running after %.0f s; stdout %r stderr %r"
                             % (" ".join(args), timeout, out, err))
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


class SharedNodeCase(InteropCase):
    """One node for the whole class (started in setUpClass with the flags NODE_FLAGS, stopped
    with exit status 0 in tearDownClass)."""

    NODE_FLAGS = ()
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = Node(extra=cls.NODE_FLAGS, name=cls.__name__)

    @classmethod
    def tearDownClass(cls):
        if cls.node is not None:
            cls.node.stop()


# --- creditctl ---------------------------------------------------------------------------------

CREDITCTL = os.path.join(os.path.dirname(os.path.dirname(CREDITD)), "tools", "creditctl")
CREDITCTL_TIMEOUT = 30.0  # seconds for one run, under AddressSanitizer

# The first line of `creditctl push` of records: pushed, accepted (created, unchanged, new
# versions), rejected.
PUSH_SUMMARY_RE = re.compile(r"^pushed (\d+) records: (\d+) accepted \((\d+) created, "
                             r"(\d+) unchanged, (\d+) new versions\), (\d+) rejected$")


def require_creditctl():
    if not os.access(CREDITCTL, os.X_OK):
        raise RuntimeError("creditctl not built at %s" % CREDITCTL)


def ctl_env(extra=None):
    """The environment for creditctl: ours without CREDIT_TARGET/CA/CERT/KEY, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CREDIT_TARGET", "CREDIT_CA", "CREDIT_CERT", "CREDIT_KEY")}
    env.update(extra or {})
    return env


def ctl_flags(port, who):
    """--target --ca --cert --key for unit `who` against the node on `port` (an address, not a
    host name: resolving one goes through c-ares, which LeakSanitizer reports at exit)."""
    crt, key = cert_paths(who)
    return ["--target", "127.0.0.1:%d" % port, "--ca", os.path.join(tls_dir(), "ca.crt"),
            "--cert", crt, "--key", key]


def run_creditctl(args, env=None, stdin_text=None):
    """Runs creditctl with `args`; returns (exit status, stdout, stderr). Fails on any
    sanitizer report but the known OpenSSL per-thread state, which is recorded and the run
    repeated once."""
    argv = [CREDITCTL] + list(args)
    data = stdin_text.encode("utf-8") if stdin_text is not None else None
    for attempt in range(2):
        p = subprocess.run(argv, input=data,
                           stdin=subprocess.DEVNULL if data is None else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env if env is not None else ctl_env(), timeout=CREDITCTL_TIMEOUT)
        out = p.stdout.decode("utf-8")
        err = p.stderr.decode("utf-8", "replace")
        if "Sanitizer" not in err:
            return p.returncode, out, err
        if attempt == 0 and only_openssl_thread_state_leak(err):
            KNOWN_BENIGN.append("creditctl %s: OpenSSL per-thread error state" % args)
            continue
        raise AssertionError("creditctl %s: sanitizer report:\n%s" % (" ".join(args), err))
    raise AssertionError("unreachable")


def creditctl_as(port, who, args, env=None, stdin_text=None):
    """run_creditctl() as unit `who` against the node on `port` (ctl_flags() before `args`)."""
    return run_creditctl(ctl_flags(port, who) + list(args), env=env, stdin_text=stdin_text)


class CtlModule:
    """A creditctl test module's state: one node (`node`) and a temporary directory (`tmp`).
    Call setup() from setUpModule (it also makes the module's PKI) and teardown() from
    tearDownModule. A module may subclass it for state of its own."""

    def __init__(self, name):
        self.name = name
        self.node = None
        self.tmp = None

    def setup(self):
        setup_module()
        require_creditctl()
        self.tmp = tempfile.mkdtemp(prefix=self.name + "-")
        self.node = Node(name=self.name)

    def teardown(self):
        try:
            if self.node is not None:
                self.node.stop()  # insists on exit status 0
        finally:
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)
            teardown_module()

    def write(self, name, text):
        """Writes `text` as it is (no newline translation) to <tmp>/name; returns the path."""
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def write_lines(self, name, lines):
        """Writes `lines`, each ended by a newline, to <tmp>/name; returns the path."""
        return self.write(name, "\n".join(lines) + "\n")


class CtlCase(InteropCase):
    """Assertions on creditctl runs."""

    def assertExit(self, want, result, args, who=None):
        """`result`, the (exit status, stdout, stderr) of creditctl `args` (run as `who`, if
        given, for the message), has exit status `want`. Returns (stdout, stderr)."""
        rc, out, err = result
        self.assertEqual(rc, want, "creditctl %s%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(args), "" if who is None else " (as %s)" % who, rc, want,
                            out, err))
        return out, err

    def push_summary(self, out):
        """The numbers of the first line of `creditctl push` output (PUSH_SUMMARY_RE)."""
        m = PUSH_SUMMARY_RE.match(out.splitlines()[0])
        self.assertIsNotNone(m, out)
        return tuple(int(x) for x in m.groups())


def penalty_json(src, uscc, name, facts="在经营场所发布虚假广告", fine="500000"):
    """A SEVERITY_GENERAL penalty of company `uscc` (named `name`) decided 30 days ago by the market
    bureau, as creditctl's printer writes it (proto3 JSON: lowerCamelCase, enum names, int64 as
    a string)."""
    d = recent_day(30)
    return {
        "sourceRecordId": src, "category": "CATEGORY_PENALTY",
        "subject": {"kind": "SUBJECT_KIND_LEGAL_PERSON", "name": name, "identifier": uscc,
                    "legalRepresentative": "张三 Zhang San",
                    "legalRepresentativeIdType": "ID_TYPE_RESIDENT_ID",
                    "legalRepresentativeIdNumber": REP_ID},
        "occurredAt": "%sT09:00:00Z" % d.isoformat(),
        "penalty": {
            "decisionDocumentNumber": "璧罚〔%s〕" % src, "violationType": "虚假宣传",
            "violationFacts": facts, "legalBasis": "《广告法》第五十五条",
            "penaltyCategory": "罚款", "content": "罚款人民币5000元", "fineAmountFen": fine,
            "decisionDate": json_date(d), "authority": "区市场监督管理局",
            "authorityUscc": MARKET_USCC, "sourceUnitUscc": MARKET_USCC,
            "severity": "SEVERITY_GENERAL"}}
