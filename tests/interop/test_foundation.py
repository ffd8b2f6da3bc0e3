"""test_foundation.py: creditd's foundation seen through Debian's python3-grpcio.

Health, reflection (v1 and v1alpha), who is refused at the door, the unit registry, transport
edge cases, durability across kill -9, CRL reload and start-up errors. Every test talks to a
real creditd over mutual TLS with certificates made fresh for this module by
certs/make-dev-certs.sh. Nodes are shared per TestCase class where the tests do not interfere;
tests that stop, kill or reconfigure a node start their own.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> CREDIT_DESC=.../credit.desc \
      /usr/bin/python3 -m unittest -v test_foundation
"""

import os
import shutil
import signal
import socket
import ssl
import threading
import time
import unittest
import warnings

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import harness
from harness import CALL_TIMEOUT, InteropCase, Node, unit_pb2, health_pb2

from grpc.reflection.v1 import reflection_pb2 as refl_v1_pb2
from grpc.reflection.v1 import reflection_pb2_grpc as refl_v1_grpc
from grpc.reflection.v1alpha import reflection_pb2 as refl_v1alpha_pb2
from grpc.reflection.v1alpha import reflection_pb2_grpc as refl_v1alpha_grpc

SC = grpc.StatusCode
HS = health_pb2.HealthCheckResponse
K = unit_pb2

DEMO = harness.demo_units()
DEMO_CODES = [u[0] for u in DEMO]

observe = harness.observe
make_uscc = harness.make_uscc
setUpModule = harness.setup_module
tearDownModule = harness.teardown_module


# --- Helpers ----------------------------------------------------------------------------------



def who_am_i(port, who="office", **kw):
    with harness.channel(port, who, **kw) as ch:
        return harness.registry(ch).WhoAmI(K.WhoAmIRequest(), timeout=CALL_TIMEOUT)


def health_check(port, who="office", service="", **kw):
    with harness.channel(port, who, **kw) as ch:
        return harness.health(ch).Check(health_pb2.HealthCheckRequest(service=service),
                                        timeout=CALL_TIMEOUT)


def list_all_units(port, who="office", kind=0):
    units, token = [], ""
    with harness.channel(port, who) as ch:
        reg = harness.registry(ch)
        for _ in range(100):
            resp = reg.ListUnits(K.ListUnitsRequest(kind=kind, page_size=1000, page_token=token),
                                 timeout=CALL_TIMEOUT)
            units.extend(resp.units)
            token = resp.next_page_token
            if not token:
                return units
    raise AssertionError("ListUnits never returned an empty next_page_token")


class SharedNodeCase(harness.SharedNodeCase):
    """One node for the whole class (NODE_FLAGS: its flags), and its port."""

    @property
    def port(self):
        return self.node.port


# --- 1. Health --------------------------------------------------------------------------------

class HealthTests(SharedNodeCase):

    def test_check_of_the_whole_node_is_serving(self):
        self.assertEqual(health_check(self.port, service="").status, HS.SERVING)

    def test_check_of_unit_registry_is_serving(self):
        self.assertEqual(health_check(self.port, service="credit.v1.UnitRegistry").status,
                         HS.SERVING)

    def test_check_of_unknown_service_is_not_found(self):
        with harness.channel(self.port) as ch:
            self.assertRpcFails(SC.NOT_FOUND, harness.health(ch).Check,
                                health_pb2.HealthCheckRequest(service="no.such.Service"),
                                contains="no.such.Service")

    def test_watch_sends_serving_first(self):
        with harness.channel(self.port) as ch:
            stream = harness.health(ch).Watch(health_pb2.HealthCheckRequest(service=""),
                                              timeout=CALL_TIMEOUT)
            try:
                self.assertEqual(next(stream).status, HS.SERVING)
            finally:
                stream.cancel()


