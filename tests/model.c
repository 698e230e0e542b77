/* SPDX-License-Identifier: MIT */
#include "model.h"

#include <stdlib.h>
#include <string.h>

int tm_init(struct tm_model *m, uint64_t npages, unsigned max_order)
{
	memset(m, 0, sizeof(*m));
	m->npages = npages;
	m->max_order = max_order;
	m->used = calloc(npages ? npages : 1, 1);
	m->head = malloc(npages ? npages : 1);
	m->live = malloc((npages ? npages : 1) * sizeof(uint64_t));
	m->live_pos = malloc((npages ? npages : 1) * sizeof(uint64_t));
	if (!m->used || !m->head || !m->live || !m->live_pos) {
		tm_fini(m);
		return -1;
	}
	memset(m->head, TM_NOT_HEAD, npages);
	return 0;
}

void tm_fini(struct tm_model *m)
{
	free(m->used);
	free(m->head);
	free(m->live);
	free(m->live_pos);
	memset(m, 0, sizeof(*m));
}

bool tm_range_free(const struct tm_model *m, uint64_t pfn, unsigned order)
{
	uint64_t n;

	if (order > 63)
		return false;
	n = UINT64_C(1) << order;
	if (pfn >= m->npages || n > m->npages - pfn)
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (m->used[pfn + i])
			return false;
	return true;
}

bool tm_is_live(const struct tm_model *m, uint64_t pfn, unsigned order)
{
	return pfn < m->npages && m->head[pfn] == order;
}

void tm_add(struct tm_model *m, uint64_t pfn, unsigned order)
{
	uint64_t n = UINT64_C(1) << order;

	memset(m->used + pfn, 1, n);
	m->head[pfn] = (uint8_t)order;
	m->live_pos[pfn] = m->nlive;
	m->live[m->nlive++] = pfn;
	m->allocated_pages += n;
}

void tm_remove(struct tm_model *m, uint64_t pfn)
{
	unsigned order = m->head[pfn];
	uint64_t n = UINT64_C(1) << order;
	uint64_t pos = m->live_pos[pfn];
	uint64_t last = m->live[--m->nlive];

	m->live[pos] = last;
	m->live_pos[last] = pos;
	memset(m->used + pfn, 0, n);
	m->head[pfn] = TM_NOT_HEAD;
	m->allocated_pages -= n;
}

bool tm_fits(const struct tm_model *m, unsigned order, uint64_t *pfn)
{
	uint64_t n;

	if (order > m->max_order || order > 63)
		return false;
	n = UINT64_C(1) << order;
	for (uint64_t p = 0; p + n <= m->npages; p += n) {
		uint64_t i;

		for (i = 0; i < n && !m->used[p + i]; i++)
			;
		if (i == n) {
			if (pfn)
				*pfn = p;
			return true;
		}
	}
	return false;
}

int tm_block_of(const struct tm_model *m, uint64_t pfn, uint64_t *headp)
{
	if (pfn >= m->npages || !m->used[pfn])
		return -1;
	for (unsigned o = 0; o <= m->max_order && o < 64; o++) {
		uint64_t h = pfn & ~((UINT64_C(1) << o) - 1);

		if (m->head[h] == o) {
			if (headp)
				*headp = h;
			return (int)o;
		}
	}
	return -1;
}
