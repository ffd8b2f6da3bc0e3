/*
 * authz.h — who may do what: one table of unit kind × capability, and the capability each
 * method of the node's own services needs.
 *
 * Every permission that depends on the *kind* of the calling unit is decided here and nowhere
 * else (the channels each kind pushes records through are a rule of records, record_check.c).
 * Two tables in authz.c say it all:
 *  - the capability table: each capability, the unit kinds that hold it, and whether a method
 *    needs it (METHOD), a service narrows what a method does with it (SCOPE: e.g. a unit that
 *    holds mandates pushes only under one), or no method serves it yet (PLANNED: the sharing
 *    side's capabilities, written down so that the table is whole when they land);
 *  - the method table: for every method of every credit.v1 service the node serves, the one
 *    capability it needs. The node refuses to start if a method it serves has no row
 *    (authz_check_service), so a new method cannot be served without saying who may call it.
 *
 * The RPC layer asks node.c's authorize hook once per call, just before its handler first
 * runs (after the request's text check; for a client stream at its first message or its
 * empty end), which is where the handlers used to check kinds themselves; a refusal is
 * PERMISSION_DENIED whose message names the missing capability ("unit tax (UNIT_KIND_DEPARTMENT)
 * lacks capability catalogue.review (held by UNIT_KIND_OFFICE): review a catalogue change for
 * compliance"). What depends on more than the kind — the records a unit is the source of, the
 * catalogue sections it is responsible for, the mandates and opt-ins it holds, the subject a
 * subject unit is — stays with the services and the catalogue, which may narrow a capability
 * but never widen it.
 *
 * Pure functions over constant tables; safe from any thread.
 */
#ifndef CREDIT_AUTHZ_H
#define CREDIT_AUTHZ_H

#include <protobuf-c/protobuf-c.h>

struct principal;

/* The capabilities. AUTHZ_NONE is no capability (never held, never a method's). */
typedef enum authz_cap {
    AUTHZ_NONE = 0,
    /* Reading: the sharing tiers. */
    AUTHZ_READ_OPEN,       /* read.open: the open tier (主动公开) */
    AUTHZ_READ_GOVERNMENT, /* read.government: the government tier (政务共享) */
    AUTHZ_READ_AUTHORIZED, /* read.authorized: the authorized tier, under a live grant */
    /* The unit registry. */
    AUTHZ_UNITS_READ,       /* units.read: WhoAmI, the registry without others' identities */
    AUTHZ_UNITS_IDENTITIES, /* units.identities: other units' certificate identities */
    AUTHZ_UNITS_REGISTER,   /* units.register: register, suspend, reinstate, bind */
    /* The catalogue and its governance. */
    AUTHZ_CATALOGUE_READ,    /* catalogue.read: versions and change requests */
    AUTHZ_CATALOGUE_PROPOSE, /* catalogue.propose: file a written application */
    AUTHZ_CATALOGUE_REVIEW,  /* catalogue.review: compliance review */
    AUTHZ_CATALOGUE_DECIDE,  /* catalogue.decide: deliberation, approve or reject */
    /* Collection: push, correct, withdraw and reinstate one's own records of a catalogue (the
     * catalogue narrows these to the categories or sections it makes the unit responsible for). */
    AUTHZ_PUSH_PUBLIC,
    AUTHZ_PUSH_SERVICE_UNIT,
    AUTHZ_PUSH_ASSOCIATION,
    AUTHZ_PUSH_VOLUNTARY,
    AUTHZ_PUSH_INDUSTRIAL,
    AUTHZ_SUBJECT_SELF,     /* subject.self (scope): a subject acts only about itself */
    AUTHZ_VOLUNTARY_VERIFY, /* voluntary.verify: the queue of declarations and the verdicts */
    /* Mandates (association platform) and opt-ins (industrial platforms). */
    AUTHZ_MANDATE_MANAGE, /* mandate.manage: register and revoke mandates */
    AUTHZ_MANDATE_READ,   /* mandate.read: list mandates */
    AUTHZ_MANDATE_HOLD,   /* mandate.hold (scope): holds mandates, acts only under its own */
    AUTHZ_OPTIN_REGISTER, /* optin.register */
    AUTHZ_OPTIN_REVOKE,   /* optin.revoke */
    AUTHZ_OPTIN_READ,     /* optin.read */
    AUTHZ_OPTIN_HOLD,     /* optin.hold (scope): holds opt-ins, acts only on its own */
    /* The sharing side, not yet served by any method (PLANNED). */
    AUTHZ_SELF_QUERY,          /* self.query: a subject's full view and credit report */
    AUTHZ_AUTHORIZATION_GRANT, /* authorization.grant: grant and revoke authorizations */
    AUTHZ_PORTRAIT_READ,       /* portrait.read: credit portraits, under a live grant */
    AUTHZ_PORTRAIT_TEMPLATE,   /* portrait.template: manage portrait templates */
    AUTHZ_OBJECTION_FILE,      /* objection.file */
    AUTHZ_OBJECTION_DECIDE,    /* objection.decide */
    AUTHZ_REPAIR_APPLY,        /* repair.apply */
    AUTHZ_REPAIR_DECIDE,       /* repair.decide */
    AUTHZ_SYNC_FEED,           /* sync.feed: the change feed */
    AUTHZ_AUDIT_READ,          /* audit.read */
    /* Consent (issue 15): the grantee's request, the portal's relay, reading grants. */
    AUTHZ_AUTHORIZATION_REQUEST, /* authorization.request: file a consent request (a grantee) */
    AUTHZ_AUTHORIZATION_RELAY,   /* authorization.relay (scope): decide for a subject it identified */
    AUTHZ_AUTHORIZATION_READ,    /* authorization.read: grants and uses it is party to */
    AUTHZ_SYNC_REPLICA,        /* sync.replica (scope): the feed unfiltered, as a read replica */
    AUTHZ_N_CAPS
} authz_cap;