class HealthStopTests(InteropCase):

    GRACE_MS = 3000

    def test_open_watch_ends_when_node_stops_and_node_exits_zero_within_grace(self):
        node = Node(extra=["--grace-ms", str(self.GRACE_MS)], name="health-stop")
        try:
            ch = harness.channel(node.port)
            stream = harness.health(ch).Watch(health_pb2.HealthCheckRequest(service=""),
                                              timeout=30)
            self.assertEqual(next(stream).status, HS.SERVING)
            t0 = time.monotonic()
            node.signal(signal.SIGTERM)
            statuses, end = [], None
            try:
                for msg in stream:
                    statuses.append(msg.status)
                end = SC.OK
            except grpc.RpcError as e:
                end = e.code()
            ended_after = time.monotonic() - t0
            rc = node.wait_exit()
            exited_after = time.monotonic() - t0
            ch.close()
        except BaseException:
            node.kill9()
            raise
        observe("health Watch on SIGTERM: later messages %s, stream ended with %s after %.2f s;"
                " node exited %s after %.2f s"
                % ([HS.ServingStatus.Name(s) for s in statuses], end.name, ended_after, rc,
                   exited_after))
        self.assertTrue(HS.NOT_SERVING in statuses or end == SC.UNAVAILABLE,
                        "the Watch stream neither reported NOT_SERVING nor ended UNAVAILABLE:"
                        " messages %s, end %s" % (statuses, end))
        self.assertNotIn(HS.SERVING, statuses, "SERVING again after SIGTERM")
        node.check_exit(rc)
        self.assertLess(exited_after, self.GRACE_MS / 1000.0 + 2.0,
                        "the node took longer than its grace period to exit")


    def test_idle_client_connection_does_not_hold_the_stop_for_the_grace_period(self):
        node = Node(extra=["--grace-ms", "10000"], name="idle-stop")
        try:
            ch = harness.channel(node.port)
            self.assertEqual(harness.health(ch).Check(health_pb2.HealthCheckRequest(),
                                                      timeout=10).status, HS.SERVING)
            t0 = time.monotonic()  # the connection stays open, with no call on it
            node.signal(signal.SIGTERM)
            rc = node.wait_exit()
            exited_after = time.monotonic() - t0
            ch.close()
        except BaseException:
            node.kill9()
            raise
        observe("stop with an idle client connection: exited %s after %.2f s" % (rc, exited_after))
        node.check_exit(rc)
        self.assertLess(exited_after, 3.0, "an idle connection held the stop for the grace period")


# --- 2. Reflection ----------------------------------------------------------------------------

def add_files_in_dependency_order(pool, fdps):
    """Adds FileDescriptorProtos to pool, each after its dependencies; fails on a missing one."""
    pending = {f.name: f for f in fdps}
    added = set()
    while pending:
        ready = [f for f in pending.values() if all(d in added for d in f.dependency)]
        if not ready:
            raise AssertionError("reflection left out dependencies: %s"
                                 % {n: list(f.dependency) for n, f in pending.items()})
        for f in ready:
            pool.Add(f)
            added.add(f.name)
            del pending[f.name]


def message_class(pool, full_name):
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


