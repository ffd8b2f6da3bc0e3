"""test_log_injection.py: no value from outside can forge a line of creditd's log.

Every field that reaches the structured log from outside is driven with hostile text: a newline
followed by a fake `ts=... level=error event=...` line, CR, ESC sequences, quotes, `=`, spaces,
a Unicode line separator and invalid UTF-8. The fields: a unit's suspension reason (logged
when the suspended unit is refused), IndustrialDataCollection/ListOptIns's `platform` (logged
in the refusal of a platform naming another), a client certificate's identity (logged when
the identity is unknown) and the method path (logged when no service has it); and the gRPC
core's own lines, about handshakes that fail, go through the same logger.

What must hold (README, "Logs"): every line of the node's stderr starts with `ts=`, is valid
UTF-8 and splits into key=value pairs; no line is the fake one; and each hostile value that
is logged decodes back from its line to exactly what was sent. The node may refuse a hostile
value at the door instead (input text checks): that is fine, but what it logs about the
refused call must still be one line per event.

Strings with invalid UTF-8 cannot be made by python-grpcio's message classes, so requests are
encoded by hand and sent as raw bytes.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_log_injection
"""

import re
import socket
import time
import unittest

import grpc

import harness
from harness import CALL_TIMEOUT, InteropCase, unit_pb2

SC = grpc.StatusCode
K = unit_pb2

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

FORGED = b"forged"  # the event of every fake line
REFUSALS = (SC.UNAUTHENTICATED, SC.PERMISSION_DENIED, SC.UNIMPLEMENTED)


def fake_line(tag):
    """Text that, written raw, ends the line and starts a fake one (short enough for fields
    the node cuts at 64 bytes)."""
    return b"%s\nts=2026-01-01T00:00:00Z level=error event=%s" % (tag, FORGED)


# Hostile tails, each after a fake line: the ways a raw value breaks a line or its pairs.
HOSTILE_TAILS = [
    b"\r\n",
    b" \x1b[2J\x1b[31m red \x1b]0;title\x07",
    b' "q"=v key=value \\ \t',
    b" \xe2\x80\xa8 \xe2\x80\xae \xc2\x85",
    b" \xff\xfe \xc3( \xed\xa0\x80",
]


def encode_string_field(number, value):
    """One length-delimited protobuf field (value: bytes, any bytes)."""
    out = bytes([number << 3 | 2])
    n = len(value)
    while n >= 0x80:
        out += bytes([(n & 0x7f) | 0x80])
        n >>= 7
    return out + bytes([n]) + value


# --- The log as log.h writes it ----------------------------------------------------------------

_PAIR = re.compile(rb'([^\s="\\]+)=("(?:[^"\\\x00-\x1f\x7f]|\\["\\nrt]|\\x[0-9a-f]{2})*"'
                   rb'|[^\s"=\\\x00-\x1f\x7f]+)')
