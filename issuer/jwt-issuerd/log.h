/*
 * log.h: the daemon's logging (ssh log.h in miniature).  Everything goes to
 * stderr, one line per event, so journald or a file catches it; lines start
 * with an ISO 8601 UTC time so fail2ban's date detection finds it, or, when
 * stderr is the journal (JOURNAL_STREAM), with a "<N>" priority only.
 * Never pass tokens, passwords or key material.
 */
#ifndef ISSUER_LOG_H
#define ISSUER_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERR };

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)

/* Text a client chose goes into a line through common/excerpt.h:
   PJWT_EXCERPT_WORD for bare fields (user=), escaped inside quotes for
   reason="...". */

#endif