/* How a capability is used. */
typedef enum authz_use {
    AUTHZ_USE_METHOD = 1,  /* some method needs it (the method table) */
    AUTHZ_USE_SCOPE = 2,   /* a service narrows what a method does for the units holding it */
    AUTHZ_USE_PLANNED = 3, /* for a service not yet served: no method may need it */
} authz_use;

/* The length of a refusal's message buffer. */
#define AUTHZ_WHY_LEN 256

/* Whether a unit of kind `kind` (Credit__V1__UnitKind) holds `cap`. Unknown kinds and
 * capabilities hold nothing: default deny. */
int authz_kind_has(int kind, authz_cap cap);

/* The push capability of records of catalogue `catalogue` (Credit__V1__Catalogue), or
 * AUTHZ_NONE for a catalogue that is not pushed as records. */
authz_cap authz_push_cap(int catalogue);

/* The kinds holding `cap`, comma-separated ("UNIT_KIND_OFFICE, UNIT_KIND_DEPARTMENT"), into
 * out[len]; "no unit kind" when none does. Returns out. */
const char *authz_cap_holders(authz_cap cap, char *out, size_t len);

/* Whether the caller `p` holds `cap` (authz_kind_has of its kind). */
int authz_has(const struct principal *p, authz_cap cap);

/* Returns 0 if the caller `p` holds `cap`; else writes why into why[AUTHZ_WHY_LEN] ("unit tax
 * (UNIT_KIND_DEPARTMENT) lacks capability catalogue.review (held by UNIT_KIND_OFFICE): review a
 * catalogue change for compliance") and returns -1, which the caller answers with
 * PERMISSION_DENIED. */
int authz_check(const struct principal *p, authz_cap cap, char *why);

/* authz_check for unit `code` of kind `kind`. */
int authz_check_kind(const char *code, int kind, authz_cap cap, char *why);

/* The capability method `path` ("/credit.v1.UnitRegistry/WhoAmI") needs, or AUTHZ_NONE if the
 * method table has no row for it. */
authz_cap authz_method_cap(const char *path);

/* As authz_method_cap, by service and method name ("credit.v1.UnitRegistry", "WhoAmI"). */
authz_cap authz_method_cap2(const char *service, const char *method);

/* Whether every method of service `sd` has a row in the method table, needing a capability
 * of use METHOD. Returns 0, or -1 with err[256] naming the first method without one. */
int authz_check_service(const ProtobufCServiceDescriptor *sd, char *err);

/* The capability's name ("catalogue.review"), its use and a one-line description; NULL / 0
 * for a value that is no capability. */
const char *authz_cap_name(authz_cap cap);
authz_use authz_cap_use(authz_cap cap);
const char *authz_cap_what(authz_cap cap);

/* The capability named `name`, or AUTHZ_NONE. */
authz_cap authz_cap_by_name(const char *name);

/* The method table, for tests and documentation: row i (0 <= i < authz_n_methods()) is
 * service "credit.v1.X", method "Y", capability. Returns -1 past the end. */
size_t authz_n_methods(void);
int authz_method_row(size_t i, const char **service, const char **method, authz_cap *cap);

#endif /* CREDIT_AUTHZ_H */
