#include "mdev/validate.hpp"

#include <cctype>
#include <gtest/gtest.h>
#include <string>

using namespace mdevmc;

TEST(Validate, Uuids) {
    EXPECT_TRUE(isValidUuid("c2177883-f1bb-47f0-914d-32a22e3a8804"));
    EXPECT_TRUE(isValidUuid("C2177883-F1BB-47F0-914D-32A22E3A8804"));
    EXPECT_FALSE(isValidUuid("c2177883f1bb47f0914d32a22e3a8804"));
    EXPECT_FALSE(isValidUuid("c2177883-f1bb-47f0-914d-32a22e3a880"));
    EXPECT_FALSE(isValidUuid("c2177883-f1bb-47f0-914d-32a22e3a88045"));
    EXPECT_FALSE(isValidUuid("g2177883-f1bb-47f0-914d-32a22e3a8804"));
    EXPECT_FALSE(isValidUuid("../../../../etc/passwd-aaaa-bbbb-cccc"));
    EXPECT_FALSE(isValidUuid(""));
    EXPECT_EQ(canonicalUuid("C2177883-F1BB-47F0-914D-32A22E3A8804"),
              "c2177883-f1bb-47f0-914d-32a22e3a8804");
}

TEST(Validate, EveryByteOfAUuidIsChecked) {
    // Each position, each byte: valid only where a dash is a dash and a
    // digit a hex digit; the key then changes with the digit.
    const std::string base = "c2177883-f1bb-47f0-914d-32a22e3a8804";
    const auto base_key = uuidKey(base);
    ASSERT_TRUE(base_key);
    for (std::size_t i = 0; i < base.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        for (int b = 0; b < 256; ++b) {
            std::string s = base;
            s[i] = static_cast<char>(b);
            const char c = s[i];
            const bool hex =
                (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            const auto key = uuidKey(s);
            ASSERT_EQ(key.has_value(), dash ? c == '-' : hex) << "byte " << b << " at " << i;
            if (key && !dash) {
                const bool same = std::tolower(static_cast<unsigned char>(c)) == base[i];
                EXPECT_EQ(*key == *base_key, same) << "byte " << b << " at " << i;
            }
        }
    }
}

TEST(Validate, UuidKeysCompareUuidsInAnyCase) {
    const auto lower = uuidKey("c2177883-f1bb-47f0-914d-32a22e3a8804");
    const auto upper = uuidKey("C2177883-F1BB-47F0-914D-32A22E3A8804");
    ASSERT_TRUE(lower && upper);
    EXPECT_EQ(*lower, *upper);
    EXPECT_EQ(lower->high, 0xc2177883f1bb47f0ULL);
    EXPECT_EQ(lower->low, 0x914d32a22e3a8804ULL);
    // Ordered as the canonical strings are.
    const auto a = uuidKey("00000000-0000-0000-0000-00000000000f");
    const auto b = uuidKey("00000000-0000-0000-0000-000000000010");
    const auto c = uuidKey("00000001-0000-0000-0000-000000000000");
    ASSERT_TRUE(a && b && c);
    EXPECT_LT(*a, *b);
    EXPECT_LT(*b, *c);
    for (const char* bad : {"", "c2177883f1bb47f0914d32a22e3a8804",
                            "c2177883-f1bb-47f0-914d-32a22e3a880g", "not-a-uuid"}) {
        EXPECT_FALSE(uuidKey(bad).has_value()) << bad;
    }
    std::string s = "C2177883-F1BB-47F0-914D-32A22E3A8804";
    lowerAscii(s);
    EXPECT_EQ(s, "c2177883-f1bb-47f0-914d-32a22e3a8804");
    EXPECT_TRUE(equalsIgnoringAsciiCase("Not-A-UUID", "not-a-uuid"));
    EXPECT_FALSE(equalsIgnoringAsciiCase("not-a-uuid", "not-a-uuid2"));
    EXPECT_FALSE(equalsIgnoringAsciiCase("a\xc3\x89", "a\xc3\xa9")); // ASCII letters only
}

TEST(Validate, Names) {
    for (const char* ok : {"nvidia-63", "i915-GVTg_V5_4", "0000:00:02.0", "0.0.0023", "matrix",
                           "vfio_ap-passthrough", "mtty-2", "a+b"}) {
        EXPECT_TRUE(isValidName(ok)) << ok;
    }
    for (const char* bad :
         {"", ".", "..", "../x", "a/b", ".hidden", "-x", "a b", "a\nb", "a$b", "a\\b"}) {
        EXPECT_FALSE(isValidName(bad)) << bad;
    }
    EXPECT_TRUE(isValidName(std::string(kMaxNameLength, 'a')));
    EXPECT_FALSE(isValidName(std::string(kMaxNameLength + 1, 'a')));
}

TEST(Validate, Versions) {
    EXPECT_TRUE(checkVersion("8086-193b-i915-GVTg_V5_4-5.2"));
    EXPECT_TRUE(checkVersion(std::string(kMaxVersionLength, 'v')));
    EXPECT_TRUE(checkVersion(" spaces and ~ are printable "));
    const auto empty = checkVersion("");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().message, "migration_version is empty");
    const auto big = checkVersion(std::string(kMaxVersionLength + 1, 'v'));
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("4096 bytes long"), std::string::npos);
    for (const std::string& bad :
         {std::string("a\nb"), std::string("tab\t"), std::string("nul\0x", 5), std::string("\x7f"),
          std::string("caf\xc3\xa9")}) {
        const auto r = checkVersion(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("non-printable or non-ASCII"), std::string::npos);
    }
}

TEST(Validate, QuotedIsPrintableAndBounded) {
    EXPECT_EQ(quoteValue("abc"), "'abc'");
    EXPECT_EQ(quoteValue("a'b\n"), "'a\\x27b\\x0a'");
    const std::string q = quoteValue(std::string(200, 'x'));
    EXPECT_NE(q.find("(200 bytes)"), std::string::npos);
    EXPECT_LT(q.size(), 120U);
}
