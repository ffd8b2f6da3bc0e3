/*
 * authz.c — who may do what (see authz.h): the capability table and the method table.
 *
 * The kinds are DESIGN.md's: the office governs; departments push public records and read
 * the government tier; service units (towns, communities, villages, public service units)
 * declare good and bad conduct; the two kinds of platform push their catalogues for the
 * associations and enterprises they act for; lenders read only under a subject's grant; the
 * city platform syncs; the portal relays what subjects bring to a window; a subject with its
 * own certificate speaks for itself.
 *
 * One decision the table makes that the kind list alone does not: a SERVICE_UNIT is not a
 * government unit for reading. The government tier (政务共享) serves administrative bodies,
 * judicial bodies and organisations with public-affairs powers. A public service unit
 * (事业单位) or a grassroots body holds such powers only where a law or an authorisation gives
 * them to it, unit by unit; a grant to the kind would give every school, clinic and village
 * committee the legal representatives' ID numbers. So read.government is OFFICE, DEPARTMENT
 * and MUNICIPAL, and the office registers a body that does hold public-affairs powers as a
 * DEPARTMENT. A service unit still files catalogue changes (catalogue.propose): the
 * catalogue makes it responsible for its declarations, and whoever is responsible for data
 * may apply to change how it is described.
 *
 * Invariants the unit test holds the tables to: every capability has a name and a use;
 * every method row needs a METHOD capability; every METHOD capability is needed by some
 * method; no PLANNED capability is needed by any; no kind outside credit.v1.UnitKind holds
 * anything.
 */
#include "authz.h"

#include "credit/v1/unit.pb-c.h"
#include "node.h"

#include <stdio.h>
#include <string.h>

#define K(kind) (1u << CREDIT__V1__UNIT_KIND__##kind)
#define ALL_KINDS                                                                                  \
    (K(OFFICE) | K(DEPARTMENT) | K(SERVICE_UNIT) | K(ASSOCIATION_PLATFORM) |                       \
     K(INDUSTRIAL_PLATFORM) | K(FINANCE) | K(MUNICIPAL) | K(PORTAL) | K(SUBJECT))

#define METHOD  AUTHZ_USE_METHOD
#define SCOPE   AUTHZ_USE_SCOPE
#define PLANNED AUTHZ_USE_PLANNED

