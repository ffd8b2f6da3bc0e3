/*
 * utf8.h — decoding and encoding one UTF-8 character, for the modules that check text
 * (record_check.c) and read it (textproto.c).
 *
 * Pure functions; safe from any thread.
 */
#ifndef CREDIT_UTF8_H
#define CREDIT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one character of s[0..n) into *cp. Returns its length (1 to 4), or 0 when n is 0 or
 * the bytes are not UTF-8: malformed, truncated or overlong, a surrogate, above U+10FFFF. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes code point cp (not a surrogate, at most U+10FFFF) into out[4]; returns its length. */
size_t utf8_encode(uint32_t cp, char *out);

#endif /* CREDIT_UTF8_H */
