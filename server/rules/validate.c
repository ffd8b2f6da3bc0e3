/*
 * validate.c — see validate.h. The weights and alphabets are those of the standards, as
 * DOMAIN.md gives them.
 */
#include "validate.h"

#include <stdio.h>
#include <string.h>

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
static const int org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

static int uscc_value(char c)
{
    const char *p = c ? strchr(uscc_alphabet, c) : NULL;
    return p ? (int)(p - uscc_alphabet) : -1;
}

/* The organisation code (GB 11714) counts letters as A=10 ... Z=35. */
static int org_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

int validate_uscc(const char *s, char *why)
{
    size_t n = strlen(s);
    if (n != 18) {
        snprintf(why, 128, "must be 18 characters, not %zu", n);
        return -1;
    }
    int sum = 0;
    for (int i = 0; i < 18; i++) {
        int v = uscc_value(s[i]);
        if (v < 0) {
            snprintf(why, 128, "character %d ('%c') is outside the USCC alphabet", i + 1,
                     s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
            return -1;
        }
        if (i < 17)
            sum += v * uscc_weights[i];
    }
    int osum = 0;
    for (int i = 0; i < 8; i++)
        osum += org_value(s[8 + i]) * org_weights[i];
    int oc = 11 - osum % 11;
    char ocheck = oc == 10 ? 'X' : oc == 11 ? '0' : (char)('0' + oc);
    if (s[16] != ocheck) {
        snprintf(why, 128, "organisation code check character is '%c', expected '%c'", s[16],
                 ocheck);
        return -1;
    }
    char check = uscc_alphabet[(31 - sum % 31) % 31];
    if (s[17] != check) {
        snprintf(why, 128, "check character is '%c', expected '%c'", s[17], check);
        return -1;
    }
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int validate_resident_id(const char *s, char *why)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char checks[] = "10X98765432";
    size_t n = strlen(s);
    if (n != 18) {
        snprintf(why, 128, "must be 18 characters, not %zu", n);
        return -1;
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (s[i] < '0' || s[i] > '9') {
            snprintf(why, 128, "character %d is not a digit", i + 1);
            return -1;
        }
        sum += (s[i] - '0') * w[i];
    }
    int y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
    int m = (s[10] - '0') * 10 + (s[11] - '0');
    int d = (s[12] - '0') * 10 + (s[13] - '0');
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = m >= 1 && m <= 12 ? mdays[m - 1] + (m == 2 && is_leap(y)) : 0;
    if (y < 1800 || m < 1 || m > 12 || d < 1 || d > dim) {
        snprintf(why, 128, "the birth date (characters 7 to 14) is not a real date");
        return -1;
    }
    if (s[17] == 'x' && checks[sum % 11] == 'X') {
        snprintf(why, 128, "the check character must be written as an upper-case X");
        return -1;
    }
    if (s[17] != checks[sum % 11]) {
        snprintf(why, 128, "check character does not match");
        return -1;
    }
    return 0;
}

int validate_resident_id_normalise(char *s)
{
    if (!s || strlen(s) != 18 || s[17] != 'x')
        return 0;
    s[17] = 'X';
    return 1;
}

int validate_lower_hex(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
        i++;
    return i == len && s[len] == '\0';
}