_ESCAPE = re.compile(rb'\\(["\\nrt]|x[0-9a-f]{2})')
_SIMPLE = {b'"': b'"', b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t"}


def _unescape(m):
    e = m.group(1)
    return _SIMPLE[e] if len(e) == 1 else bytes([int(e[1:], 16)])


def parse_line(line):
    """The (key, value bytes) pairs of one log line (without its newline); raises ValueError
    naming what is wrong if it is not key=value pairs separated by single spaces."""
    pairs, pos = [], 0
    while True:
        m = _PAIR.match(line, pos)
        if not m:
            raise ValueError("no key=value at byte %d" % pos)
        value = m.group(2)
        if value.startswith(b'"'):
            value = _ESCAPE.sub(_unescape, value[1:-1])
        pairs.append((m.group(1), value))
        pos = m.end()
        if pos == len(line):
            return pairs
        if line[pos:pos + 1] != b" ":
            raise ValueError("no space after %r at byte %d" % (m.group(1), pos))
        pos += 1


class LogInjectionTests(InteropCase):
    """One node at --log-level debug, so that every line the node can write is written."""

    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = harness.Node(extra=["--log-level", "debug"], name=cls.__name__)

    @classmethod
    def tearDownClass(cls):
        if cls.node is not None:
            cls.node.stop()
            # The lines of the stop itself, and the core's, obey the same rules.
            cls.check_log_text(cls.node)

    def setUp(self):
        # Each test judges the lines written from its start, so one failure does not cascade;
        # tearDownClass judges the whole log.
        self.log_start = len(self.log_bytes())

    # --- Helpers ---

    def raw(self, who, path, body):
        """A unary call with raw request bytes; returns (status code, details)."""
        with harness.channel(self.node.port, who) as ch:
            try:
                harness.raw_unary(ch, path)(body, timeout=CALL_TIMEOUT)
                return SC.OK, ""
            except grpc.RpcError as e:
                return e.code(), e.details() or ""

    def log_bytes(self):
        with open(self.node.log, "rb") as f:
            return f.read()

    def wait_for(self, tag, timeout=10.0):
        """Waits until the log holds `tag` (a call's line is written when the call ends, which
        may be just after the client has its status)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if tag in self.log_bytes():
                return
            time.sleep(0.05)
        self.fail("no log line holds %r; log:\n%s" % (tag, self.node.stderr_text()))

    @staticmethod
    def check_log_text(node, start=0):
        """Every line from byte `start`: starts with ts=, is UTF-8 without C1 controls or line
        separators, parses into pairs, and is not a fake one. Returns the parsed lines."""
        with open(node.log, "rb") as f:
            data = f.read()[start:]
        if data and not data.endswith(b"\n"):
            raise AssertionError("the log does not end with a newline")
        parsed = []
        for i, line in enumerate(data.split(b"\n")[:-1]):
            where = "log line %d: %r" % (i + 1, line)
            if not line.startswith(b"ts="):
                raise AssertionError("%s does not start with ts=" % where)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:
                raise AssertionError("%s is not UTF-8: %s" % (where, e))
            if re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text):
                raise AssertionError("%s holds a raw control or separator character" % where)
            try:
                pairs = parse_line(line)
            except ValueError as e:
                raise AssertionError("%s does not parse: %s" % (where, e))
            keys = [k for k, _ in pairs]
            if keys[:3] != [b"ts", b"level", b"event"]:
                raise AssertionError("%s does not begin ts= level= event=" % where)
            if dict(pairs)[b"event"] == FORGED:
                raise AssertionError("%s is a forged line" % where)
            parsed.append(pairs)
        return parsed

    def assertLogged(self, tag, value, keys):
        """The log parses; exactly one line mentions `tag`, and in it the value of one of `keys`
        holds `value` byte for byte."""
        self.wait_for(tag)
        lines = [p for p in self.check_log_text(self.node, self.log_start)
                 if any(tag in v for _, v in p)]
        self.assertEqual(len(lines), 1, "lines mentioning %r: %r" % (tag, lines))
        values = [v for k, v in lines[0] if k in keys]
        self.assertTrue(any(value in v for v in values),
                        "%r is in none of %r of %r" % (value, keys, lines[0]))

    # --- Each field that reaches the log from outside ---

    def suspend_and_be_refused(self, unit, reason, tag):
        code, details = self.raw("office", "/credit.v1.UnitRegistry/SuspendUnit",
                                 encode_string_field(1, unit.encode()) +
                                 encode_string_field(2, reason))
        if code != SC.OK:
            # Refused at the door by the registry's text checks: nothing stored to forge with.
            self.assertEqual(code, SC.INVALID_ARGUMENT, details)
            harness.observe("SuspendUnit refused a hostile reason: %s" % details)
            self.check_log_text(self.node, self.log_start)
            return
        try:
            with harness.channel(self.node.port, unit) as ch:
                self.assertRpcFails(SC.PERMISSION_DENIED, harness.registry(ch).WhoAmI,
                                    K.WhoAmIRequest(), contains="suspended")
            self.assertLogged(tag, reason, (b"reason",))
        finally:
            with harness.channel(self.node.port, "office") as ch:
                harness.registry(ch).ReinstateUnit(
                    K.ReinstateUnitRequest(code=unit, reason="log test done"),
                    timeout=CALL_TIMEOUT)

    def test_suspension_reason_with_a_fake_line_is_one_value_of_one_line(self):
        for i, tail in enumerate(HOSTILE_TAILS):
            with self.subTest(tail=tail):
                tag = b"susp-%d" % i
                self.suspend_and_be_refused("tax", fake_line(tag) + tail, tag)

    def test_list_opt_ins_platform_is_one_value_of_one_line(self):
        for i, tail in enumerate(HOSTILE_TAILS):
            with self.subTest(tail=tail):
                tag = b"plat-%d" % i
                # The node names at most 64 bytes of the platform: keep the fake line whole.
                platform = fake_line(tag) + tail[:2]
                code, details = self.raw("ind-platform",
                                         "/credit.v1.IndustrialDataCollection/ListOptIns",
                                         encode_string_field(1, platform))
                self.assertNotEqual(code, SC.OK, details)
                if code in REFUSALS:
                    self.assertLogged(tag, platform, (b"reason",))
                else:
                    harness.observe("ListOptIns refused a hostile platform: %s %s"
                                    % (code.name, details))
                    self.check_log_text(self.node, self.log_start)

    def test_certificate_identity_with_a_fake_line_is_one_value_of_one_line(self):
        # An IA5String: no invalid UTF-8 here, but a newline, CR, ESC, quotes and `=` pass.
        tag = b"cert-ident"
        uri = (b"urn:credit:unit:" + fake_line(tag) + b' "q"=v \x1b[31m\r end').decode()
        crt = harness.issue_cert("hostile-identity", uri)
        with harness.channel(self.node.port, crt) as ch:
            self.assertRpcFails(SC.UNAUTHENTICATED, harness.registry(ch).WhoAmI,
                                K.WhoAmIRequest(), contains="not registered")
        self.assertLogged(tag, uri.encode(), (b"identity",))

    def test_the_cores_own_lines_are_key_value_lines_too(self):
        # Bytes that are no TLS, with a fake line in them, then a client without certificate:
        # the core reports both handshakes, and its messages are values like any other.
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=CALL_TIMEOUT) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\n" + fake_line(b"core") + b"\r\n\r\n")
            try:
                s.recv(1024)
            except OSError:
                pass
        with harness.channel(self.node.port, "office", client_cert=False) as ch:
            self.assertRpcFails(SC.UNAVAILABLE, harness.registry(ch).WhoAmI, K.WhoAmIRequest())
        self.wait_for(b"event=grpc")
        core = [p for p in self.check_log_text(self.node, self.log_start)
                if dict(p)[b"event"] == b"grpc"]
        self.assertTrue(core)
        for pairs in core:
            self.assertEqual([k for k, _ in pairs][3:], [b"src", b"msg"], pairs)

    def test_method_path_with_a_fake_line_is_one_value_of_one_line(self):
        paths = ["/credit.v1.UnitRegistry/WhoAmI" + fake_line(b"path-0").decode(),
                 "/x y " + fake_line(b"path-1").decode() + ' "q"=v\x1b[31m\r\t',
                 "/\u7f5a\u6b3e\u2028" + fake_line(b"path-2").decode() + "\u202e/x"]
        for i, path in enumerate(paths):
            with self.subTest(path=path):
                code, details = self.raw("office", path, b"")
                self.assertEqual(code, SC.UNIMPLEMENTED, details)
                self.assertLogged(b"path-%d" % i, path.encode(), (b"method",))


if __name__ == "__main__":
    unittest.main()
