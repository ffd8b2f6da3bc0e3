"""test_transport_limits.py: the node's HTTP/2 limits, seen from the wire.

Debian's gRPC core 1.51 advertises no stream limit of its own and predates the rapid-reset
mitigations, so creditd sets its transport limits explicitly (README, the creditd option
table). These tests speak HTTP/2 over mutual TLS with python3-h2's frame and header codecs
(hyperframe, hpack) rather than a gRPC client, so that they can do what a gRPC client never
does: read the server's SETTINGS, open more streams than allowed, stay silent in the
handshake, sit idle, and flood CONTINUATION frames.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_transport_limits
"""

import os
import socket
import ssl
import time
import unittest

import hpack
from hyperframe import frame as hf

import harness
from harness import Node

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
SETTINGS_MAX_HEADER_LIST_SIZE = 0x6


def tls_socket(port, who="market", timeout=10.0):
    """A TLS connection to the node as unit `who`, with ALPN h2."""
    tls = harness.tls_dir()
    crt, key = harness.cert_paths(who)
    ctx = ssl.create_default_context(cafile=os.path.join(tls, "ca.crt"))
    ctx.load_cert_chain(crt, key)
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
    return s


class Frames:
    """Reads whole frames from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def next(self):
        self._fill(9)
        f, length = hf.Frame.parse_frame_header(memoryview(self.buf[:9]))
        self._fill(9 + length)
        f.parse_body(memoryview(self.buf[9:9 + length]))
        self.buf = self.buf[9 + length:]
        return f


def handshake(sock):
    """Sends the preface and our SETTINGS; returns (reader, the server's SETTINGS frame) once
    our SETTINGS are acknowledged, so that the server's limits are in force."""
    sock.sendall(PREFACE + hf.SettingsFrame(0).serialize())
    r = Frames(sock)
    server_settings, acked = None, False
    while server_settings is None or not acked:
        f = r.next()
        if isinstance(f, hf.SettingsFrame):
            if "ACK" in f.flags:
                acked = True
            else:
                server_settings = f
                sock.sendall(hf.SettingsFrame(0, flags=["ACK"]).serialize())
    return r, server_settings


def request_headers(path="/credit.v1.UnitRegistry/WhoAmI"):
    return [(":method", "POST"), (":scheme", "https"), (":path", path),
            (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers")]


class LimitsCase(unittest.TestCase):
    NODE_FLAGS = ()

    @classmethod
    def setUpClass(cls):
        cls.node = Node(extra=cls.NODE_FLAGS, name=cls.__name__)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()


class DefaultSettingsTest(LimitsCase):

    def test_the_server_advertises_its_stream_and_header_limits(self):
        s = tls_socket(self.node.port)
        try:
            _, settings = handshake(s)
        finally:
            s.close()
        self.assertEqual(settings.settings.get(SETTINGS_MAX_CONCURRENT_STREAMS), 100, settings)
        self.assertEqual(settings.settings.get(SETTINGS_MAX_HEADER_LIST_SIZE), 16384, settings)


class StreamLimitTest(LimitsCase):
    NODE_FLAGS = ("--max-streams", "7")

    def test_a_client_past_the_stream_limit_loses_its_connection(self):
        """Debian's 1.51 core treats a stream opened past the acknowledged limit as a
        connection error: the offending connection is closed, all its streams with it."""
        s = tls_socket(self.node.port)
        enc = hpack.Encoder()
        ended = None
        try:
            r, settings = handshake(s)
            self.assertEqual(settings.settings.get(SETTINGS_MAX_CONCURRENT_STREAMS), 7)
            # Eight streams opened and left open (no END_STREAM): the eighth is one too many.
            for i in range(8):
                h = hf.HeadersFrame(1 + 2 * i, data=enc.encode(request_headers()),
                                    flags=["END_HEADERS"])
                s.sendall(h.serialize())
            s.settimeout(10)
            try:
                while True:
                    f = r.next()
                    if isinstance(f, hf.GoAwayFrame):
                        ended = "GOAWAY %d" % f.error_code
                        break
                    if isinstance(f, hf.HeadersFrame) and f.stream_id == 15:
                        self.fail("the stream past the limit was served")
            except EOFError:
                ended = "closed"
        finally:
            s.close()
        self.assertIsNotNone(ended)
        harness.observe("8 streams on a connection limited to 7: %s" % ended)

    def test_a_grpc_client_with_more_calls_than_streams_gets_every_answer(self):
        """A client that honours SETTINGS queues its calls: 30 concurrent WhoAmI calls over
        one channel limited to 7 streams all succeed."""
        from concurrent.futures import ThreadPoolExecutor
        from credit.v1 import unit_pb2 as K
        with harness.channel(self.node.port, "market") as ch:
            stub = harness.registry(ch)
            with ThreadPoolExecutor(30) as pool:
                futs = [pool.submit(stub.WhoAmI, K.WhoAmIRequest(), timeout=20)
                        for _ in range(30)]
                codes = [f.result().unit.code for f in futs]
        self.assertEqual(codes, ["market"] * 30)


class HandshakeTimeoutTest(LimitsCase):
    NODE_FLAGS = ("--handshake-timeout-ms", "1000")

    def test_a_silent_connection_is_closed_after_the_handshake_timeout(self):
        raw = socket.create_connection(("127.0.0.1", self.node.port), timeout=20)
        t0 = time.monotonic()
        try:
            data = raw.recv(1024)  # nothing sent: the server gives up on us
        except ConnectionResetError:
            data = b""
        finally:
            raw.close()
        took = time.monotonic() - t0
        self.assertEqual(data, b"")
        self.assertLess(took, 6.0, "a silent connection was kept %.1f s" % took)
        harness.observe("handshake timeout 1 s: a silent connection closed after %.2f s" % took)


class IdleConnectionTest(LimitsCase):
    NODE_FLAGS = ("--max-connection-idle-ms", "1500")

    def test_an_idle_connection_gets_goaway(self):
        s = tls_socket(self.node.port, timeout=20)
        try:
            r, _ = handshake(s)
            t0 = time.monotonic()
            while True:
                f = r.next()
                if isinstance(f, hf.GoAwayFrame):
                    break
            took = time.monotonic() - t0
        finally:
            s.close()
        self.assertGreater(took, 1.0)
        self.assertLess(took, 10.0)
        harness.observe("idle 1.5 s: GOAWAY after %.2f s" % took)


class LogFloodTest(LimitsCase):
    NODE_FLAGS = ("--reload-seconds", "1")  # the dropped count is said within a second

    def test_a_flood_of_failed_handshakes_is_logged_in_a_bounded_number_of_lines(self):
        """Each connection that fails its TLS handshake makes the core log a line; 120 of
        them in a burst give at most the limiter's burst of lines, then one line counting the
        rest. Every line stays one parseable event."""
        before = len(self.node.stderr_text().splitlines())
        for i in range(120):
            raw = socket.create_connection(("127.0.0.1", self.node.port), timeout=10)
            try:
                raw.sendall(b"\x16\x03\x01\x00\x05garbage-%d\r\n" % i)
                raw.recv(1024)
            except OSError:
                pass
            finally:
                raw.close()
        time.sleep(2.5)
        lines = self.node.stderr_text().splitlines()[before:]
        core = [l for l in lines if " event=grpc " in l]
        summaries = [l for l in lines if " event=grpc-suppressed " in l]
        dropped = sum(int(l.split(" dropped=")[1].split(" ")[0]) for l in summaries)
        harness.observe("120 failed handshakes: %d core lines, %d dropped in %d summary lines"
                        % (len(core), dropped, len(summaries)))
        self.assertGreater(len(core), 0, "the core logged nothing: the test proves nothing")
        self.assertLessEqual(len(core), 30, "\n".join(core[:40]))
        self.assertGreater(dropped, 0)
        for line in lines:
            self.assertTrue(line.startswith("ts="), line)


class ContinuationFloodTest(LimitsCase):

    def test_a_continuation_flood_ends_its_stream_and_the_log_stays_quiet(self):
        """HEADERS without END_HEADERS, then a thousand 16 KiB CONTINUATION frames: past the
        16 KiB header limit the node ends that stream (or the connection) instead of
        buffering 16 MiB of headers, and logs next to nothing."""
        before = len(self.node.stderr_text().splitlines())
        s = tls_socket(self.node.port)
        sent, outcome = 0, None
        dec = hpack.Decoder()
        try:
            r, _ = handshake(s)
            block = hpack.Encoder().encode(request_headers())
            s.sendall(hf.HeadersFrame(1, data=block).serialize())
            filler = b"\x00" * 16384
            for _ in range(1000):
                s.sendall(hf.ContinuationFrame(1, data=filler).serialize())
                sent += 1
            s.sendall(hf.ContinuationFrame(1, data=b"", flags=["END_HEADERS"]).serialize())
            s.settimeout(10)
            while outcome is None:
                f = r.next()
                if isinstance(f, hf.RstStreamFrame) and f.stream_id == 1:
                    outcome = "RST_STREAM %d" % f.error_code
                elif isinstance(f, hf.HeadersFrame) and f.stream_id == 1:
                    outcome = "trailers %r" % (dict(dec.decode(f.data)).get("grpc-status"),)
                elif isinstance(f, hf.GoAwayFrame):
                    outcome = "GOAWAY %d" % f.error_code
        except (EOFError, BrokenPipeError, ConnectionResetError, ssl.SSLError) as e:
            outcome = outcome or "closed (%s)" % type(e).__name__
        finally:
            s.close()
        time.sleep(1.0)
        lines = self.node.stderr_text().splitlines()[before:]
        core = [l for l in lines if " event=grpc " in l]
        harness.observe("CONTINUATION flood: %d frames sent; stream 1: %s; %d core lines"
                        % (sent, outcome, len(core)))
        self.assertIsNotNone(outcome, "the flooded stream was neither ended nor answered")
        self.assertLessEqual(len(core), 30, "\n".join(core[:40]))


if __name__ == "__main__":
    unittest.main()
