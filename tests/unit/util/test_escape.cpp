#include "util/escape.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;

TEST(EscapeLine, KeepsPrintableTextAndUtf8) {
    EXPECT_EQ(escapeLine("mdev 0a9d (nvidia-63): rejected"), "mdev 0a9d (nvidia-63): rejected");
    EXPECT_EQ(escapeLine("vm-\xc3\xa9t\xc3\xa9"), "vm-\xc3\xa9t\xc3\xa9");
    EXPECT_EQ(escapeLine("\xf0\x9f\x99\x82"), "\xf0\x9f\x99\x82");
}

TEST(EscapeLine, NoByteCanEndOrForgeALine) {
    EXPECT_EQ(escapeLine("a\nmdev-migcheck: accepted"), "a\\nmdev-migcheck: accepted");
    EXPECT_EQ(escapeLine("a\rb\tc"), "a\\rb\\tc");
    EXPECT_EQ(escapeLine(std::string("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(escapeLine("\x1b[31mred"), "\\x1b[31mred");
    EXPECT_EQ(escapeLine("\x7f"), "\\x7f");
    EXPECT_EQ(escapeLine("back\\slash"), "back\\\\slash");
}

TEST(EscapeLine, InvalidOrHiddenUtf8IsEscapedByte) {
    EXPECT_EQ(escapeLine("\xc9"), "\\xc9");                   // truncated
    EXPECT_EQ(escapeLine("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
    EXPECT_EQ(escapeLine("\xed\xa0\x80"), "\\xed\\xa0\\x80"); // surrogate
    EXPECT_EQ(escapeLine("\xc2\x85"), "\\xc2\\x85");          // NEL, a C1 control
    EXPECT_EQ(escapeLine("\xe2\x80\xa8"), "\\xe2\\x80\\xa8"); // line separator
    EXPECT_EQ(escapeLine("\xe2\x80\xae"), "\\xe2\\x80\\xae"); // right-to-left override
}

TEST(EscapeLine, EveryByteGivesOneLineWithoutControls) {
    std::string all;
    for (int c = 0; c < 256; ++c) {
        all += static_cast<char>(c);
    }
    const std::string out = escapeLine(all + all);
    for (const char c : out) {
        const auto u = static_cast<unsigned char>(c);
        EXPECT_TRUE(u >= 0x20 && u != 0x7f) << static_cast<int>(u);
    }
}
