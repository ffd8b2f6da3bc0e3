/*
 * reasons.c — the node's faults in the reader's language: one table from each reason code
 * (README "Reason codes") to a message template that gettext translates.
 *
 * The node says why it refused a record (or a sample) twice: in an English sentence for
 * people, and by field and reason code for programs (PushResult.faults). creditctl shows the
 * sentence under an English locale (the default: it is the most precise), and under a locale
 * that translates creditctl the template of the fault's code in that language, on the
 * terminal and in the rejects file alike. A fault is never translated by matching the node's
 * words, which the node may reword; a code this table does not know (a newer node) or a
 * template the locale does not translate keeps the node's sentence.
 *
 * Pure table lookups; no state.
 */
#include "creditctl.h"

#include <string.h>

/* The templates follow the field's path ("penalty.authority: is required: ..."). */
static const struct {
    const char *code;
    const char *text; /* msgid */
} reasons[] = {
    {"REQUIRED", N_("is required: missing, empty or only blanks")},
    {"TOO_LONG", N_("is longer than the field allows")},
    {"BAD_TEXT", N_("is not UTF-8 text, or holds a control character")},
    {"BAD_USCC", N_("is not a valid unified social credit code")},
    {"BAD_RESIDENT_ID", N_("is not a valid resident identity number")},
    {"BAD_CODE", N_("is not of the form of its code (registration number, organisation code, "
                    "tax number)")},
    {"BAD_DATE", N_("is not a real date")},
    {"FUTURE_DATE", N_("is a date or time in the future")},
    {"OUT_OF_ORDER", N_("ends before it starts")},
    {"OUTSIDE_WINDOW", N_("is outside the publicity window of the penalty's severity")},
    {"OUT_OF_RANGE", N_("is outside the range the field allows")},
    {"NOT_ALLOWED", N_("is not one of the values the catalogue allows")},
    {"PATTERN_MISMATCH", N_("does not match the pattern the catalogue gives")},
    {"UNKNOWN_VALUE", N_("is a number its enum does not define")},
    {"UNKNOWN_SECTION", N_("is not a category or section of the catalogue in force")},
    {"WRONG_TYPE", N_("is of another type than its dimension's")},
    {"NOT_A_DIMENSION", N_("is not a dimension of these records: leave it out")},
    {"DUPLICATE", N_("is given twice")},
    {"CONTRADICTS", N_("contradicts another code of the subject")},
    {"WRONG_BODY", N_("is not the body this category or section takes")},
    {"NOT_RESPONSIBLE", N_("may not be pushed by this unit (responsibility, channel or mandate)")},
    {"NO_OPT_IN", N_("the enterprise has no live opt-in for this platform")},
    {"STALE", N_("is not later than the stored version's: a stale re-send, nothing written")},
    {"SUBJECT_CHANGED", N_("names another subject than the one stored for this source record")},
    {"SOURCE_ID_TAKEN", N_("already names a record of another catalogue")},
    {"WITHDRAWN", N_("the record is withdrawn: a push does not revive it")},
    {"REPEATED_IN_CALL", N_("was sent earlier in the same call")},
    {"INVALID", N_("is not valid")},
    {"PRECONDITION", N_("cannot be taken in the record's present state")},
    {"UNAVAILABLE", N_("could not be taken now: push again")},
};

const char *reason_say(const char *code, const char *english)
{
    for (size_t i = 0; code && i < sizeof reasons / sizeof reasons[0]; i++) {
        if (strcmp(reasons[i].code, code) != 0)
            continue;
        const char *said = gettext(reasons[i].text);
        /* gettext returns its argument itself when the locale does not translate it. */
        return said != reasons[i].text ? said : english ? english : "";
    }
    return english ? english : "";
}
