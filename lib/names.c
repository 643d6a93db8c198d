/* lib/names.c - names of results, reasons, errors, types and statuses.
 * Owns: the static strings of the public enums.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#include "mxspf/mxspf.h"
#include "internal.h"

static const char *const result_names[] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror",
	"permerror"
};

const char *
mxspf_result_name(enum mxspf_result r)
{
	if ((size_t)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "unknown";
	return result_names[r];
}

int
mxspf_result_parse(const char *name, enum mxspf_result *out)
{
	size_t i, n;

	if (name == NULL)
		return MXSPF_EINVAL;
	for (n = 0; name[n] != '\0'; n++)
		;
	for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++) {
		if (mxspf__strcaseeq_n(name, n, result_names[i])) {
			*out = (enum mxspf_result)i;
			return 0;
		}
	}
	return MXSPF_EINVAL;
}

const char *
mxspf_reason_name(enum mxspf_reason r)
{
	switch (r) {
	case MXSPF_WHY_MECHANISM:	return "mechanism";
	case MXSPF_WHY_DEFAULT:		return "default";
	case MXSPF_WHY_NO_RECORD:	return "no-record";
	case MXSPF_WHY_BAD_DOMAIN:	return "bad-domain";
	case MXSPF_WHY_SYNTAX:		return "syntax";
	case MXSPF_WHY_MULTIPLE:	return "multiple-records";
	case MXSPF_WHY_LIMIT:		return "limit";
	case MXSPF_WHY_INCLUDE_NONE:	return "include-none";
	case MXSPF_WHY_REDIRECT_NONE:	return "redirect-none";
	case MXSPF_WHY_DNS:		return "dns-error";
	case MXSPF_WHY_DEADLINE:	return "deadline";
	case MXSPF_WHY_MACRO:		return "macro";
	}
	return "unknown";
}

const char *
mxspf_strerror(int err)
{
	switch (err) {
	case MXSPF_OK:		return "success";
	case MXSPF_ENOMEM:	return "out of memory";
	case MXSPF_EINVAL:	return "invalid argument";
	case MXSPF_ESTATE:	return "call not valid in this state";
	case MXSPF_ENOENT:	return "not found";
	case MXSPF_ESYNTAX:	return "syntax error";
	case MXSPF_EIO:		return "input/output error";
	case MXSPF_ELIMIT:	return "limit exceeded";
	case MXSPF_EDNS:	return "resolver error";
	}
	return "unknown error";
}

const char *
mxspf_rrtype_name(int type)
{
	switch (type) {
	case MXSPF_RR_A:	return "A";
	case MXSPF_RR_PTR:	return "PTR";
	case MXSPF_RR_MX:	return "MX";
	case MXSPF_RR_TXT:	return "TXT";
	case MXSPF_RR_AAAA:	return "AAAA";
	}
	return "TYPE?";
}

const char *
mxspf_dns_status_name(enum mxspf_dns_status s)
{
	switch (s) {
	case MXSPF_DNS_OK:		return "NOERROR";
	case MXSPF_DNS_NXDOMAIN:	return "NXDOMAIN";
	case MXSPF_DNS_NODATA:		return "NODATA";
	case MXSPF_DNS_SERVFAIL:	return "SERVFAIL";
	case MXSPF_DNS_TIMEOUT:		return "TIMEOUT";
	}
	return "UNKNOWN";
}
