/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The migration engine's own throughput on the host: a VM's RAM through
 * the source and destination engines over a socketpair (plaintext, no
 * link), all-zero RAM and RAM full of data, against memcpy of the same RAM
 * on the same machine in the same run. Prints JSON.
 *
 *     bench_mig_engine [MiB] [repetitions]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/fake_vm.h"

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/** Migrates src into dst; returns nanoseconds, or 0 on failure. */
static uint64_t migrate(struct fake_vm *src, struct fake_vm *dst, enum mig_mode mode,
			struct mig_report *rep)
{
	struct fake_migration m = {
		.dest_local = fake_vm_hello(src->pages),
		.precopy = { .downtime_limit_ns = 300000000, .max_rounds = 30 },
		.timeout_ms = 10000,
		.mode = mode, /* postcopy: from the start, every page after the switchover */
	};
	uint64_t t0 = now();
	enum mig_state st = fake_vm_migrate(src, dst, &m);
	uint64_t ns = now() - t0;

	*rep = m.src;
	return st == MIG_COMPLETED ? ns : 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned mib = argc > 1 ? (unsigned)atoi(argv[1]) : 256;
	unsigned reps = argc > 2 ? (unsigned)atoi(argv[2]) : 3;
	uint64_t pages = (uint64_t)mib * 256, bytes = pages * 4096;
	double memcpy_mbs[16], zero_mbs[16], data_mbs[16], post_mbs[16];
	uint64_t zero_wire = 0, data_wire = 0, post_wire = 0;

	if (mib == 0 || reps == 0 || reps > 16) {
		fprintf(stderr, "usage: bench_mig_engine [MiB] [repetitions 1-16]\n");
		return 2;
	}
	for (unsigned r = 0; r < reps; r++) {
		struct fake_vm src, dst;
		struct mig_report rep;
		uint64_t t0, ns;

		/* memcpy of the same RAM, side by side */
		fake_vm_init(&src, pages, false);
		fake_vm_init(&dst, pages, false);
		for (uint64_t i = 0; i < bytes; i += 64)
			src.ram[i] = (uint8_t)(i >> 6 | 1);
		t0 = now();
		memcpy(dst.ram, src.ram, bytes);
		memcpy_mbs[r] = (double)bytes / (double)(now() - t0) * 1e3;
		fake_vm_free(&dst);

		/* RAM full of data */
		fake_vm_init(&dst, pages, false);
		src.running = true;
		ns = migrate(&src, &dst, MIG_MODE_PRECOPY, &rep);
		data_mbs[r] = ns ? (double)bytes / (double)ns * 1e3 : 0;
		data_wire = rep.bytes_sent;
		fake_vm_free(&dst);

		/* the same RAM by postcopy */
		fake_vm_init(&dst, pages, false);
		src.running = true;
		ns = migrate(&src, &dst, MIG_MODE_POSTCOPY, &rep);
		post_mbs[r] = ns ? (double)bytes / (double)ns * 1e3 : 0;
		post_wire = rep.bytes_sent;
		fake_vm_free(&src);
		fake_vm_free(&dst);

		/* all-zero RAM */
		fake_vm_init(&src, pages, false);
		fake_vm_init(&dst, pages, false);
		src.running = true;
		ns = migrate(&src, &dst, MIG_MODE_PRECOPY, &rep);
		zero_mbs[r] = ns ? (double)bytes / (double)ns * 1e3 : 0;
		zero_wire = rep.bytes_sent;
		fake_vm_free(&src);
		fake_vm_free(&dst);
	}
	qsort(memcpy_mbs, reps, sizeof(double), cmp);
	qsort(data_mbs, reps, sizeof(double), cmp);
	qsort(zero_mbs, reps, sizeof(double), cmp);
	qsort(post_mbs, reps, sizeof(double), cmp);
	printf("{\n  \"benchmark\": \"migration engine over a socketpair, plaintext, %u MiB guest, "
	       "%u repetitions (medians, MB/s of guest RAM)\",\n",
	       mib, reps);
	printf("  \"memcpy_mb_s\": %.0f,\n", memcpy_mbs[reps / 2]);
	printf("  \"engine_data_mb_s\": %.0f,\n", data_mbs[reps / 2]);
	printf("  \"engine_zero_mb_s\": %.0f,\n", zero_mbs[reps / 2]);
	printf("  \"engine_postcopy_data_mb_s\": %.0f,\n", post_mbs[reps / 2]);
	printf("  \"ratio_data_to_memcpy\": %.3f,\n", data_mbs[reps / 2] / memcpy_mbs[reps / 2]);
	printf("  \"ratio_zero_to_memcpy\": %.3f,\n", zero_mbs[reps / 2] / memcpy_mbs[reps / 2]);
	printf("  \"ratio_postcopy_data_to_memcpy\": %.3f,\n",
	       post_mbs[reps / 2] / memcpy_mbs[reps / 2]);
	printf("  \"wire_bytes_data\": %llu,\n", (unsigned long long)data_wire);
	printf("  \"wire_bytes_postcopy_data\": %llu,\n", (unsigned long long)post_wire);
	printf("  \"wire_bytes_zero\": %llu\n}\n", (unsigned long long)zero_wire);
	return data_mbs[0] > 0 && zero_mbs[0] > 0 && post_mbs[0] > 0 ? 0 : 1;
}
