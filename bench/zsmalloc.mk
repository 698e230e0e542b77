# bench_zsmalloc compares zsmalloc with jemalloc per object (glibc through __libc_malloc).
BENCH_LIBS_bench_zsmalloc := -ljemalloc
