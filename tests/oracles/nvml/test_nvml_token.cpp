// The nvml oracle's token: base64, format version, length fields, bounds.
#include "nvml_api.hpp"
#include "token.hpp"

#include <cstring>
#include <gtest/gtest.h>

using namespace mdevmc::oracle::nvml;

namespace {

// A vGPU metadata block with `opaque` bytes of opaque data.
Bytes metadataBlock(std::size_t opaque) {
    Bytes block(offsetof(nvmlVgpuMetadata_t, opaqueData) + std::max<std::size_t>(opaque, 4));
    nvmlVgpuMetadata_t head{};
    head.version = 1;
    std::strcpy(head.guestDriverVersion, "535.129.03");
    std::strcpy(head.hostDriverVersion, "550.54.10");
    head.opaqueDataSize = static_cast<unsigned int>(opaque);
    std::memcpy(block.data(), &head, offsetof(nvmlVgpuMetadata_t, opaqueData));
    for (std::size_t i = 0; i < opaque; ++i) {
        block[offsetof(nvmlVgpuMetadata_t, opaqueData) + i] = static_cast<unsigned char>(i * 7);
    }
    return block;
}

Bytes header(std::uint8_t version, std::uint32_t size) {
    return {version, static_cast<unsigned char>(size & 0xff),
            static_cast<unsigned char>((size >> 8) & 0xff),
            static_cast<unsigned char>((size >> 16) & 0xff),
            static_cast<unsigned char>((size >> 24) & 0xff)};
}

std::string rawToken(Bytes head, const Bytes& body) {
    head.insert(head.end(), body.begin(), body.end());
    return base64Encode(head);
}

} // namespace

TEST(NvmlBase64, KnownVectors) {
    auto enc = [](std::string_view s) { return base64Encode(Bytes(s.begin(), s.end())); };
    EXPECT_EQ(enc(""), "");
    EXPECT_EQ(enc("f"), "Zg==");
    EXPECT_EQ(enc("fo"), "Zm8=");
    EXPECT_EQ(enc("foo"), "Zm9v");
    EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
    EXPECT_EQ(enc("\xfb\xff"), "+/8=");
    const auto dec = base64Decode("Zm9vYg==");
    ASSERT_TRUE(dec);
    EXPECT_EQ(std::string(dec->begin(), dec->end()), "foob");
}

TEST(NvmlBase64, RejectsMalformedText) {
    std::string why;
    EXPECT_FALSE(base64Decode("Zm9", &why));
    EXPECT_NE(why.find("multiple of 4"), std::string::npos) << why;
    EXPECT_FALSE(base64Decode("Zm9v*mFy", &why));
    EXPECT_NE(why.find("'*' at offset 4"), std::string::npos) << why;
    EXPECT_FALSE(base64Decode("Zm=v", &why));
    EXPECT_FALSE(base64Decode("Z===", &why));
    EXPECT_FALSE(base64Decode("====", &why));
    EXPECT_FALSE(base64Decode("Zh==", &why)); // non-zero bits under the padding
    EXPECT_NE(why.find("padding"), std::string::npos) << why;
    EXPECT_FALSE(base64Decode("Zm9=", &why));
    EXPECT_FALSE(base64Decode("Zm9v Zm9v", &why));
    EXPECT_FALSE(base64Decode(std::string("Zm9\0", 4), &why));
    EXPECT_NE(why.find("\\x00"), std::string::npos) << why;
}

TEST(NvmlToken, RoundTrip) {
    for (const std::size_t opaque : {0u, 3u, 4u, 5u, 100u, 1000u}) {
        const Bytes block = metadataBlock(opaque);
        const EncodedToken enc = encodeToken(block);
        ASSERT_EQ(enc.error, "") << opaque;
        EXPECT_LE(enc.token.size(), kMaxTokenLength);
        for (char c : enc.token) {
            EXPECT_TRUE(c >= 0x21 && c <= 0x7e) << "character " << int(c);
        }
        const DecodedToken dec = decodeToken(enc.token);
        ASSERT_EQ(dec.error, "") << opaque;
        EXPECT_EQ(dec.metadata, block);
    }
}

TEST(NvmlToken, FormatIsVersionSizeMetadata) {
    const Bytes block = metadataBlock(8);
    const auto raw = base64Decode(encodeToken(block).token);
    ASSERT_TRUE(raw);
    ASSERT_EQ(raw->size(), 5 + block.size());
    EXPECT_EQ((*raw)[0], 1);
    EXPECT_EQ(Bytes(raw->begin(), raw->begin() + 5), header(1, 216));
    EXPECT_EQ(Bytes(raw->begin() + 5, raw->end()), block);
}

