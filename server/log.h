/*
 * log.h — structured log lines on stderr.
 *
 * One line per event: `ts=... level=... event=... key=value ...`, values quoted when they hold
 * spaces. The fields are written by the caller as a printf-style tail, so each call site
 * says plainly what it logs. Natural persons' identity numbers never go into a log.
 * Thread-safe: each line is written with one write(2).
 */
#ifndef CREDIT_LOG_H
#define CREDIT_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Sets the lowest level written; LOG_INFO by default. */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error". Returns 0, or -1 for anything else. */
int log_parse_level(const char *s, enum log_level *out);

/* Writes one line: event is a short word ("listening", "refused"); fmt the key=value tail. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CREDIT_LOG_H */
