int bench_scale(void); int bench_scale(void) { return 0; }