TEST(NvmlToken, LargestMetadataFits) {
    const std::size_t opaque = kMaxMetadataSize - offsetof(nvmlVgpuMetadata_t, opaqueData);
    const EncodedToken enc = encodeToken(metadataBlock(opaque));
    ASSERT_EQ(enc.error, "");
    EXPECT_EQ(enc.token.size(), kMaxTokenLength);
    EXPECT_EQ(decodeToken(enc.token).error, "");
}

TEST(NvmlToken, RejectsOversizeMetadata) {
    const Bytes block = metadataBlock(kMaxMetadataSize);
    const EncodedToken enc = encodeToken(block);
    EXPECT_EQ(enc.token, "");
    EXPECT_EQ(enc.error, "vGPU metadata too large (" + std::to_string(block.size()) + " bytes)");
}

TEST(NvmlToken, RejectsEmptyAndTooLong) {
    EXPECT_EQ(decodeToken("").error, "token is empty");
    EXPECT_EQ(decodeToken(std::string(4100, 'A')).error,
              "token is too long (4100 characters, at most 4096)");
}

TEST(NvmlToken, RejectsBadBase64) {
    const std::string token = encodeToken(metadataBlock(4)).token;
    std::string bad = token;
    bad[10] = '!';
    EXPECT_EQ(
        decodeToken(bad).error.rfind("token is not valid base64: unexpected character '!'", 0), 0u)
        << decodeToken(bad).error;
    EXPECT_NE(decodeToken(token.substr(0, token.size() - 1)).error.find("not valid base64"),
              std::string::npos);
}

TEST(NvmlToken, RejectsUnknownVersion) {
    const Bytes block = metadataBlock(4);
    for (const int v : {0, 2, 255}) {
        EXPECT_EQ(decodeToken(rawToken(header(static_cast<std::uint8_t>(v), 212), block)).error,
                  "token format version " + std::to_string(v) +
                      " is not supported (this oracle reads version 1)");
    }
}

TEST(NvmlToken, RejectsTruncatedHeader) {
    EXPECT_EQ(decodeToken(base64Encode(Bytes{1, 0, 0})).error,
              "token is truncated (3 bytes, its header takes 5)");
}

TEST(NvmlToken, RejectsLengthMismatch) {
    const Bytes block = metadataBlock(4);
    EXPECT_EQ(decodeToken(rawToken(header(1, 213), block)).error,
              "token declares 213 bytes of vGPU metadata but carries 212");
    EXPECT_EQ(decodeToken(rawToken(header(1, 211), block)).error,
              "token declares 211 bytes of vGPU metadata but carries 212");
    EXPECT_EQ(decodeToken(rawToken(header(1, 0xffffffff), block)).error,
              "token declares 4294967295 bytes of vGPU metadata but carries 212");
}

TEST(NvmlToken, RejectsTruncatedMetadata) {
    Bytes block = metadataBlock(4);
    block.resize(100);
    EXPECT_EQ(decodeToken(rawToken(header(1, 100), block)).error,
              "token holds invalid data: vGPU metadata is truncated (100 bytes, at least 212 "
              "expected)");
}

TEST(NvmlToken, RejectsOpaqueSizeBeyondBlock) {
    Bytes block = metadataBlock(16);
    const unsigned int lie = 17;
    std::memcpy(block.data() + offsetof(nvmlVgpuMetadata_t, opaqueDataSize), &lie, sizeof(lie));
    EXPECT_EQ(decodeToken(rawToken(header(1, 224), block)).error,
              "token holds invalid data: vGPU metadata opaque data size 17 exceeds its 224-byte "
              "block");
    const unsigned int huge = 0xffffffff;
    std::memcpy(block.data() + offsetof(nvmlVgpuMetadata_t, opaqueDataSize), &huge, sizeof(huge));
    EXPECT_NE(decodeToken(rawToken(header(1, 224), block)).error.find("opaque data size"),
              std::string::npos);
}

TEST(NvmlToken, RejectsOversizeDeclared) {
    // A token within 4096 characters cannot carry more than kMaxMetadataSize;
    // a declared size over it is a mismatch, never an allocation.
    const Bytes block = metadataBlock(4);
    EXPECT_NE(decodeToken(rawToken(header(1, 1u << 30), block)).error.find("declares"),
              std::string::npos);
}
