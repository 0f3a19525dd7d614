/* The liblzma entry points Debian's libxml2.a refers to, for the targets
 * that link libxml2 from its archive (the hook, and the command line built
 * with MDEVMC_STATIC_CLI_LIBS).
 *
 * libxml2 calls liblzma only from xzlib, its reader of files by name.
 * mdev-migcheck parses every document from memory, with no network, no DTD
 * and no external entity, so xzlib is never entered.  Linking liblzma.a all
 * the same runs its CRC-64 constructor at the start of every process, and
 * that constructor asks the CPU for its features with two cpuid
 * instructions, which a hypervisor traps: 6.5 us each on the benchmark's
 * virtual machine, about 20 us of every hook start (README, Benchmarks).
 * Here no decoder can be made: lzma_auto_decoder fails as liblzma does when
 * memory runs out, which xzlib reports as such; the other entry points are
 * reached only with a decoder it made, that is never. */
#include <lzma.h>

lzma_ret lzma_auto_decoder(lzma_stream* strm, uint64_t memlimit, uint32_t flags) {
    (void)strm, (void)memlimit, (void)flags;
    return LZMA_MEM_ERROR;
}

lzma_ret lzma_code(lzma_stream* strm, lzma_action action) {
    (void)strm, (void)action;
    return LZMA_PROG_ERROR;
}

void lzma_end(lzma_stream* strm) {
    (void)strm;
}

lzma_ret lzma_properties_decode(lzma_filter* filter, const lzma_allocator* allocator,
                                const uint8_t* props, size_t props_size) {
    (void)filter, (void)allocator, (void)props, (void)props_size;
    return LZMA_OPTIONS_ERROR;
}
