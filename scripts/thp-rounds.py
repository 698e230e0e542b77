#!/usr/bin/env python3
# 25 rounds of 32 transparent huge pages: map 64 MiB private anonymous
# memory, ask for THPs (MADV_HUGEPAGE: THP is often "madvise"), touch every
# 2 MiB, unmap, sleep 60 ms.  The workload of samples/thp-decay (README).
import mmap, time
for r in range(25):
    m = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m.madvise(mmap.MADV_HUGEPAGE)
    for i in range(0, len(m), 1 << 21):
        m[i] = 1
    m.close()
    time.sleep(0.06)
