/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The guest's memory accesses on a fake CPU: stage-2 translation by a walk
 * of the tables in VTTBR_EL2 (VMSAv8-64, 4 KiB granule, descriptor bits
 * from hyp/arch_mm.h), cached in a per-CPU TLB that only the TLB
 * maintenance of hyp/arch_vcpu.h empties. The TLB keeps every entry until
 * then (the most a real one may keep), so a missing invalidation shows as
 * a guest write that should have faulted and did not. A fault is reported
 * with the syndrome the Arm ARM gives a stage-2 abort (D19.2.40).
 */
#include <pthread.h>
#include <string.h>

#include "hyp/addr.h"
#include "hyp/arch_mm.h"
#include "arch/arm64/esr.h"
#include "tests/fake_arch/fake_guest.h"
#include "tests/fake_arch/fake_internal.h"

#define TLB_ENTRIES 64
#define VTTBR_BADDR 0x0000fffffffffffeull

/* ESR_EL2 (Arm ARM D19.2.40): EC, IL and the data/instruction abort ISS. */
#define ISS_ISV		       (1ull << 24)
#define ISS_SAS_SHIFT	       22
#define ISS_SSE		       (1ull << 21)
#define ISS_SRT_SHIFT	       16
#define ISS_SF		       (1ull << 15)
#define ISS_WNR		       (1ull << 6)
#define FSC_TRANSLATION(level) (0x04ull | (level))
#define FSC_PERMISSION(level)  (0x0cull | (level))

struct tlb_entry {
	bool valid;
	uint16_t vmid;
	uint64_t ipa_page;
	uint64_t pa_page;
	enum s2_perm perm;
};

struct tlb {
	pthread_mutex_t lock;
	struct tlb_entry e[TLB_ENTRIES];
};

static struct tlb tlbs[FAKE_CPU_MAX];
static pthread_once_t tlbs_once = PTHREAD_ONCE_INIT;

static void tlbs_init(void)
{
	for (unsigned i = 0; i < FAKE_CPU_MAX; i++)
		pthread_mutex_init(&tlbs[i].lock, NULL);
}

static void invalidate(struct tlb *t, uint16_t vmid, bool any_vmid)
{
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < TLB_ENTRIES; i++)
		if (any_vmid || t->e[i].vmid == vmid)
			t->e[i].valid = false;
	pthread_mutex_unlock(&t->lock);
}

void fake_tlb_invalidate(unsigned cpu, uint16_t vmid)
{
	pthread_once(&tlbs_once, tlbs_init);
	for (unsigned i = 0; i < FAKE_CPU_MAX; i++)
		if (cpu == FAKE_CPU_ALL || cpu == i)
			invalidate(&tlbs[i], vmid, false);
}

void fake_tlb_reset(void)
{
	pthread_once(&tlbs_once, tlbs_init);
	for (unsigned i = 0; i < FAKE_CPU_MAX; i++)
		invalidate(&tlbs[i], 0, true);
}

/**
 * The table walk: true with the page and its permissions, or false with
 * the level whose descriptor was invalid (a translation fault there).
 */
static bool walk(const struct fake_hw *hw, uint64_t ipa, struct tlb_entry *out, unsigned *level)
{
	const pte_t *table = (const pte_t *)(uintptr_t)(hw->vttbr_el2 & VTTBR_BADDR);
	unsigned l = arch_s2_start_level(hw->ipa_bits);

	if (hw->ipa_bits < 64 && ipa >> hw->ipa_bits) {
		*level = l; /* outside the IPA space: a fault at the start level */
		return false;
	}
	for (;; l++) {
		pte_t pte = __atomic_load_n(&table[arch_s2_index(ipa, l)], __ATOMIC_ACQUIRE);

		if (!arch_s2_pte_valid(pte)) {
			*level = l;
			return false;
		}
		if (l == ARCH_S2_LEVEL_LAST) {
			out->pa_page = arch_s2_pte_addr(pte);
			out->perm = arch_s2_pte_perm(pte);
			return true;
		}
		if (!arch_s2_pte_is_table(pte, l))
			fake_fatal("a block descriptor at level %u for IPA 0x%llx", l,
				   (unsigned long long)ipa);
		table = (const pte_t *)(uintptr_t)arch_s2_pte_addr(pte);
	}
}