static const struct rule {
    const char *name;
    unsigned kinds; /* bit k: units of credit.v1.UnitKind k hold it */
    authz_use use;
    const char *what;
} rules[AUTHZ_N_CAPS] = {
    [AUTHZ_READ_OPEN] = {"read.open", ALL_KINDS, METHOD,
                         "read the open tier (OpenQuery): any registered unit"},
    [AUTHZ_READ_GOVERNMENT] = {"read.government", K(OFFICE) | K(DEPARTMENT) | K(MUNICIPAL),
                               METHOD,
                               "read the government tier (GovernmentSharing): administrative "
                               "and judicial bodies and the city platform"},
    [AUTHZ_READ_AUTHORIZED] = {"read.authorized", K(FINANCE), PLANNED,
                               "read the authorized tier under a subject's live grant "
                               "(AuthorizedQuery)"},
    [AUTHZ_UNITS_READ] = {"units.read", ALL_KINDS, METHOD,
                          "ask who it is; read the registry without others' identities"},
    [AUTHZ_UNITS_IDENTITIES] = {"units.identities", K(OFFICE), SCOPE,
                                "see other units' certificate identities"},
    [AUTHZ_UNITS_REGISTER] = {"units.register", K(OFFICE), METHOD,
                              "register, suspend and reinstate units; bind identities"},
    [AUTHZ_CATALOGUE_READ] = {"catalogue.read", ALL_KINDS, METHOD,
                              "read catalogue versions and change requests"},
    [AUTHZ_CATALOGUE_PROPOSE] = {"catalogue.propose",
                                 K(OFFICE) | K(DEPARTMENT) | K(SERVICE_UNIT) | K(MUNICIPAL),
                                 METHOD, "file a catalogue change (a written application)"},
    [AUTHZ_CATALOGUE_REVIEW] = {"catalogue.review", K(OFFICE), METHOD,
                                "review a change for compliance"},
    [AUTHZ_CATALOGUE_DECIDE] = {"catalogue.decide", K(OFFICE), METHOD,
                                "deliberate: approve or reject a change"},
    [AUTHZ_PUSH_PUBLIC] = {"push.public", K(OFFICE) | K(DEPARTMENT) | K(MUNICIPAL), METHOD,
                           "push, correct, withdraw and reinstate public records"},
    [AUTHZ_PUSH_SERVICE_UNIT] = {"push.service_unit", K(OFFICE) | K(SERVICE_UNIT), METHOD,
                                 "push, correct, withdraw and reinstate service-unit "
                                 "declarations"},
    [AUTHZ_PUSH_ASSOCIATION] = {"push.association", K(OFFICE) | K(ASSOCIATION_PLATFORM), METHOD,
                                "push, correct, withdraw and reinstate association records"},
    [AUTHZ_PUSH_VOLUNTARY] = {"push.voluntary", K(OFFICE) | K(PORTAL) | K(SUBJECT), METHOD,
                              "push, withdraw and reinstate voluntary declarations"},
    [AUTHZ_PUSH_INDUSTRIAL] = {"push.industrial", K(INDUSTRIAL_PLATFORM), METHOD,
                               "push industrial samples"},
    [AUTHZ_SUBJECT_SELF] = {"subject.self", K(SUBJECT), SCOPE,
                            "is a subject: declares only about itself, revokes only its own "
                            "opt-ins"},
    [AUTHZ_VOLUNTARY_VERIFY] = {"voluntary.verify", K(OFFICE), METHOD,
                                "list declarations by state; verify or reject them"},
    [AUTHZ_MANDATE_MANAGE] = {"mandate.manage", K(OFFICE), METHOD,
                              "register and revoke association mandates"},
    [AUTHZ_MANDATE_READ] = {"mandate.read", K(OFFICE) | K(ASSOCIATION_PLATFORM), METHOD,
                            "list mandates"},
    [AUTHZ_MANDATE_HOLD] = {"mandate.hold", K(ASSOCIATION_PLATFORM), SCOPE,
                            "holds mandates: pushes only under a live one, reads its own"},
    [AUTHZ_OPTIN_REGISTER] = {"optin.register", K(OFFICE) | K(INDUSTRIAL_PLATFORM), METHOD,
                              "register an enterprise's opt-in"},
    [AUTHZ_OPTIN_REVOKE] = {"optin.revoke", K(OFFICE) | K(INDUSTRIAL_PLATFORM) | K(SUBJECT),
                            METHOD, "revoke an opt-in"},
    [AUTHZ_OPTIN_READ] = {"optin.read", K(OFFICE) | K(INDUSTRIAL_PLATFORM), METHOD,
                          "list opt-ins"},
    [AUTHZ_OPTIN_HOLD] = {"optin.hold", K(INDUSTRIAL_PLATFORM), SCOPE,
                          "holds opt-ins: registers, revokes and lists only its own"},
    [AUTHZ_SELF_QUERY] = {"self.query", K(SUBJECT), PLANNED,
                          "a subject's full view and credit report (SelfService)"},
    [AUTHZ_AUTHORIZATION_GRANT] = {"authorization.grant", K(SUBJECT), PLANNED,
                                   "grant and revoke authorizations (Authorization)"},
    [AUTHZ_PORTRAIT_READ] = {"portrait.read", K(FINANCE), PLANNED,
                             "credit portraits under a live grant (CreditFinance)"},
    [AUTHZ_PORTRAIT_TEMPLATE] = {"portrait.template", K(OFFICE), PLANNED,
                                 "manage portrait templates (CreditFinance)"},
    [AUTHZ_OBJECTION_FILE] = {"objection.file", K(SUBJECT) | K(PORTAL), PLANNED,
                              "file an objection with evidence (Objection)"},
    [AUTHZ_OBJECTION_DECIDE] = {"objection.decide", K(OFFICE), PLANNED,
                                "accept and decide objections (Objection)"},
    [AUTHZ_REPAIR_APPLY] = {"repair.apply", K(SUBJECT) | K(PORTAL), PLANNED,
                            "apply for credit repair (CreditRepair)"},
    [AUTHZ_REPAIR_DECIDE] = {"repair.decide", K(OFFICE), PLANNED,
                             "decide repair applications (CreditRepair)"},
    [AUTHZ_SYNC_FEED] = {"sync.feed", K(MUNICIPAL), PLANNED, "follow the change feed (Sync)"},
    [AUTHZ_AUDIT_READ] = {"audit.read", K(OFFICE), PLANNED, "read and verify the audit log"},
};

