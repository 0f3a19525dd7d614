#include "token.hpp"

#include "nvml_api.hpp"

#include <array>
#include <cstring>

namespace mdevmc::oracle::nvml {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// 'x' for a printable character, \xNN for any other.
std::string describeChar(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u <= 0x7e) {
        return std::string("'") + c + "'";
    }
    constexpr char hex[] = "0123456789abcdef";
    return std::string("\\x") + hex[u >> 4] + hex[u & 0xf];
}

void setError(std::string* error, std::string text) {
    if (error != nullptr) {
        *error = std::move(text);
    }
}

std::uint32_t readLe32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

} // namespace

std::string base64Encode(std::span<const unsigned char> data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                                std::uint32_t{data[i + 2]};
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const std::uint32_t v = std::uint32_t{data[i]} << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<Bytes> base64Decode(std::string_view text, std::string* error) {
    if (text.size() % 4 != 0) {
        setError(error, "length " + std::to_string(text.size()) + " is not a multiple of 4");
        return std::nullopt;
    }
    std::size_t pad = 0;
    if (!text.empty() && text.back() == '=') {
        pad = text[text.size() - 2] == '=' ? 2 : 1;
    }
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::array<int, 4> s{};
        const bool last = i + 4 == text.size();
        for (std::size_t j = 0; j < 4; ++j) {
            const std::size_t at = i + j;
            if (last && j >= 4 - pad) {
                s[j] = 0;
                continue;
            }
            s[j] = sextet(text[at]);
            if (s[j] < 0) {
                setError(error, "unexpected character " + describeChar(text[at]) + " at offset " +
                                    std::to_string(at));
                return std::nullopt;
            }
        }
        const auto v = (static_cast<std::uint32_t>(s[0]) << 18) |
                       (static_cast<std::uint32_t>(s[1]) << 12) |
                       (static_cast<std::uint32_t>(s[2]) << 6) | static_cast<std::uint32_t>(s[3]);
        out.push_back(static_cast<unsigned char>(v >> 16));
        if (last && pad == 2) {
            if ((v & 0xffff) != 0) {
                setError(error, "non-zero bits before the padding");
                return std::nullopt;
            }
            break;
        }
        out.push_back(static_cast<unsigned char>((v >> 8) & 0xff));
        if (last && pad == 1) {
            if ((v & 0xff) != 0) {
                setError(error, "non-zero bits before the padding");
                return std::nullopt;
            }
            break;
        }
        out.push_back(static_cast<unsigned char>(v & 0xff));
    }
    return out;
}

std::string checkVgpuMetadata(std::span<const unsigned char> metadata) {
    const std::size_t size = metadata.size();
    if (size > kMaxMetadataSize) {
        return "vGPU metadata too large (" + std::to_string(size) + " bytes)";
    }
    if (size < sizeof(nvmlVgpuMetadata_t)) {
        return "vGPU metadata is truncated (" + std::to_string(size) + " bytes, at least " +
               std::to_string(sizeof(nvmlVgpuMetadata_t)) + " expected)";
    }
    std::uint32_t opaque = 0;
    std::memcpy(&opaque, metadata.data() + offsetof(nvmlVgpuMetadata_t, opaqueDataSize),
                sizeof(opaque));
    if (opaque > size - offsetof(nvmlVgpuMetadata_t, opaqueData)) {
        return "vGPU metadata opaque data size " + std::to_string(opaque) + " exceeds its " +
               std::to_string(size) + "-byte block";
    }
    return {};
}

EncodedToken encodeToken(std::span<const unsigned char> metadata) {
    EncodedToken r;
    r.error = checkVgpuMetadata(metadata);
    if (!r.error.empty()) {
        return r;
    }
    const auto n = static_cast<std::uint32_t>(metadata.size());
    Bytes raw{kTokenFormat, static_cast<unsigned char>(n & 0xff),
              static_cast<unsigned char>((n >> 8) & 0xff),
              static_cast<unsigned char>((n >> 16) & 0xff),
              static_cast<unsigned char>((n >> 24) & 0xff)};
    raw.insert(raw.end(), metadata.begin(), metadata.end());
    r.token = base64Encode(raw);
    return r;
}

DecodedToken decodeToken(std::string_view token) {
    DecodedToken r;
    if (token.empty()) {
        r.error = "token is empty";
        return r;
    }
    if (token.size() > kMaxTokenLength) {
        r.error = "token is too long (" + std::to_string(token.size()) + " characters, at most " +
                  std::to_string(kMaxTokenLength) + ")";
        return r;
    }
    std::string why;
    auto raw = base64Decode(token, &why);
    if (!raw) {
        r.error = "token is not valid base64: " + why;
        return r;
    }
    if (raw->size() < kTokenHeaderSize) {
        r.error = "token is truncated (" + std::to_string(raw->size()) +
                  " bytes, its header takes " + std::to_string(kTokenHeaderSize) + ")";
        return r;
    }
    if ((*raw)[0] != kTokenFormat) {
        r.error = "token format version " + std::to_string((*raw)[0]) +
                  " is not supported (this oracle reads version " + std::to_string(kTokenFormat) +
                  ")";
        return r;
    }
    const std::uint32_t declared = readLe32(raw->data() + 1);
    const std::size_t carried = raw->size() - kTokenHeaderSize;
    if (declared != carried) {
        r.error = "token declares " + std::to_string(declared) +
                  " bytes of vGPU metadata but carries " + std::to_string(carried);
        return r;
    }
    const std::span<const unsigned char> metadata(raw->data() + kTokenHeaderSize, carried);
    r.error = checkVgpuMetadata(metadata);
    if (!r.error.empty()) {
        r.error = "token holds invalid data: " + r.error;
        return r;
    }
    r.metadata.assign(metadata.begin(), metadata.end());
    return r;
}

} // namespace mdevmc::oracle::nvml
