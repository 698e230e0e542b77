/* SPDX-License-Identifier: MIT */
/*
 * fragindex.h - the kernel's extfrag and unusable indexes: the layouts of
 * /sys/kernel/debug/extfrag/{extfrag_index,unusable_index}, for report.c.
 * The values themselves are public: pa_frag_index() in pagealloc.h.
 */
#ifndef PA_FRAGINDEX_H
#define PA_FRAGINDEX_H

#include <stdio.h>

#include "pagealloc.h"

void fragindex_report_extfrag(struct pa_zone *z, FILE *f);
void fragindex_report_unusable(struct pa_zone *z, FILE *f);

#endif