/* Every method of every credit.v1 service the node serves, with the capability it needs.
 * Correct, Withdraw and Reinstate need the push capability of their catalogue: only a
 * record's source unit changes it, and it could push it. */
static const struct method_row {
    const char *service, *method;
    authz_cap cap;
} methods[] = {
    {"credit.v1.UnitRegistry", "WhoAmI", AUTHZ_UNITS_READ},
    {"credit.v1.UnitRegistry", "ListUnits", AUTHZ_UNITS_READ},
    {"credit.v1.UnitRegistry", "GetUnit", AUTHZ_UNITS_READ},
    {"credit.v1.UnitRegistry", "RegisterUnit", AUTHZ_UNITS_REGISTER},
    {"credit.v1.UnitRegistry", "SuspendUnit", AUTHZ_UNITS_REGISTER},
    {"credit.v1.UnitRegistry", "ReinstateUnit", AUTHZ_UNITS_REGISTER},
    {"credit.v1.UnitRegistry", "BindIdentity", AUTHZ_UNITS_REGISTER},

    {"credit.v1.CatalogueGovernance", "ListVersions", AUTHZ_CATALOGUE_READ},
    {"credit.v1.CatalogueGovernance", "GetVersion", AUTHZ_CATALOGUE_READ},
    {"credit.v1.CatalogueGovernance", "ProposeChange", AUTHZ_CATALOGUE_PROPOSE},
    {"credit.v1.CatalogueGovernance", "ReviewChange", AUTHZ_CATALOGUE_REVIEW},
    {"credit.v1.CatalogueGovernance", "DecideChange", AUTHZ_CATALOGUE_DECIDE},
    {"credit.v1.CatalogueGovernance", "GetChange", AUTHZ_CATALOGUE_READ},
    {"credit.v1.CatalogueGovernance", "ListChanges", AUTHZ_CATALOGUE_READ},

    {"credit.v1.PublicCreditCollection", "PushBatch", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Push", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Correct", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Withdraw", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Reinstate", AUTHZ_PUSH_PUBLIC},

    {"credit.v1.ServiceUnitCollection", "PushBatch", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Push", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Correct", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Withdraw", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Reinstate", AUTHZ_PUSH_SERVICE_UNIT},

    {"credit.v1.AssociationCollection", "PushBatch", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Push", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Correct", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Withdraw", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Reinstate", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "RegisterMandate", AUTHZ_MANDATE_MANAGE},
    {"credit.v1.AssociationCollection", "RevokeMandate", AUTHZ_MANDATE_MANAGE},
    {"credit.v1.AssociationCollection", "ListMandates", AUTHZ_MANDATE_READ},

    {"credit.v1.VoluntaryDeclaration", "PushBatch", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "Push", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "Withdraw", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "Reinstate", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "ListPending", AUTHZ_VOLUNTARY_VERIFY},
    {"credit.v1.VoluntaryDeclaration", "Verify", AUTHZ_VOLUNTARY_VERIFY},

    {"credit.v1.IndustrialDataCollection", "PushSamples", AUTHZ_PUSH_INDUSTRIAL},
    {"credit.v1.IndustrialDataCollection", "RegisterOptIn", AUTHZ_OPTIN_REGISTER},
    {"credit.v1.IndustrialDataCollection", "RevokeOptIn", AUTHZ_OPTIN_REVOKE},
    {"credit.v1.IndustrialDataCollection", "ListOptIns", AUTHZ_OPTIN_READ},

    {"credit.v1.OpenQuery", "ListRecords", AUTHZ_READ_OPEN},
    {"credit.v1.OpenQuery", "GetRecord", AUTHZ_READ_OPEN},
    {"credit.v1.OpenQuery", "GetSeries", AUTHZ_READ_OPEN},

    {"credit.v1.GovernmentSharing", "ListRecords", AUTHZ_READ_GOVERNMENT},
    {"credit.v1.GovernmentSharing", "GetRecord", AUTHZ_READ_GOVERNMENT},
    {"credit.v1.GovernmentSharing", "GetSeries", AUTHZ_READ_GOVERNMENT},
};

#define N_METHODS (sizeof methods / sizeof methods[0])