class ReflectionChecks:
    """The same checks for both reflection versions; subclasses set PB and GRPC."""

    PB = None
    GRPC = None

    def ask(self, *requests):
        """Sends the requests on one ServerReflectionInfo stream; returns one response each."""
        with harness.channel(self.port) as ch:
            stub = self.GRPC.ServerReflectionStub(ch)
            responses = list(stub.ServerReflectionInfo(iter(requests), timeout=CALL_TIMEOUT))
        self.assertEqual(len(responses), len(requests))
        for req, resp in zip(requests, responses):
            self.assertEqual(resp.original_request, req)
        return responses

    def files_of(self, resp):
        self.assertEqual(resp.WhichOneof("message_response"), "file_descriptor_response",
                         "expected files, got %s" % resp)
        out = []
        for raw in resp.file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto()
            fdp.ParseFromString(raw)
            out.append(fdp)
        return out

    def test_list_services_names_health_both_reflections_and_unit_registry(self):
        (resp,) = self.ask(self.PB.ServerReflectionRequest(list_services=""))
        names = {s.name for s in resp.list_services_response.service}
        for want in ("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                     "grpc.reflection.v1alpha.ServerReflection", "credit.v1.UnitRegistry"):
            self.assertIn(want, names)

    def test_file_containing_unit_registry_is_unit_proto_first_with_its_imports(self):
        (resp,) = self.ask(
            self.PB.ServerReflectionRequest(file_containing_symbol="credit.v1.UnitRegistry"))
        files = self.files_of(resp)
        self.assertEqual(files[0].name, "credit/v1/unit.proto")
        self.assertIn("google/protobuf/timestamp.proto", [f.name for f in files])
        self.assertIn("UnitRegistry", [s.name for s in files[0].service])

    def test_file_by_filename_returns_unit_proto(self):
        (resp,) = self.ask(self.PB.ServerReflectionRequest(file_by_filename="credit/v1/unit.proto"))
        files = self.files_of(resp)
        self.assertEqual(files[0].name, "credit/v1/unit.proto")
        self.assertEqual(files[0].package, "credit.v1")

    def test_unknown_symbol_is_error_response_not_found(self):
        (resp,) = self.ask(
            self.PB.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"))
        self.assertEqual(resp.WhichOneof("message_response"), "error_response")
        self.assertEqual(resp.error_response.error_code, SC.NOT_FOUND.value[0])

    def test_reflection_alone_is_enough_to_call_who_am_i(self):
        (resp,) = self.ask(
            self.PB.ServerReflectionRequest(file_containing_symbol="credit.v1.UnitRegistry"))
        pool = descriptor_pool.DescriptorPool()
        add_files_in_dependency_order(pool, self.files_of(resp))
        method = pool.FindMethodByName("credit.v1.UnitRegistry.WhoAmI")
        self.assertEqual(method.containing_service.full_name, "credit.v1.UnitRegistry")
        req_cls = message_class(pool, method.input_type.full_name)
        resp_cls = message_class(pool, method.output_type.full_name)
        path = "/%s/%s" % (method.containing_service.full_name, method.name)
        with harness.channel(self.port) as ch:
            call = ch.unary_unary(path, request_serializer=req_cls.SerializeToString,
                                  response_deserializer=resp_cls.FromString)
            who = call(req_cls(), timeout=CALL_TIMEOUT)
        self.assertEqual(who.unit.code, "office")
        self.assertEqual(who.identity, "urn:credit:unit:office")
        kind = pool.FindEnumTypeByName("credit.v1.UnitKind").values_by_number[who.unit.kind]
        self.assertEqual(kind.name, "UNIT_KIND_OFFICE")


class ReflectionV1Tests(ReflectionChecks, SharedNodeCase):
    PB = refl_v1_pb2
    GRPC = refl_v1_grpc


class ReflectionV1alphaTests(ReflectionChecks, SharedNodeCase):
    PB = refl_v1alpha_pb2
    GRPC = refl_v1alpha_grpc


# --- 3. Refusals ------------------------------------------------------------------------------

def tls_context(version, who="office"):
    """A Python ssl client context pinned to one TLS version, with the unit's certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if version < ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 at level 1
    with warnings.catch_warnings():  # old versions are deprecated: that is the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = version
        ctx.maximum_version = version
    ctx.load_verify_locations(os.path.join(harness.tls_dir(), "ca.crt"))
    ctx.load_cert_chain(*harness.cert_paths(who))
    ctx.set_alpn_protocols(["h2"])
    return ctx


def handshake(port, ctx):
    """A TLS handshake to 127.0.0.1:port; returns the negotiated version."""
    with socket.create_connection(("127.0.0.1", port), timeout=CALL_TIMEOUT) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as tls:
            return tls.version()


def local_tls_1_1_works():
    """Whether this machine's OpenSSL can do a TLS 1.1 handshake at all: against a Python ssl
    server in this process that allows only TLS 1.1. Returns None or the reason it cannot."""
    try:
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            server_ctx.minimum_version = ssl.TLSVersion.TLSv1_1
            server_ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        tls = harness.tls_dir()
        server_ctx.load_cert_chain(os.path.join(tls, "server.crt"),
                                   os.path.join(tls, "server.key"))
        client_ctx = tls_context(ssl.TLSVersion.TLSv1_1)
    except (ssl.SSLError, ValueError, OSError) as e:
        return "cannot make a TLS 1.1 context: %s" % e
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(CALL_TIMEOUT)

    def serve():
        try:
            conn, _ = lsock.accept()
            with server_ctx.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        version = handshake(lsock.getsockname()[1], client_ctx)
    except (ssl.SSLError, OSError) as e:
        return "a TLS 1.1 handshake fails even against a local TLS 1.1 server: %s" % e
    finally:
        t.join(CALL_TIMEOUT)
        lsock.close()
    return None if version == "TLSv1.1" else "the local handshake negotiated %s" % version


class RefusalTests(SharedNodeCase):

    def assertHealthUnavailable(self, who, **kw):
        with harness.channel(self.port, who, **kw) as ch:
            err = self.assertRpcFails(SC.UNAVAILABLE, harness.health(ch).Check,
                                      health_pb2.HealthCheckRequest())
        return err

    def test_channel_without_client_certificate_is_unavailable(self):
        self.assertHealthUnavailable("office", client_cert=False)

    def test_certificate_from_foreign_ca_is_unavailable(self):
        self.assertHealthUnavailable("bad/foreign")

    def test_expired_certificate_is_unavailable(self):
        self.assertHealthUnavailable("bad/expired")

    def test_revoked_certificate_is_unavailable(self):
        self.assertHealthUnavailable("bad/revoked")

    def test_plaintext_channel_is_unavailable(self):
        with harness.insecure_channel(self.port) as ch:
            self.assertRpcFails(SC.UNAVAILABLE, harness.health(ch).Check,
                                health_pb2.HealthCheckRequest())

    def test_unknown_unit_passes_health_but_who_am_i_is_unauthenticated_naming_it(self):
        self.assertEqual(health_check(self.port, "bad/unknown").status, HS.SERVING)
        with harness.channel(self.port, "bad/unknown") as ch:
            self.assertRpcFails(SC.UNAUTHENTICATED, harness.registry(ch).WhoAmI,
                                K.WhoAmIRequest(),
                                contains="urn:credit:unit:nobody-registered")

    def test_tls_1_1_client_is_refused(self):
        why = local_tls_1_1_works()
        if why:
            self.skipTest("this machine's OpenSSL cannot speak TLS 1.1 (%s)" % why)
        ctx = tls_context(ssl.TLSVersion.TLSv1_1)
        try:
            version = handshake(self.port, ctx)
        except (ssl.SSLError, ConnectionError) as e:
            observe("TLS 1.1 handshake refused: %s" % e)
            return
        self.fail("creditd completed a %s handshake" % version)

    def test_tls_1_2_client_handshake_succeeds(self):
        self.assertEqual(handshake(self.port, tls_context(ssl.TLSVersion.TLSv1_2)), "TLSv1.2")


# --- 4. UnitRegistry --------------------------------------------------------------------------

class UnitRegistryReadTests(SharedNodeCase):
    """Reads only: this node's registry stays exactly the seeded demo units."""

    def test_who_am_i_names_the_office_for_the_office_certificate(self):
        who = who_am_i(self.port, "office")
        self.assertEqual(who.unit.code, "office")
        self.assertEqual(who.unit.kind, K.UNIT_KIND_OFFICE)
        self.assertEqual(who.unit.status, K.UNIT_STATUS_ACTIVE)
        self.assertEqual(who.identity, "urn:credit:unit:office")
        self.assertIn("CN=office", who.cert_subject)

    def test_cn_only_certificate_is_unauthenticated_naming_cn_office(self):
        with harness.channel(self.port, "cn-only") as ch:
            self.assertRpcFails(SC.UNAUTHENTICATED, harness.registry(ch).WhoAmI,
                                K.WhoAmIRequest(), contains="cn:office")

    def test_list_units_returns_the_twelve_demo_units(self):
        units = list_all_units(self.port)
        self.assertEqual(sorted(u.code for u in units), sorted(DEMO_CODES))
        by_code = {u.code: u for u in units}
        for code, kind, uscc, name in DEMO:
            self.assertEqual(K.UnitKind.Name(by_code[code].kind), kind, code)
            self.assertEqual(by_code[code].uscc, uscc, code)
            self.assertEqual(by_code[code].name, name, code)
            self.assertEqual(by_code[code].status, K.UNIT_STATUS_ACTIVE, code)

    def test_list_units_in_pages_of_five_walks_every_unit_once(self):
        seen, sizes, token = [], [], ""
        with harness.channel(self.port) as ch:
            reg = harness.registry(ch)
            for _ in range(10):
                resp = reg.ListUnits(K.ListUnitsRequest(page_size=5, page_token=token),
                                     timeout=CALL_TIMEOUT)
                sizes.append(len(resp.units))
                seen.extend(u.code for u in resp.units)
                token = resp.next_page_token
                if not token:
                    break
        self.assertEqual(token, "", "paging did not end")
        self.assertEqual(len(seen), len(set(seen)), "duplicates across pages: %s" % seen)
        self.assertEqual(sorted(seen), sorted(DEMO_CODES))
        self.assertEqual(sizes, [5, 5, 2])

    def test_list_units_kind_filter_returns_only_departments(self):
        units = list_all_units(self.port, kind=K.UNIT_KIND_DEPARTMENT)
        self.assertTrue(units)
        self.assertEqual({u.kind for u in units}, {K.UNIT_KIND_DEPARTMENT})
        self.assertEqual(sorted(u.code for u in units),
                         sorted(u[0] for u in DEMO if u[1] == "UNIT_KIND_DEPARTMENT"))

    def test_list_units_rejects_page_size_5000_naming_page_size(self):
        with harness.channel(self.port) as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, harness.registry(ch).ListUnits,
                                K.ListUnitsRequest(page_size=5000), contains="page_size")

    def test_get_unknown_unit_is_not_found(self):
        with harness.channel(self.port) as ch:
            self.assertRpcFails(SC.NOT_FOUND, harness.registry(ch).GetUnit,
                                K.GetUnitRequest(code="no-such-unit"), contains="no-such-unit")

    def test_get_unit_rejects_bad_code_naming_code(self):
        with harness.channel(self.port) as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, harness.registry(ch).GetUnit,
                                K.GetUnitRequest(code="Bad_Code"), contains="code")


