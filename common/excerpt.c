/*
 * excerpt.c: the log-safe excerpt (excerpt.h).
 */
#include <string.h>
#include "excerpt.h"

/* One byte of a WORD excerpt: kept, or '?'. */
static char
word_char(unsigned char c)
{
    return (c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\')
               ? (char)c : '?';
}

const char *
pjwt_excerpt(const char *s, size_t len, size_t max, unsigned flags,
             char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, n = 0;

    if (!s || len == 0 || (len == PJWT_EXCERPT_CSTR && !*s)) {
        if (flags & (PJWT_EXCERPT_QUOTE | PJWT_EXCERPT_WORD))
            return "-";
        if (cap > 0)
            out[0] = '\0';
        return out;
    }
    if (cap < 10) {
        if (cap > 0)
            out[0] = '\0';
        return out;
    }
    if (flags & PJWT_EXCERPT_QUOTE)
        out[n++] = '"';
    /* 9: the widest byte (4), "..." (3), the closing quote and the NUL */
    for (i = 0; (len == PJWT_EXCERPT_CSTR ? s[i] != '\0' : i < len) &&
                i < max && n + 9 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (flags & PJWT_EXCERPT_WORD) {
            out[n++] = word_char(ch);
        } else if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch >= 0x20 && ch < 0x7f) {
            out[n++] = (char)ch;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        }
    }
    if (len == PJWT_EXCERPT_CSTR ? s[i] != '\0' : i < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    if (flags & PJWT_EXCERPT_QUOTE)
        out[n++] = '"';
    out[n] = '\0';
    return out;
}
