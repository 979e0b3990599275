/*
 * version.h: pamjwt's version, the one place it is written.  jwt-issuerd,
 * jwtctl and pam_jwt.so all print it (--version, the ready line, the
 * module's debug line), so a log says which build wrote it.
 */
#ifndef PJWT_VERSION_H
#define PJWT_VERSION_H

#define PJWT_VERSION "0.11.0"

#endif
