/*
 * whoami.c — the smallest program on libcreditclient: connect with a unit's certificate,
 * check the node's health and ask who the node takes us to be.
 *
 *   credit-example TARGET CA CERT KEY
 *   credit-example localhost:50051 dev-tls/ca.crt dev-tls/units/tax.crt dev-tls/units/tax.key
 */
#include <credit/client.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s TARGET CA CERT KEY\n", argv[0]);
        return 2;
    }
    credit_client_options opts;
    credit_client_options_init(&opts);
    opts.target = argv[1];
    opts.ca_file = argv[2];
    opts.cert_file = argv[3];
    opts.key_file = argv[4];

    credit_status st;
    credit_client *c;
    if (credit_client_create(&opts, &c, &st) != CREDIT_OK) {
        fprintf(stderr, "cannot open client: %s\n", st.message);
        return 1;
    }
    int serving = 0, rc = 1;
    Credit__V1__WhoAmIResponse *me = NULL;
    if (credit_client_health_check(c, "", &serving, &st) != CREDIT_OK) {
        fprintf(stderr, "health: %s: %s\n", credit_code_name(st.code), st.message);
    } else if (credit_client_whoami(c, &me, &st) != CREDIT_OK) {
        fprintf(stderr, "whoami: %s: %s\n", credit_code_name(st.code), st.message);
    } else {
        printf("node %s; I am unit %s (%s), identity %s\n", serving ? "serving" : "not serving",
               me->unit->code, me->unit->name, me->identity);
        credit__v1__who_am_iresponse__free_unpacked(me, NULL);
        rc = 0;
    }
    credit_client_destroy(c);
    return rc;
}