static int is_cap(authz_cap cap)
{
    return cap > AUTHZ_NONE && cap < AUTHZ_N_CAPS && rules[cap].name;
}

int authz_kind_has(int kind, authz_cap cap)
{
    if (!is_cap(cap) || kind <= 0 || kind >= 32)
        return 0;
    return (rules[cap].kinds >> kind) & 1u;
}

int authz_has(const struct principal *p, authz_cap cap)
{
    return p && authz_kind_has(p->kind, cap);
}

static const char *kind_name(int kind)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&credit__v1__unit_kind__descriptor, kind);
    return v ? v->name : "UNIT_KIND_UNSPECIFIED";
}

int authz_check(const struct principal *p, authz_cap cap, char *why)
{
    char held[160] = "";
    size_t len = 0;

    if (authz_has(p, cap))
        return 0;
    if (!is_cap(cap)) {
        snprintf(why, AUTHZ_WHY_LEN, "unit %.63s: the method needs no known capability",
                 p ? p->code : "?");
        return -1;
    }
    const ProtobufCEnumDescriptor *d = &credit__v1__unit_kind__descriptor;
    for (unsigned i = 0; i < d->n_values; i++) {
        if (!authz_kind_has(d->values[i].value, cap))
            continue;
        int n = snprintf(held + len, sizeof held - len, "%s%s", len ? ", " : "",
                         d->values[i].name);
        if (n < 0 || (size_t)n >= sizeof held - len)
            break;
        len += (size_t)n;
    }
    snprintf(why, AUTHZ_WHY_LEN, "unit %.63s (%s) lacks capability %s (held by %s)",
             p ? p->code : "?", kind_name(p ? p->kind : 0), rules[cap].name,
             len ? held : "no unit kind");
    return -1;
}

authz_cap authz_method_cap2(const char *service, const char *method)
{
    for (size_t i = 0; i < N_METHODS; i++) {
        if (strcmp(methods[i].service, service) == 0 && strcmp(methods[i].method, method) == 0)
            return methods[i].cap;
    }
    return AUTHZ_NONE;
}

authz_cap authz_method_cap(const char *path)
{
    /* "/<service>/<method>": compared in place, no copy. */
    if (!path || path[0] != '/')
        return AUTHZ_NONE;
    const char *svc = path + 1, *slash = strchr(svc, '/');
    if (!slash)
        return AUTHZ_NONE;
    size_t slen = (size_t)(slash - svc);
    for (size_t i = 0; i < N_METHODS; i++) {
        if (strlen(methods[i].service) == slen && strncmp(methods[i].service, svc, slen) == 0 &&
            strcmp(methods[i].method, slash + 1) == 0)
            return methods[i].cap;
    }
    return AUTHZ_NONE;
}

int authz_check_service(const ProtobufCServiceDescriptor *sd, char *err)
{
    for (unsigned i = 0; i < sd->n_methods; i++) {
        authz_cap cap = authz_method_cap2(sd->name, sd->methods[i].name);
        if (!is_cap(cap) || rules[cap].use != AUTHZ_USE_METHOD) {
            snprintf(err, 256, "method %.80s/%.60s has no capability in the permission table "
                     "(server/authz.c)", sd->name, sd->methods[i].name);
            return -1;
        }
    }
    return 0;
}

const char *authz_cap_name(authz_cap cap)
{
    return is_cap(cap) ? rules[cap].name : NULL;
}

authz_use authz_cap_use(authz_cap cap)
{
    return is_cap(cap) ? rules[cap].use : (authz_use)0;
}

const char *authz_cap_what(authz_cap cap)
{
    return is_cap(cap) ? rules[cap].what : NULL;
}

authz_cap authz_cap_by_name(const char *name)
{
    for (int c = AUTHZ_NONE + 1; c < AUTHZ_N_CAPS; c++) {
        if (rules[c].name && strcmp(rules[c].name, name) == 0)
            return (authz_cap)c;
    }
    return AUTHZ_NONE;
}

size_t authz_n_methods(void)
{
    return N_METHODS;
}

int authz_method_row(size_t i, const char **service, const char **method, authz_cap *cap)
{
    if (i >= N_METHODS)
        return -1;
    *service = methods[i].service;
    *method = methods[i].method;
    *cap = methods[i].cap;
    return 0;
}
