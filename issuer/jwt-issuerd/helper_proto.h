/*
 * helper_proto.h: the messages between the daemon and its PAM helper
 * processes.  One request or reply is one SOCK_SEQPACKET datagram, so a
 * message never arrives in pieces; inside it, integers are host order (both
 * ends are the same binary) and strings are a 16-bit length then bytes.
 *
 * The request carries only what the client typed and where it came from.
 * The PAM service and confdir are not in it: the supervisor takes them from
 * its own reading of the configuration, so the unprivileged side cannot
 * point a root helper at a PAM stack of its choosing.
 */
#ifndef ISSUER_HELPER_PROTO_H
#define ISSUER_HELPER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAX_MSG 8192
#define PROTO_MAX_GROUPS 32
#define PROTO_NAME_MAX 256     /* user and group names, rhost, reason */
#define PROTO_SECRET_MAX 1024  /* password, otp */

/* Outcome of one login, decided in the helper. */
enum helper_outcome {
    HELPER_OUT_OK = 0,
    HELPER_OUT_DENIED,          /* wrong credentials, unknown user */
    HELPER_OUT_ACCT_EXPIRED,    /* PAM_ACCT_EXPIRED */
    HELPER_OUT_AUTHTOK_EXPIRED, /* PAM_NEW_AUTHTOK_REQD */
    HELPER_OUT_ACCT_DENIED,     /* other pam_acct_mgmt refusals */
    HELPER_OUT_ERROR,           /* PAM or helper failure, not the user's */
    /* Never on the wire: set by the daemon when a helper did not answer
       within pam_timeout. */
    HELPER_OUT_TIMEOUT,
};

#define PROTO_WANT_GROUPS 0x1u   /* look up the user's groups (claims_groups) */
/* A refresh: the PAM account stack only (pam_acct_mgmt), no
   authentication; password and otp must be empty.  It tells the caller no
   more than whether the account may log in now: it proves nothing about
   any credential, and nothing is signed on its say-so that the session's
   first login, with a password, did not already allow. */
#define PROTO_ACCT_ONLY 0x2u
#define PROTO_FLAGS_KNOWN (PROTO_WANT_GROUPS | PROTO_ACCT_ONLY)

struct proto_req {
    uint32_t seq;
    uint32_t flags;          /* PROTO_WANT_*; any other bit is malformed */
    char rhost[PROTO_NAME_MAX];
    char user[PROTO_NAME_MAX];
    char password[PROTO_SECRET_MAX];
    char otp[PROTO_SECRET_MAX];  /* "" when the form had none */
};

struct proto_reply {
    uint32_t seq;
    int32_t outcome;         /* enum helper_outcome */
    int32_t pam_rc;
    uint32_t delay_usec;     /* failures: hold the answer this long after
                                the request arrived (faildelay.h) */
    uint32_t asked_usec;     /* what PAM_FAIL_DELAY asked for, 0: nothing */
    char user[PROTO_NAME_MAX];   /* PAM_USER after authentication */
    char reason[PROTO_NAME_MAX]; /* short text for the log */
    /* A prompt PAM asked after the password that the request had no
       answer for (an OTP module's): the client may ask the user. */
    char prompt[PROTO_NAME_MAX];
    uint32_t ngroups;
    char groups[PROTO_MAX_GROUPS][PROTO_NAME_MAX];
};

/* Encode into buf (PROTO_MAX_MSG); returns the length, or 0 when a field
   does not fit. */
size_t proto_req_encode(const struct proto_req *r, uint8_t *buf);
size_t proto_reply_encode(const struct proto_reply *r, uint8_t *buf);

/* Decode; 0 or -1 on a malformed message (out is then unspecified). */
int proto_req_decode(const uint8_t *buf, size_t len, struct proto_req *out);
int proto_reply_decode(const uint8_t *buf, size_t len, struct proto_reply *out);

#endif
