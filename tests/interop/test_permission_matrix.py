"""test_permission_matrix.py: every method of every credit.v1 service, called by every unit kind.

The table below is written here, from the README's "Who may do what", independently of
server/rules/authz.c: the unit kinds holding each capability, and the capability each method needs.
The test enumerates the methods from the generated Python modules of proto/credit/v1 (and
checks that the node serves exactly those services, through reflection), so a method or a
service added to the protos without a row here fails. Each method is called once per unit kind
with a minimal request of its input type (the empty message; an empty stream for a
client-streaming method), from a certificate of a unit of that kind (a demo unit, or one this
test registers for a kind the demo lacks). The full matrix of outcomes is compared at once:
PERMISSION_DENIED where the kind lacks the capability, naming it; anything else where it
holds it (the empty request is then INVALID_ARGUMENT, NOT_FOUND or OK, but never refused for
the kind). A failure lists every cell that drifted, as `Service/Method × KIND`.

One node for the whole module; about 450 calls over nine connections.

Run (from tests/interop/):
  CREDITD=.../creditd CREDIT_SOURCE_DIR=<repo> /usr/bin/python3 -m unittest -v test_permission_matrix
"""

import grpc
from google.protobuf import symbol_database

import harness
from harness import CALL_TIMEOUT, Node, unit_pb2

from grpc.reflection.v1 import reflection_pb2 as refl_pb2
from grpc.reflection.v1 import reflection_pb2_grpc as refl_grpc

SC = grpc.StatusCode

setUpModule = harness.setup_module
tearDownModule = harness.teardown_module

# --- The table, as the README states it ------------------------------------------------------

ALL = {"OFFICE", "DEPARTMENT", "SERVICE_UNIT", "ASSOCIATION_PLATFORM", "INDUSTRIAL_PLATFORM",
       "FINANCE", "MUNICIPAL", "PORTAL", "SUBJECT"}

# The capabilities some method needs, with the kinds that hold them (scope and planned
# capabilities need no method, so they have no cell here; test_authz.c covers them).
CAPABILITIES = {
    "read.open": ALL,
    "read.government": {"OFFICE", "DEPARTMENT", "MUNICIPAL"},
    "units.read": ALL,
    "units.register": {"OFFICE"},
    "catalogue.read": ALL,
    "catalogue.propose": {"OFFICE", "DEPARTMENT", "SERVICE_UNIT", "MUNICIPAL"},
    "catalogue.review": {"OFFICE"},
    "catalogue.decide": {"OFFICE"},
    # Every kind: the catalogue says, record by record, who is responsible for what.
    "push.public": ALL,
    "push.service_unit": ALL,
    "push.association": ALL,
    "push.voluntary": ALL,
    "push.industrial": {"INDUSTRIAL_PLATFORM"},
    "voluntary.verify": {"OFFICE"},
    "mandate.manage": {"OFFICE"},
    "mandate.read": {"OFFICE", "ASSOCIATION_PLATFORM"},
    "optin.register": {"OFFICE", "INDUSTRIAL_PLATFORM"},
    "optin.revoke": {"OFFICE", "INDUSTRIAL_PLATFORM", "SUBJECT"},
    "optin.read": {"OFFICE", "INDUSTRIAL_PLATFORM"},
    "read.authorized": {"FINANCE"},
    "authorization.request": {"FINANCE"},
    "authorization.grant": {"SUBJECT", "PORTAL"},
    "authorization.read": {"FINANCE", "SUBJECT", "PORTAL"},
    "portrait.read": {"FINANCE"},
    # The city platform at the government tier; the office's read replica, everything.
    "sync.feed": {"OFFICE", "MUNICIPAL"},
}

_COLLECT = {m: None for m in ("PushBatch", "Push", "Correct", "Withdraw", "Reinstate",
                              "PushBatches")}

