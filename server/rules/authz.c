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
 * One decision the table makes that the kind list alone does not: a UNIT_KIND_SERVICE_UNIT is not a
 * government unit for reading. The government tier (政务共享) serves administrative bodies,
 * judicial bodies and organisations with public-affairs powers. A public service unit
 * (事业单位) or a grassroots body holds such powers only where a law or an authorisation gives
 * them to it, unit by unit; a grant to the kind would give every school, clinic and village
 * committee the legal representatives' ID numbers. So read.government is UNIT_KIND_OFFICE,
 * UNIT_KIND_DEPARTMENT and UNIT_KIND_MUNICIPAL, and the office registers a body that does hold
 * public-affairs powers as a UNIT_KIND_DEPARTMENT. A service unit still files catalogue changes
 * (catalogue.propose): the catalogue makes it responsible for its declarations, and whoever is
 * responsible for data may apply to change how it is described.
 *
 * Who pushes the four collected catalogues of records is the catalogue's to say: each
 * category or section names the unit kinds and units responsible for it (DESIGN.md), and a
 * change of that goes through the governed workflow. So every kind holds push.public,
 * push.service_unit, push.association and push.voluntary, and the catalogue narrows them per
 * record (a record of a category the unit is not responsible for is PERMISSION_DENIED on its
 * own, beside the other records' results). The rows are here so that the sharing side can
 * bound them, and so that every method states its capability. Industrial samples are not
 * delegated that way: push.industrial is the industrial platforms' alone.
 *
 * Invariants the unit test holds the tables to: every capability has a name and a use;
 * every method row needs a METHOD capability; every METHOD capability is needed by some
 * method; no PLANNED capability is needed by any; no kind outside credit.v1.UnitKind holds
 * anything.
 */
#include "authz.h"

#include "credit/v1/record.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "node.h"
#include "registry.h"

#include <stdio.h>
#include <string.h>

#define K(kind) (1u << CREDIT__V1__UNIT_KIND__##kind)
#define ALL_KINDS                                                                                  \
    (K(UNIT_KIND_OFFICE) | K(UNIT_KIND_DEPARTMENT) | K(UNIT_KIND_SERVICE_UNIT) |                   \
     K(UNIT_KIND_ASSOCIATION_PLATFORM) | K(UNIT_KIND_INDUSTRIAL_PLATFORM) | K(UNIT_KIND_FINANCE) | \
     K(UNIT_KIND_MUNICIPAL) | K(UNIT_KIND_PORTAL) | K(UNIT_KIND_SUBJECT))

#define METHOD  AUTHZ_USE_METHOD
#define SCOPE   AUTHZ_USE_SCOPE
#define PLANNED AUTHZ_USE_PLANNED

static const struct rule {
    const char *name;
    unsigned kinds; /* bit k: units of credit.v1.UnitKind k hold it */
    authz_use use;
    const char *what;
} rules[AUTHZ_N_CAPS] = {
    [AUTHZ_READ_OPEN] = {"read.open", ALL_KINDS, METHOD, "read the open tier"},
    [AUTHZ_READ_GOVERNMENT] = {"read.government",
                               K(UNIT_KIND_OFFICE) | K(UNIT_KIND_DEPARTMENT) |
                                   K(UNIT_KIND_MUNICIPAL),
                               METHOD, "read the government tier"},
    [AUTHZ_READ_AUTHORIZED] = {"read.authorized", K(UNIT_KIND_FINANCE), METHOD,
                               "read the authorized tier under a subject's live grant"},
    [AUTHZ_UNITS_READ] = {"units.read", ALL_KINDS, METHOD,
                          "ask who it is and read the unit registry"},
    [AUTHZ_UNITS_IDENTITIES] = {"units.identities", K(UNIT_KIND_OFFICE), SCOPE,
                                "see other units' certificate identities"},
    [AUTHZ_UNITS_REGISTER] = {"units.register", K(UNIT_KIND_OFFICE), METHOD,
                              "register, suspend and reinstate units and bind identities"},
    [AUTHZ_CATALOGUE_READ] = {"catalogue.read", ALL_KINDS, METHOD,
                              "read the catalogue and its change requests"},
    [AUTHZ_CATALOGUE_PROPOSE] = {"catalogue.propose",
                                 K(UNIT_KIND_OFFICE) | K(UNIT_KIND_DEPARTMENT) |
                                     K(UNIT_KIND_SERVICE_UNIT) | K(UNIT_KIND_MUNICIPAL),
                                 METHOD, "file a catalogue change"},
    [AUTHZ_CATALOGUE_REVIEW] = {"catalogue.review", K(UNIT_KIND_OFFICE), METHOD,
                                "review a catalogue change for compliance"},
    [AUTHZ_CATALOGUE_DECIDE] = {"catalogue.decide", K(UNIT_KIND_OFFICE), METHOD,
                                "decide a catalogue change"},
    [AUTHZ_PUSH_PUBLIC] = {"push.public", ALL_KINDS, METHOD,
                           "push public records of the categories it is responsible for"},
    [AUTHZ_PUSH_SERVICE_UNIT] = {"push.service_unit", ALL_KINDS, METHOD,
                                 "push service-unit declarations it is responsible for"},
    [AUTHZ_PUSH_ASSOCIATION] = {"push.association", ALL_KINDS, METHOD,
                                "push association records it is responsible for"},
    [AUTHZ_PUSH_VOLUNTARY] = {"push.voluntary", ALL_KINDS, METHOD,
                              "push voluntary declarations it is responsible for"},
    [AUTHZ_PUSH_INDUSTRIAL] = {"push.industrial", K(UNIT_KIND_INDUSTRIAL_PLATFORM), METHOD,
                               "push industrial samples"},
    [AUTHZ_SUBJECT_SELF] = {"subject.self", K(UNIT_KIND_SUBJECT), SCOPE,
                            "act only about itself, as a subject"},
    [AUTHZ_VOLUNTARY_VERIFY] = {"voluntary.verify", K(UNIT_KIND_OFFICE), METHOD,
                                "list and verify voluntary declarations"},
    [AUTHZ_MANDATE_MANAGE] = {"mandate.manage", K(UNIT_KIND_OFFICE), METHOD,
                              "register and revoke association mandates"},
    [AUTHZ_MANDATE_READ] = {"mandate.read", K(UNIT_KIND_OFFICE) | K(UNIT_KIND_ASSOCIATION_PLATFORM),
                            METHOD, "list association mandates"},
    [AUTHZ_MANDATE_HOLD] = {"mandate.hold", K(UNIT_KIND_ASSOCIATION_PLATFORM), SCOPE,
                            "hold association mandates"},
    [AUTHZ_OPTIN_REGISTER] = {"optin.register",
                              K(UNIT_KIND_OFFICE) | K(UNIT_KIND_INDUSTRIAL_PLATFORM), METHOD,
                              "register an enterprise's opt-in"},
    [AUTHZ_OPTIN_REVOKE] = {"optin.revoke",
                            K(UNIT_KIND_OFFICE) | K(UNIT_KIND_INDUSTRIAL_PLATFORM) |
                                K(UNIT_KIND_SUBJECT),
                            METHOD, "revoke an enterprise's opt-in"},
    [AUTHZ_OPTIN_READ] = {"optin.read", K(UNIT_KIND_OFFICE) | K(UNIT_KIND_INDUSTRIAL_PLATFORM),
                          METHOD, "list opt-ins"},
    [AUTHZ_OPTIN_HOLD] = {"optin.hold", K(UNIT_KIND_INDUSTRIAL_PLATFORM), SCOPE, "hold opt-ins"},
    [AUTHZ_SELF_QUERY] = {"self.query", K(UNIT_KIND_SUBJECT), PLANNED,
                          "read its own full view and credit report"},
    [AUTHZ_AUTHORIZATION_GRANT] = {"authorization.grant", K(UNIT_KIND_SUBJECT) | K(UNIT_KIND_PORTAL),
                                   METHOD,
                                   "approve, reject, pause, resume and revoke grants (a subject "
                                   "its own; the portal relaying a subject)"},
    [AUTHZ_PORTRAIT_READ] = {"portrait.read", K(UNIT_KIND_FINANCE), METHOD,
                             "read credit portraits under a live grant"},
    [AUTHZ_PORTRAIT_TEMPLATE] = {"portrait.template", K(UNIT_KIND_OFFICE), SCOPE,
                                 "file portrait template changes (CHANGE_KIND_SET_TEMPLATE)"},
    [AUTHZ_OBJECTION_FILE] = {"objection.file", K(UNIT_KIND_SUBJECT) | K(UNIT_KIND_PORTAL), PLANNED,
                              "file an objection"},
    [AUTHZ_OBJECTION_DECIDE] = {"objection.decide", K(UNIT_KIND_OFFICE), PLANNED,
                                "decide objections"},
    [AUTHZ_REPAIR_APPLY] = {"repair.apply", K(UNIT_KIND_SUBJECT) | K(UNIT_KIND_PORTAL), PLANNED,
                            "apply for credit repair"},
    [AUTHZ_REPAIR_DECIDE] = {"repair.decide", K(UNIT_KIND_OFFICE), PLANNED,
                             "decide credit repair applications"},
    [AUTHZ_SYNC_FEED] = {"sync.feed", K(UNIT_KIND_MUNICIPAL) | K(UNIT_KIND_OFFICE), METHOD,
                         "follow the change feed and take snapshots"},
    [AUTHZ_AUDIT_READ] = {"audit.read", K(UNIT_KIND_OFFICE), PLANNED,
                          "read and verify the audit log"},
    [AUTHZ_AUTHORIZATION_REQUEST] = {"authorization.request", K(UNIT_KIND_FINANCE), METHOD,
                                     "ask a subject for consent, as the grantee"},
    [AUTHZ_AUTHORIZATION_RELAY] = {"authorization.relay", K(UNIT_KIND_PORTAL), SCOPE,
                                   "decide grants for a subject it identified, with the signed "
                                   "document's digest"},
    [AUTHZ_AUTHORIZATION_READ] = {"authorization.read",
                                  K(UNIT_KIND_FINANCE) | K(UNIT_KIND_SUBJECT) | K(UNIT_KIND_PORTAL),
                                  METHOD, "read the grants and uses it is party to"},
    /* The city platform follows the feed at the government tier, as GovernmentSharing
     * shows it; the district office's own read replica receives everything: every record in
     * every state, every field unsealed, units with their identities. */
    [AUTHZ_SYNC_REPLICA] = {"sync.replica", K(UNIT_KIND_OFFICE), SCOPE,
                            "receive the change feed unfiltered, as a read replica"},
};

/* The push capability of each catalogue's records (and of the methods that collect them). */
static const struct {
    int catalogue;
    authz_cap cap;
} push_caps[] = {
    {CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, AUTHZ_PUSH_PUBLIC},
    {CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT, AUTHZ_PUSH_SERVICE_UNIT},
    {CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION, AUTHZ_PUSH_ASSOCIATION},
    {CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, AUTHZ_PUSH_VOLUNTARY},
    {CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL, AUTHZ_PUSH_INDUSTRIAL},
};

/* Every method of every credit.v1 service the node serves, with the capability it needs.
 * Correct, Withdraw and Reinstate need their catalogue's push capability: only a record's
 * source unit changes it, and it pushed it. */
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
    {"credit.v1.PublicCreditCollection", "PushBatches", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Correct", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Withdraw", AUTHZ_PUSH_PUBLIC},
    {"credit.v1.PublicCreditCollection", "Reinstate", AUTHZ_PUSH_PUBLIC},

    {"credit.v1.ServiceUnitCollection", "PushBatch", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Push", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "PushBatches", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Correct", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Withdraw", AUTHZ_PUSH_SERVICE_UNIT},
    {"credit.v1.ServiceUnitCollection", "Reinstate", AUTHZ_PUSH_SERVICE_UNIT},

    {"credit.v1.AssociationCollection", "PushBatch", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Push", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "PushBatches", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Correct", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Withdraw", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "Reinstate", AUTHZ_PUSH_ASSOCIATION},
    {"credit.v1.AssociationCollection", "RegisterMandate", AUTHZ_MANDATE_MANAGE},
    {"credit.v1.AssociationCollection", "RevokeMandate", AUTHZ_MANDATE_MANAGE},
    {"credit.v1.AssociationCollection", "ListMandates", AUTHZ_MANDATE_READ},

    {"credit.v1.VoluntaryDeclaration", "PushBatch", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "Push", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "PushBatches", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "Withdraw", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "Reinstate", AUTHZ_PUSH_VOLUNTARY},
    {"credit.v1.VoluntaryDeclaration", "ListPending", AUTHZ_VOLUNTARY_VERIFY},
    {"credit.v1.VoluntaryDeclaration", "Verify", AUTHZ_VOLUNTARY_VERIFY},

    {"credit.v1.IndustrialDataCollection", "PushSamples", AUTHZ_PUSH_INDUSTRIAL},
    {"credit.v1.IndustrialDataCollection", "PushSampleBatches", AUTHZ_PUSH_INDUSTRIAL},
    {"credit.v1.IndustrialDataCollection", "RegisterOptIn", AUTHZ_OPTIN_REGISTER},
    {"credit.v1.IndustrialDataCollection", "RevokeOptIn", AUTHZ_OPTIN_REVOKE},
    {"credit.v1.IndustrialDataCollection", "ListOptIns", AUTHZ_OPTIN_READ},

    {"credit.v1.OpenQuery", "ListRecords", AUTHZ_READ_OPEN},
    {"credit.v1.OpenQuery", "GetRecord", AUTHZ_READ_OPEN},
    {"credit.v1.OpenQuery", "GetSeries", AUTHZ_READ_OPEN},

    {"credit.v1.GovernmentSharing", "ListRecords", AUTHZ_READ_GOVERNMENT},
    {"credit.v1.GovernmentSharing", "GetRecord", AUTHZ_READ_GOVERNMENT},
    {"credit.v1.GovernmentSharing", "GetSeries", AUTHZ_READ_GOVERNMENT},

    {"credit.v1.Authorization", "RequestConsent", AUTHZ_AUTHORIZATION_REQUEST},
    {"credit.v1.Authorization", "ApproveConsent", AUTHZ_AUTHORIZATION_GRANT},
    {"credit.v1.Authorization", "RejectConsent", AUTHZ_AUTHORIZATION_GRANT},
    {"credit.v1.Authorization", "PauseGrant", AUTHZ_AUTHORIZATION_GRANT},
    {"credit.v1.Authorization", "ResumeGrant", AUTHZ_AUTHORIZATION_GRANT},
    {"credit.v1.Authorization", "RevokeGrant", AUTHZ_AUTHORIZATION_GRANT},
    {"credit.v1.Authorization", "GetGrant", AUTHZ_AUTHORIZATION_READ},
    {"credit.v1.Authorization", "ListGrants", AUTHZ_AUTHORIZATION_READ},
    {"credit.v1.Authorization", "ListUses", AUTHZ_AUTHORIZATION_READ},

    {"credit.v1.AuthorizedQuery", "ListRecords", AUTHZ_READ_AUTHORIZED},
    {"credit.v1.AuthorizedQuery", "GetRecord", AUTHZ_READ_AUTHORIZED},
    {"credit.v1.AuthorizedQuery", "GetSeries", AUTHZ_READ_AUTHORIZED},

    {"credit.v1.CreditFinance", "GetPortrait", AUTHZ_PORTRAIT_READ},
    {"credit.v1.CreditFinance", "GetSigningKey", AUTHZ_READ_OPEN},
    {"credit.v1.Sync", "Subscribe", AUTHZ_SYNC_FEED},
    {"credit.v1.Sync", "Snapshot", AUTHZ_SYNC_FEED},
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

authz_cap authz_push_cap(int catalogue)
{
    for (size_t i = 0; i < sizeof push_caps / sizeof push_caps[0]; i++) {
        if (push_caps[i].catalogue == catalogue)
            return push_caps[i].cap;
    }
    return AUTHZ_NONE;
}

const char *authz_cap_holders(authz_cap cap, char *out, size_t len)
{
    const ProtobufCEnumDescriptor *d = &credit__v1__unit_kind__descriptor;
    size_t used = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < d->n_values; i++) {
        if (!authz_kind_has(d->values[i].value, cap))
            continue;
        int n = snprintf(out + used, len - used, "%s%s", used ? ", " : "", d->values[i].name);
        if (n < 0 || (size_t)n >= len - used) {
            out[used] = '\0'; /* a list cut short names fewer kinds, never half of one */
            break;
        }
        used += (size_t)n;
    }
    if (!used)
        snprintf(out, len, "no unit kind");
    return out;
}

int authz_check_kind(const char *code, int kind, authz_cap cap, char *why)
{
    char held[160];

    if (authz_kind_has(kind, cap))
        return 0;
    if (!is_cap(cap)) {
        snprintf(why, AUTHZ_WHY_LEN, "unit %.63s: the method needs no known capability",
                 code ? code : "?");
        return -1;
    }
    /* What the capability allows comes last: a long list of holders may cut it short. */
    snprintf(why, AUTHZ_WHY_LEN, "unit %.63s (%s) lacks capability %s (held by %s): %s",
             code ? code : "?", registry_kind_name(kind), rules[cap].name,
             authz_cap_holders(cap, held, sizeof held), rules[cap].what);
    return -1;
}

int authz_check(const struct principal *p, authz_cap cap, char *why)
{
    return authz_check_kind(p ? p->code : NULL, p ? p->kind : 0, cap, why);
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
            snprintf(err, 256,
                     "method %.80s/%.60s has no capability in the permission table "
                     "(server/rules/authz.c)",
                     sd->name, sd->methods[i].name);
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
