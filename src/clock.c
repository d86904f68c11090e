/*
 * clock — the anchor that ties the monotonic clock to wall time, so a
 * span's monotonic timestamps can be written as Unix times (clock.h).
 */
#include "obslab/clock.h"

#include <errno.h>

/* Below this much time left, spinning is more accurate than sleeping: the
 * scheduler's wake-up latency on these machines is ~50 µs. */
#define SPIN_THRESHOLD_NS (100 * CLOCK_NS_PER_US)

struct clock_anchor clock_anchor(void)
{
	struct timespec wall;
	int64_t before = clock_now_ns();
	clock_gettime(CLOCK_REALTIME, &wall);
	int64_t after = clock_now_ns();
	return (struct clock_anchor){
		.mono_ns = before + (after - before) / 2,
		.unix_ns = (int64_t)wall.tv_sec * CLOCK_NS_PER_S + wall.tv_nsec,
	};
}

int64_t clock_wait_until(int64_t deadline_ns)
{
	int64_t now = clock_now_ns();
	while (deadline_ns - now > SPIN_THRESHOLD_NS) {
		int64_t nap = deadline_ns - now - SPIN_THRESHOLD_NS;
		struct timespec ts = {
			.tv_sec = (time_t)(nap / CLOCK_NS_PER_S),
			.tv_nsec = (long)(nap % CLOCK_NS_PER_S),
		};
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			break;
		now = clock_now_ns();
	}
	while (now < deadline_ns)
		now = clock_now_ns();
	return now;
}
