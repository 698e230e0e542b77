/* SPDX-License-Identifier: MIT */
#include "config.h"

void th_config_spb(struct pa_config *cfg, unsigned pageblocks)
{
	unsigned order = cfg->pageblock_order;

	while ((1u << (order - cfg->pageblock_order)) < pageblocks)
		order++;
	cfg->superpageblock_order =
		order > cfg->max_order ? order : cfg->max_order;
}

struct pa_config th_config(uint64_t pageblocks, unsigned pageblock_order,
			   unsigned max_order, unsigned flags, unsigned ncpus)
{
	struct pa_config c = pa_config_default();

	c.page_shift = 12;
	c.pageblock_order = pageblock_order;
	c.max_order = max_order;
	th_config_spb(&c, TH_SPB_PAGEBLOCKS);
	c.bytes = (pageblocks << pageblock_order) << c.page_shift;
	c.flags = flags;
	c.ncpus = ncpus ? ncpus : 1;
	return c;
}