class UnitRegistryWriteTests(SharedNodeCase):
    """Changes to the registry. Each test uses its own codes and identities, so that the order
    the tests run in does not matter."""

    def reg(self, ch):
        return harness.registry(ch)

    def test_bound_cn_identity_is_accepted_as_its_unit(self):
        cert = harness.issue_cert("partner", "-")  # CN partner, no SAN
        with harness.channel(self.port, cert) as ch:
            self.assertRpcFails(SC.UNAUTHENTICATED, self.reg(ch).WhoAmI, K.WhoAmIRequest(),
                                contains="cn:partner")
        with harness.channel(self.port, "office") as ch:
            unit = self.reg(ch).BindIdentity(K.BindIdentityRequest(code="market",
                                                                   identity="cn:partner"),
                                             timeout=CALL_TIMEOUT)
            self.assertEqual(unit.code, "market")
            self.assertIn("cn:partner", unit.identities)
            # Binding it to the same unit again changes nothing and is not an error.
            again = self.reg(ch).BindIdentity(K.BindIdentityRequest(code="market",
                                                                    identity="cn:partner"),
                                              timeout=CALL_TIMEOUT)
            self.assertEqual(list(again.identities).count("cn:partner"), 1)
        who = who_am_i(self.port, cert)
        self.assertEqual(who.unit.code, "market")
        self.assertEqual(who.identity, "cn:partner")

    def test_binding_an_identity_bound_to_another_unit_is_already_exists(self):
        with harness.channel(self.port, "office") as ch:
            self.reg(ch).BindIdentity(K.BindIdentityRequest(code="court", identity="cn:dup-check"),
                                      timeout=CALL_TIMEOUT)
            self.assertRpcFails(SC.ALREADY_EXISTS, self.reg(ch).BindIdentity,
                                K.BindIdentityRequest(code="water", identity="cn:dup-check"),
                                contains="court")

    def test_binding_a_unit_uri_is_invalid_argument(self):
        with harness.channel(self.port, "office") as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg(ch).BindIdentity,
                                K.BindIdentityRequest(code="market", identity="urn:credit:unit:x"),
                                contains="identity")

    def test_binding_by_a_department_is_permission_denied(self):
        with harness.channel(self.port, "tax") as ch:
            self.assertRpcFails(SC.PERMISSION_DENIED, self.reg(ch).BindIdentity,
                                K.BindIdentityRequest(code="tax", identity="cn:tax-self"),
                                contains="UNIT_KIND_OFFICE")

    def test_register_unit_by_office_is_found_and_again_is_already_exists(self):
        uscc = make_uscc("91500227MA7Q2R4B")
        req = K.RegisterUnitRequest(code="reg-new", name="New test unit", kind=K.UNIT_KIND_SUBJECT,
                                    uscc=uscc)
        with harness.channel(self.port, "office") as ch:
            unit = self.reg(ch).RegisterUnit(req, timeout=CALL_TIMEOUT)
            self.assertEqual((unit.code, unit.kind, unit.status, unit.uscc, unit.updated_by),
                             ("reg-new", K.UNIT_KIND_SUBJECT, K.UNIT_STATUS_ACTIVE, uscc, "office"))
            got = self.reg(ch).GetUnit(K.GetUnitRequest(code="reg-new"), timeout=CALL_TIMEOUT)
            self.assertEqual((got.code, got.name, got.kind), ("reg-new", "New test unit",
                                                              K.UNIT_KIND_SUBJECT))
            self.assertRpcFails(SC.ALREADY_EXISTS, self.reg(ch).RegisterUnit, req,
                                contains="reg-new")

    def test_register_unit_by_tax_is_permission_denied_naming_office(self):
        with harness.channel(self.port, "tax") as ch:
            self.assertRpcFails(SC.PERMISSION_DENIED, self.reg(ch).RegisterUnit,
                                K.RegisterUnitRequest(code="by-tax", name="x", kind=K.UNIT_KIND_SUBJECT),
                                contains="UNIT_KIND_OFFICE")
        with harness.channel(self.port, "office") as ch:
            self.assertRpcFails(SC.NOT_FOUND, self.reg(ch).GetUnit, K.GetUnitRequest(code="by-tax"))

    def test_register_unit_rejects_bad_uscc_naming_uscc(self):
        with harness.channel(self.port, "office") as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg(ch).RegisterUnit,
                                K.RegisterUnitRequest(code="bad-uscc", name="x", kind=K.UNIT_KIND_SUBJECT,
                                                      uscc="91230500MA1B3N1N2X"),
                                contains="uscc")

    def test_register_unit_without_kind_is_invalid_argument(self):
        with harness.channel(self.port, "office") as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg(ch).RegisterUnit,
                                K.RegisterUnitRequest(code="no-kind", name="x"), contains="kind")

    def test_suspended_unit_is_denied_but_passes_health_until_reinstated(self):
        office = harness.channel(self.port, "office")
        try:
            reg = self.reg(office)
            unit = reg.SuspendUnit(K.SuspendUnitRequest(code="tax", reason="audit in progress"),
                                   timeout=CALL_TIMEOUT)
            self.assertEqual(unit.status, K.UNIT_STATUS_SUSPENDED)
            self.assertEqual(unit.status_reason, "audit in progress")
            try:
                with harness.channel(self.port, "tax") as ch:
                    self.assertRpcFails(SC.PERMISSION_DENIED, self.reg(ch).WhoAmI,
                                        K.WhoAmIRequest(), contains="suspended")
                self.assertEqual(health_check(self.port, "tax").status, HS.SERVING)
                self.assertRpcFails(SC.FAILED_PRECONDITION, reg.SuspendUnit,
                                    K.SuspendUnitRequest(code="tax", reason="again"))
            finally:
                back = reg.ReinstateUnit(K.ReinstateUnitRequest(code="tax", reason="audit done"),
                                         timeout=CALL_TIMEOUT)
            self.assertEqual(back.status, K.UNIT_STATUS_ACTIVE)
            self.assertEqual(who_am_i(self.port, "tax").unit.code, "tax")
        finally:
            office.close()

    def test_suspend_without_reason_is_invalid_argument(self):
        with harness.channel(self.port, "office") as ch:
            self.assertRpcFails(SC.INVALID_ARGUMENT, self.reg(ch).SuspendUnit,
                                K.SuspendUnitRequest(code="court"), contains="reason")

    def test_office_cannot_suspend_itself(self):
        with harness.channel(self.port, "office") as ch:
            self.assertRpcFails(SC.FAILED_PRECONDITION, self.reg(ch).SuspendUnit,
                                K.SuspendUnitRequest(code="office", reason="oops"))
        self.assertEqual(who_am_i(self.port, "office").unit.status, K.UNIT_STATUS_ACTIVE)


