/*
 * log.h — structured log lines on stderr.
 *
 * One line per event, always: `ts=... level=... event=... key=value ...`. The caller writes
 * the tail as a printf-style format whose literal text is the keys (our code, trusted) and
 * whose conversions are the values. Every value, text or number, is written by the logger and
 * escaped by it, so no value can end a line, start a forged one or break the key=value shape,
 * whatever it holds:
 *
 *   - a value is quoted ("...") when it is empty or holds a space, `=`, `"`, `\` or anything
 *     escaped below; an unquoted value is exactly the value's bytes;
 *   - inside quotes `"` and `\` are written `\"` and `\\`; LF, CR and TAB `\n`, `\r`, `\t`;
 *     every other C0 control, DEL, the C1 controls (U+0080–U+009F), the Unicode line and
 *     paragraph separators (U+2028, U+2029), the bidirectional embeddings, overrides and
 *     isolates (U+202A–U+202E, U+2066–U+2069), and every byte of invalid UTF-8 are written
 *     byte by byte as `\xHH` (lower-case hex), so the escaped text decodes back to the
 *     original bytes exactly; valid UTF-8 otherwise passes unchanged;
 *   - a line that does not fit LOG_LINE_MAX bytes is cut at a whole escape or character and
 *     ends with ` truncated=1`; it is never split into two lines.
 *
 * So a call site writes `log_event(LOG_WARN, "refused", "method=%s reason=%s", m, why)` and
 * never quotes a value itself. In builds with assertions the logger checks its call sites'
 * formats: each conversion follows `key=` and is followed by a space or the end, and literal
 * text is printable ASCII without `"` or `\`.
 *
 * Natural persons' identity numbers never go into a log: no call site passes one.
 * Thread-safe: each line is written with one write(2) of at most LOG_LINE_MAX bytes, which is
 * PIPE_BUF on Linux, so lines of concurrent threads never interleave, even on a pipe.
 */
#ifndef CREDIT_LOG_H
#define CREDIT_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* The longest line written, newline included. */
#define LOG_LINE_MAX 4096

/* The smallest buffer log_format accepts: room for the time, the level and the cut marker. */
#define LOG_LINE_MIN 128

/* Sets the lowest level written; LOG_INFO by default. */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error". Returns 0, or -1 for anything else. */
int log_parse_level(const char *s, enum log_level *out);

/* Writes one line: event is a short word ("listening", "refused"); fmt the key=value tail, its
 * conversions the values (%s %c %d %i %u %x %X %o with the h, hh, l, ll, z, j, t modifiers,
 * %f %e %g, %%; flags, width and precision as printf, `*` included). */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The line log_event would write, into line[0..cap) (cap >= LOG_LINE_MIN): NUL-terminated,
 * ending in '\n'. Returns its length without the NUL. Whatever the level. For tests and for
 * writers other than stderr. */
size_t log_format(char *line, size_t cap, enum log_level level, const char *event,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

size_t log_vformat(char *line, size_t cap, enum log_level level, const char *event,
                   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

#endif /* CREDIT_LOG_H */