METHODS = {
    "credit.v1.UnitRegistry": {
        "WhoAmI": "units.read", "ListUnits": "units.read", "GetUnit": "units.read",
        "RegisterUnit": "units.register", "SuspendUnit": "units.register",
        "ReinstateUnit": "units.register", "BindIdentity": "units.register",
    },
    "credit.v1.CatalogueGovernance": {
        "ListVersions": "catalogue.read", "GetVersion": "catalogue.read",
        "GetChange": "catalogue.read", "ListChanges": "catalogue.read",
        "ProposeChange": "catalogue.propose", "ReviewChange": "catalogue.review",
        "DecideChange": "catalogue.decide",
    },
    "credit.v1.PublicCreditCollection": {m: "push.public" for m in _COLLECT},
    "credit.v1.ServiceUnitCollection": {m: "push.service_unit" for m in _COLLECT},
    "credit.v1.AssociationCollection": dict(
        {m: "push.association" for m in _COLLECT},
        RegisterMandate="mandate.manage", RevokeMandate="mandate.manage",
        ListMandates="mandate.read"),
    "credit.v1.VoluntaryDeclaration": {
        "PushBatch": "push.voluntary", "Push": "push.voluntary", "Withdraw": "push.voluntary",
        "Reinstate": "push.voluntary", "ListPending": "voluntary.verify",
        "Verify": "voluntary.verify", "PushBatches": "push.voluntary",
    },
    "credit.v1.IndustrialDataCollection": {
        "PushSamples": "push.industrial", "PushSampleBatches": "push.industrial",
        "RegisterOptIn": "optin.register",
        "RevokeOptIn": "optin.revoke", "ListOptIns": "optin.read",
    },
    "credit.v1.OpenQuery": {m: "read.open" for m in ("ListRecords", "GetRecord", "GetSeries")},
    "credit.v1.GovernmentSharing": {
        m: "read.government" for m in ("ListRecords", "GetRecord", "GetSeries")},
    "credit.v1.Authorization": dict(
        {m: "authorization.grant" for m in ("ApproveConsent", "RejectConsent", "PauseGrant",
                                            "ResumeGrant", "RevokeGrant")},
        RequestConsent="authorization.request", GetGrant="authorization.read",
        ListGrants="authorization.read", ListUses="authorization.read"),
    "credit.v1.AuthorizedQuery": {
        m: "read.authorized" for m in ("ListRecords", "GetRecord", "GetSeries")},
    "credit.v1.CreditFinance": {"GetPortrait": "portrait.read", "GetSigningKey": "read.open"},
    "credit.v1.Sync": {"Subscribe": "sync.feed", "Snapshot": "sync.feed"},
}


def short_kind(name):
    """A UnitKind value's name without the enum's prefix, however the protos spell it."""
    return name[len("UNIT_KIND_"):] if name.startswith("UNIT_KIND_") else name


def credit_methods():
    """Every method of every service in proto/credit/v1 (harness.credit_services):
    [(service, method, input message class, client_streaming, server_streaming)]."""
    db = symbol_database.Default()
    return [(svc.full_name, m.name, db.GetSymbol(m.input_type.full_name), cs, ss)
            for svc, m, cs, ss in harness.credit_services()]


def call(ch, path, cls, client_streaming, server_streaming):
    """Calls `path` with the empty request; returns (code, details)."""
    ser = lambda m: m.SerializeToString()  # noqa: E731
    des = lambda b: b  # noqa: E731
    try:
        if client_streaming and server_streaming:
            for _ in ch.stream_stream(path, ser, des)(iter([]), timeout=CALL_TIMEOUT):
                pass
        elif client_streaming:
            ch.stream_unary(path, ser, des)(iter([]), timeout=CALL_TIMEOUT)
        elif server_streaming:
            # The first message is the answer: a stream such as Sync.Subscribe never ends.
            stream = ch.unary_stream(path, ser, des)(cls(), timeout=CALL_TIMEOUT)
            for _ in stream:
                stream.cancel()
                break
        else:
            ch.unary_unary(path, ser, des)(cls(), timeout=CALL_TIMEOUT)
    except grpc.RpcError as e:
        return e.code(), e.details() or ""
    return SC.OK, ""