class IdentityVisibilityTests(InteropCase):
    """Other units' certificate identities are the office's to see. Each test has its own node,
    stopped with the exit-status check, so that a leak in hiding them (as before commit
    2e1c3e6: svc_units.c zeroed n_identities and free_unpacked then leaked the strings) fails
    the test that caused it rather than some shared node's teardown."""

    def bind_waterworks(self, node):
        with harness.channel(node.port, "office") as ch:
            harness.registry(ch).BindIdentity(
                K.BindIdentityRequest(code="water", identity="cn:waterworks"),
                timeout=CALL_TIMEOUT)
            got = harness.registry(ch).GetUnit(K.GetUnitRequest(code="water"),
                                               timeout=CALL_TIMEOUT)
        self.assertIn("cn:waterworks", got.identities)

    def get_water(self, node, who):
        with harness.channel(node.port, who) as ch:
            return harness.registry(ch).GetUnit(K.GetUnitRequest(code="water"),
                                                timeout=CALL_TIMEOUT)

    def list_water(self, node, who):
        water = [u for u in list_all_units(node.port, who) if u.code == "water"]
        self.assertEqual(len(water), 1)
        return water[0]

    def test_get_unit_hides_other_units_identities_from_non_office_callers(self):
        with Node(name="identities-get") as node:
            self.bind_waterworks(node)
            self.assertEqual(list(self.get_water(node, "tax").identities), [])
            self.assertIn("cn:waterworks", self.get_water(node, "water").identities)

    def test_list_units_hides_other_units_identities_from_non_office_callers(self):
        with Node(name="identities-list") as node:
            self.bind_waterworks(node)
            self.assertEqual(list(self.list_water(node, "tax").identities), [])
            self.assertIn("cn:waterworks", self.list_water(node, "water").identities)
            self.assertIn("cn:waterworks", self.list_water(node, "office").identities)


