#ifndef MOONGATE_CPCRE2_SHIM_H
#define MOONGATE_CPCRE2_SHIM_H
/// PCRE2 needs its code unit width chosen before the header is included.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