class PermissionMatrix(harness.InteropCase):
    """One node; one unit of every kind."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(name="matrix")
        cls.kinds = {}  # short kind name -> unit code
        for code, kind, _uscc, _name in harness.demo_units():
            cls.kinds.setdefault(short_kind(kind), code)
        # A kind the demo has no unit of gets one, registered by the office, with a certificate.
        with harness.channel(cls.node.port, "office") as ch:
            reg = harness.registry(ch)
            for v in unit_pb2.UnitKind.DESCRIPTOR.values:
                k = short_kind(v.name)
                if v.number == 0 or k in cls.kinds:
                    continue
                code = "matrix-" + k.lower().replace("_", "-")
                reg.RegisterUnit(unit_pb2.RegisterUnitRequest(code=code, name="Matrix " + k,
                                                              kind=v.number),
                                 timeout=CALL_TIMEOUT)
                harness.issue_cert(code, "urn:credit:unit:" + code)
                cls.kinds[k] = "extra/" + code

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_the_tables_name_every_unit_kind_and_every_capability_is_needed(self):
        kinds = {short_kind(v.name) for v in unit_pb2.UnitKind.DESCRIPTOR.values if v.number}
        self.assertEqual(ALL, kinds)
        for cap, holders in CAPABILITIES.items():
            self.assertLessEqual(holders, ALL, cap)
        used = {cap for methods in METHODS.values() for cap in methods.values()}
        self.assertEqual(used, set(CAPABILITIES))

    def test_the_methods_are_the_protos_and_the_node_serves_exactly_their_services(self):
        found = {(s, m) for s, m, _c, _cs, _ss in credit_methods()}
        tabled = {(s, m) for s, methods in METHODS.items() for m in methods}
        self.assertEqual(sorted(found - tabled), [], "methods without a row in METHODS")
        self.assertEqual(sorted(tabled - found), [], "rows in METHODS for no method")
        with harness.channel(self.node.port, "office") as ch:
            stub = refl_grpc.ServerReflectionStub(ch)
            (resp,) = list(stub.ServerReflectionInfo(
                iter([refl_pb2.ServerReflectionRequest(list_services="")]),
                timeout=CALL_TIMEOUT))
        served = {s.name for s in resp.list_services_response.service
                  if s.name.startswith("credit.")}
        self.assertEqual(served, {s for s, _m in found})

    def test_every_method_by_every_kind_is_refused_exactly_where_the_table_says(self):
        methods = credit_methods()
        self.assertGreaterEqual(len(methods), 48)
        drift, cells = [], 0
        for kind in sorted(ALL):
            who = self.kinds[kind]
            code_of_unit = who.split("/")[-1]
            with harness.channel(self.node.port, who) as ch:
                for svc, method, cls, cstream, sstream in methods:
                    cap = METHODS.get(svc, {}).get(method)
                    if cap is None:
                        drift.append("%s/%s × %s: no row in METHODS" % (svc, method, kind))
                        continue
                    cells += 1
                    want_denied = kind not in CAPABILITIES[cap]
                    code, details = call(ch, "/%s/%s" % (svc, method), cls, cstream, sstream)
                    cell = "%s/%s × %s (%s)" % (svc.split(".")[-1], method, kind, cap)
                    if want_denied and code != SC.PERMISSION_DENIED:
                        drift.append("%s: expected PERMISSION_DENIED, got %s %r"
                                     % (cell, code.name, details))
                    elif want_denied and ("lacks capability %s " % cap not in details or
                                          "unit %s (" % code_of_unit not in details):
                        drift.append("%s: PERMISSION_DENIED %r does not name unit %s and "
                                     "capability %s" % (cell, details, code_of_unit, cap))
                    elif not want_denied and code == SC.PERMISSION_DENIED:
                        drift.append("%s: expected anything but PERMISSION_DENIED, got %r"
                                     % (cell, details))
                    elif code in (SC.UNAUTHENTICATED, SC.UNIMPLEMENTED, SC.INTERNAL,
                                  SC.UNKNOWN, SC.UNAVAILABLE, SC.DEADLINE_EXCEEDED):
                        drift.append("%s: %s %r" % (cell, code.name, details))
        self.assertEqual(cells, len(methods) * len(ALL))
        if drift:
            self.fail("%d of %d cells drifted from the table:\n  %s"
                      % (len(drift), cells, "\n  ".join(drift)))


if __name__ == "__main__":
    import unittest
    unittest.main()