# --- 5. Transport -----------------------------------------------------------------------------

class TransportTests(SharedNodeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.small = Node(extra=["--max-message-bytes", "1024"], name="small-limit")
        except BaseException:
            cls.node.kill9()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.small.stop()
        finally:
            super().tearDownClass()

    def assertUnimplementedQuickly(self, path):
        with harness.channel(self.port) as ch:
            t0 = time.monotonic()
            self.assertRpcFails(SC.UNIMPLEMENTED, harness.raw_unary(ch, path), b"")
            took = time.monotonic() - t0
        self.assertLess(took, 3.0, "UNIMPLEMENTED took %.2f s" % took)

    def test_unknown_method_of_unit_registry_is_unimplemented_quickly(self):
        self.assertUnimplementedQuickly("/credit.v1.UnitRegistry/NoSuchMethod")

    def test_method_of_unknown_service_is_unimplemented_quickly(self):
        self.assertUnimplementedQuickly("/no.such.Service/X")

    def test_request_over_max_message_bytes_is_resource_exhausted(self):
        big = K.RegisterUnitRequest(code="too-big", name="x" * 4096, kind=K.UNIT_KIND_SUBJECT)
        self.assertGreater(big.ByteSize(), 1024)
        with harness.channel(self.small.port, "office") as ch:
            reg = harness.registry(ch)
            self.assertRpcFails(SC.RESOURCE_EXHAUSTED, reg.RegisterUnit, big)
            # Small requests still work on that node, and nothing was registered.
            self.assertRpcFails(SC.NOT_FOUND, reg.GetUnit, K.GetUnitRequest(code="too-big"))

    def test_malformed_request_bytes_are_invalid_argument(self):
        with harness.channel(self.port, "office") as ch:
            for path in ("/credit.v1.UnitRegistry/WhoAmI", "/credit.v1.UnitRegistry/GetUnit"):
                with self.subTest(path=path):
                    self.assertRpcFails(SC.INVALID_ARGUMENT, harness.raw_unary(ch, path),
                                        b"\xff\xff\xff")


# --- 6. Durability ----------------------------------------------------------------------------

class DurabilityTests(InteropCase):

    def test_acknowledged_registration_survives_kill_9_without_duplicating_seed(self):
        first = Node(name="durable-1")
        try:
            with harness.channel(first.port, "office") as ch:
                harness.registry(ch).RegisterUnit(
                    K.RegisterUnitRequest(code="durable", name="Survives kill -9",
                                          kind=K.UNIT_KIND_FINANCE),
                    timeout=CALL_TIMEOUT)
        finally:
            first.kill9()
        with Node(data=first.data, name="durable-2") as second:
            with harness.channel(second.port, "office") as ch:
                got = harness.registry(ch).GetUnit(K.GetUnitRequest(code="durable"),
                                                   timeout=CALL_TIMEOUT)
            self.assertEqual((got.code, got.kind, got.name),
                             ("durable", K.UNIT_KIND_FINANCE, "Survives kill -9"))
            codes = [u.code for u in list_all_units(second.port)]
            self.assertEqual(sorted(codes), sorted(DEMO_CODES + ["durable"]))


# --- 7. CRL reload ----------------------------------------------------------------------------

class CrlReloadTests(InteropCase):

    def test_certificate_revoked_while_running_is_refused_and_office_still_works(self):
        tls = harness.copy_tls("crl-reload")
        cert = harness.issue_cert("late", "urn:credit:unit:court", tls=tls)
        with Node(extra=["--reload-seconds", "1"], tls=tls, name="crl-reload") as node:
            old = harness.channel(node.port, cert, tls=tls)
            try:
                self.assertEqual(harness.registry(old).WhoAmI(K.WhoAmIRequest(),
                                                              timeout=CALL_TIMEOUT).unit.code,
                                 "court")
                harness.revoke_cert(cert, tls=tls)
                t0 = time.monotonic()
                refusal, last = None, None
                while time.monotonic() - t0 < 12.0:
                    try:
                        last = who_am_i(node.port, cert, tls=tls).unit.code
                    except grpc.RpcError as e:
                        if e.code() in (SC.UNAVAILABLE, SC.UNAUTHENTICATED):
                            refusal = e
                            break
                        raise
                    time.sleep(0.5)
                self.assertIsNotNone(refusal, "a revoked certificate was still accepted %.0f s"
                                     " after the CRL changed (last answer: %s)"
                                     % (time.monotonic() - t0, last))
                observe("CRL reload: revoked certificate on a new connection refused with %s"
                        " after %.1f s: %r" % (refusal.code().name, time.monotonic() - t0,
                                               refusal.details()))
                # The connection made before the revocation: the node checks every call.
                try:
                    harness.registry(old).WhoAmI(K.WhoAmIRequest(), timeout=CALL_TIMEOUT)
                    old_result = "accepted"
                except grpc.RpcError as e:
                    old_result = e.code().name
                observe("CRL reload: revoked certificate on its old connection: %s" % old_result)
                self.assertIn(old_result, ("UNAUTHENTICATED", "UNAVAILABLE"),
                              "a call on a connection opened before the revocation was accepted")
                self.assertEqual(who_am_i(node.port, "office", tls=tls).unit.code, "office")
            finally:
                old.close()


# --- 8. Start-up errors -----------------------------------------------------------------------

class StartupErrorTests(InteropCase):

    def assertRefusesToStart(self, args, *words):
        rc, out, err = harness.run_creditd(args)
        self.assertEqual(rc, 2, "exit status %s; stdout %r; stderr %r" % (rc, out, err))
        self.assertNotIn("listening on", out)
        self.assertTrue(err.strip(), "no message on stderr")
        for w in words:
            self.assertIn(w, err, "stderr %r should mention %r" % (err, w))
        return err

    def data_arg(self):
        return ["--data", os.path.join(harness.new_dir("startup"), "data")]

    def base_args(self, tls=None):
        return ["--listen", "127.0.0.1:0"] + self.data_arg() + ["--tls", tls or harness.tls_dir()]

    def test_unknown_flag_exits_2_naming_it(self):
        self.assertRefusesToStart(self.base_args() + ["--no-such-flag", "1"], "--no-such-flag")

    def test_missing_tls_flag_exits_2_naming_tls(self):
        self.assertRefusesToStart(["--listen", "127.0.0.1:0"] + self.data_arg(), "--tls")

    def test_nonexistent_tls_dir_exits_2_naming_it(self):
        missing = os.path.join(harness.new_dir("startup"), "no-such-tls")
        self.assertRefusesToStart(self.base_args(tls=missing), missing)

    def test_tls_dir_with_empty_crl_dir_exits_2_mentioning_crl(self):
        tls = harness.copy_tls("no-crl")
        crl = os.path.join(tls, "crl")
        for name in os.listdir(crl):
            os.remove(os.path.join(crl, name))
        self.assertRefusesToStart(self.base_args(tls=tls), "CRL")

    def test_server_key_not_matching_certificate_exits_2(self):
        tls = harness.copy_tls("bad-key")
        shutil.copyfile(os.path.join(tls, "units", "tax.key"), os.path.join(tls, "server.key"))
        self.assertRefusesToStart(self.base_args(tls=tls), "server.key", "does not match")

    def test_zero_threads_exits_2_naming_threads(self):
        self.assertRefusesToStart(self.base_args() + ["--threads", "0"], "threads")

    def test_config_file_with_unknown_option_exits_2_naming_it(self):
        conf = os.path.join(harness.new_dir("startup"), "creditd.conf")
        with open(conf, "w") as f:
            f.write("# test config\nthreads 2\nno-such-option 1\n")
        self.assertRefusesToStart(self.base_args() + ["--config", conf], "no-such-option")

    def test_config_given_as_config_equals_file_is_read_too(self):
        conf = os.path.join(harness.new_dir("startup"), "creditd.conf")
        with open(conf, "w") as f:
            f.write("no-such-option 1\n")
        self.assertRefusesToStart(self.base_args() + ["--config=" + conf], "no-such-option")

    def test_config_file_sets_options_the_flags_leave_alone(self):
        conf = os.path.join(harness.new_dir("startup"), "creditd.conf")
        with open(conf, "w") as f:
            f.write("threads 5\n")
        with Node(extra=["--config", conf], name="config-only") as node:
            self.assertEqual(who_am_i(node.port).unit.code, "office")
        self.assertRegex(node.stderr_text(), r"event=listening .*threads=5\b")

    def test_flag_overrides_threads_set_in_config_file(self):
        conf = os.path.join(harness.new_dir("startup"), "creditd.conf")
        with open(conf, "w") as f:
            f.write("threads 1\nlog-level info\n")
        with Node(extra=["--config", conf, "--threads", "3"], name="config") as node:
            self.assertEqual(who_am_i(node.port).unit.code, "office")
        self.assertRegex(node.stderr_text(), r"event=listening .*threads=3\b")


if __name__ == "__main__":
    unittest.main()
