#include "util/texttable.hpp"

#include <gtest/gtest.h>
#include <sstream>

using namespace mdevmc;

TEST(TextTable, ColumnsAsWideAsTheWidestCellTwoSpacesApart) {
    TextTable t;
    t.addRow({"PARENT", "TYPE", "VERSION"});
    t.addRow({"0000:00:02.0", "i915", "1"});
    t.addRow({"p", "nvidia-63", "22"});
    EXPECT_EQ(t.render(), "PARENT        TYPE       VERSION\n"
                          "0000:00:02.0  i915       1\n"
                          "p             nvidia-63  22\n");
}

TEST(TextTable, NoTrailingSpaces) {
    TextTable t;
    t.addRow({"A", "B", ""});
    t.addRow({"long cell", "", ""});
    t.addRow({"x", "y", "zz"});
    EXPECT_EQ(t.render(), "A          B\n"
                          "long cell\n"
                          "x          y  zz\n");
}

TEST(TextTable, RightAlignedColumn) {
    TextTable t;
    t.align(1, TextTable::Align::Right);
    t.addRow({"NAME", "AVAILABLE", "X"});
    t.addRow({"a", "3", "y"});
    t.addRow({"b", "12"});
    EXPECT_EQ(t.render(), "NAME  AVAILABLE  X\n"
                          "a             3  y\n"
                          "b            12\n");
    t.align(1, TextTable::Align::Left);
    EXPECT_EQ(t.render(), "NAME  AVAILABLE  X\n"
                          "a     3          y\n"
                          "b     12\n");
}

TEST(TextTable, WidthCountsCharactersNotBytes) {
    TextTable t;
    t.addRow({"\xc3\xa9t\xc3\xa9", "x"}); // "été": 3 columns, 5 bytes
    t.addRow({"abcd", "y"});
    EXPECT_EQ(t.render(), "\xc3\xa9t\xc3\xa9   x\n"
                          "abcd  y\n");
}

TEST(TextTable, EmptyTableAndStream) {
    TextTable t;
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.render(), "");
    t.addRow({"only"});
    std::ostringstream out;
    out << t;
    EXPECT_EQ(out.str(), "only\n");
    EXPECT_EQ(t.rows().size(), 1U);
}