/** Translates `ipa` for an access needing `need`; false with the fault status code. */
static bool translate(struct fake_guest *g, uint64_t ipa, enum s2_perm need, uint64_t *pa,
		      uint64_t *fsc)
{
	struct tlb *t;
	struct tlb_entry *e, found = { 0 };
	uint16_t vmid = (uint16_t)(g->hw->vttbr_el2 >> 48);
	uint64_t page = ipa & ~(PAGE_SIZE - 1);
	unsigned level;

	pthread_once(&tlbs_once, tlbs_init);
	t = &tlbs[g->cpu];
	e = &t->e[(page / PAGE_SIZE) % TLB_ENTRIES];
	pthread_mutex_lock(&t->lock);
	if (e->valid && e->vmid == vmid && e->ipa_page == page) {
		found = *e;
	} else if (walk(g->hw, page, &found, &level)) {
		found.valid = true;
		found.vmid = vmid;
		found.ipa_page = page;
		*e = found; /* a valid translation is cached; a fault never is */
	} else {
		pthread_mutex_unlock(&t->lock);
		*fsc = FSC_TRANSLATION(level);
		return false;
	}
	pthread_mutex_unlock(&t->lock);
	if ((found.perm & need) != need) {
		*fsc = FSC_PERMISSION(ARCH_S2_LEVEL_LAST);
		return false;
	}
	*pa = found.pa_page | (ipa & (PAGE_SIZE - 1));
	return true;
}

/* FAR_EL2 is the VA (here the IPA); HPFAR_EL2.FIPA [43:4] holds IPA [51:12]. */
static struct vcpu_exit abort_exit(uint64_t ec, uint64_t iss, uint64_t ipa)
{
	return fake_exit(VCPU_VECTOR_SYNC, (ec << ESR_EC_SHIFT) | ESR_IL | iss, ipa,
			 (ipa >> 12) << 4);
}

static uint64_t data_iss(unsigned size, unsigned rt, unsigned form, bool write, uint64_t fsc)
{
	uint64_t iss = fsc | (write ? ISS_WNR : 0);

	if (form & FAKE_MEM_NO_ISV)
		return iss;
	iss |= ISS_ISV | ((uint64_t)__builtin_ctz(size) << ISS_SAS_SHIFT) |
	       ((uint64_t)rt << ISS_SRT_SHIFT);
	if (form & FAKE_MEM_SIGNED)
		iss |= ISS_SSE;
	if (!(form & FAKE_MEM_W))
		iss |= ISS_SF;
	return iss;
}

static void check_access(unsigned size, unsigned rt, uint64_t ipa)
{
	if ((size != 1 && size != 2 && size != 4 && size != 8) || rt > 31 || (ipa & (size - 1)))
		fake_fatal("a guest access of %u bytes to x%u at 0x%llx is not one the test meant",
			   size, rt, (unsigned long long)ipa);
}

bool fake_guest_load(struct fake_guest *g, uint64_t ipa, unsigned size, unsigned rt, unsigned form,
		     struct vcpu_exit *exit)
{
	uint64_t pa, fsc, value = 0;

	check_access(size, rt, ipa);
	if (!translate(g, ipa, S2_READ, &pa, &fsc)) {
		*exit = abort_exit((uint64_t)ESR_EC_DABT_LOW, data_iss(size, rt, form, false, fsc),
				   ipa);
		return true;
	}
	memcpy(&value, (const void *)(uintptr_t)pa, size); /* little-endian, as the guest */
	if ((form & FAKE_MEM_SIGNED) && size < 8 && (value >> (size * 8 - 1)) & 1)
		value |= ~0ull << (size * 8);
	if (form & FAKE_MEM_W)
		value = (uint32_t)value;
	if (rt != 31)
		g->regs->x[rt] = value;
	g->regs->pc += 4;
	return false;
}

bool fake_guest_store(struct fake_guest *g, uint64_t ipa, unsigned size, unsigned rt, unsigned form,
		      struct vcpu_exit *exit)
{
	uint64_t pa, fsc, value = rt == 31 ? 0 : g->regs->x[rt];

	check_access(size, rt, ipa);
	if (!translate(g, ipa, S2_WRITE, &pa, &fsc)) {
		*exit = abort_exit((uint64_t)ESR_EC_DABT_LOW, data_iss(size, rt, form, true, fsc),
				   ipa);
		return true;
	}
	memcpy((void *)(uintptr_t)pa, &value, size);
	g->regs->pc += 4;
	return false;
}

bool fake_guest_fetch(struct fake_guest *g, struct vcpu_exit *exit)
{
	uint64_t pa, fsc;

	if (translate(g, g->regs->pc, S2_EXEC, &pa, &fsc))
		return false;
	*exit = abort_exit((uint64_t)ESR_EC_IABT_LOW, fsc, g->regs->pc);
	return true;
}
