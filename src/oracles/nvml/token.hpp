// The nvml oracle's token: the vGPU metadata NVML gives for an mdev on the
// source host, carried to the destination in the recorded XML.
//
// Format 1, before base64 (RFC 4648 standard alphabet, with '=' padding):
//   byte 0      format version, 1
//   bytes 1-4   N, the size of the metadata block, unsigned 32-bit little endian
//   bytes 5-    N bytes: the nvmlVgpuMetadata_t block as
//               nvmlVgpuInstanceGetMetadata wrote it (its opaque data included)
// The base64 text is at most 4096 characters (the protocol's limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mdevmc::oracle::nvml {

inline constexpr std::uint8_t kTokenFormat = 1;
inline constexpr std::size_t kTokenHeaderSize = 5;
inline constexpr std::size_t kMaxTokenLength = 4096;
inline constexpr std::size_t kMaxMetadataSize = kMaxTokenLength / 4 * 3 - kTokenHeaderSize;

using Bytes = std::vector<unsigned char>;

std::string base64Encode(std::span<const unsigned char> data);
// Strict: length a multiple of 4, '=' only as final padding, unused bits
// zero.  nullopt and *error set otherwise.
std::optional<Bytes> base64Decode(std::string_view text, std::string* error = nullptr);

// Empty if `metadata` is a well-formed nvmlVgpuMetadata_t block (at least the
// structure, its opaqueDataSize within the block, at most kMaxMetadataSize
// bytes); else what is wrong with it.
std::string checkVgpuMetadata(std::span<const unsigned char> metadata);

struct EncodedToken {
    std::string token;
    std::string error;
};
EncodedToken encodeToken(std::span<const unsigned char> metadata);

struct DecodedToken {
    Bytes metadata;
    std::string error; // empty when the token is valid
};
DecodedToken decodeToken(std::string_view token);

} // namespace mdevmc::oracle::nvml
