#include "util/journal.hpp"

#include <gtest/gtest.h>

using namespace mdevmc;

TEST(Journal, FieldsAreKeyValueLines) {
    EXPECT_EQ(encodeJournalEntry({{"MESSAGE", "refused"}, {"DOMAIN", "vm7"}}),
              "MESSAGE=refused\nDOMAIN=vm7\n");
}

TEST(Journal, ValuesAreEscapedSoNoFieldCanBeForged) {
    // A newline would start a field of the sender's choosing; it is escaped,
    // so the value stays on its line (and needs no binary form).
    EXPECT_EQ(encodeJournalEntry({{"DOMAIN", "vm\nVERDICT=accepted"}}),
              "DOMAIN=vm\\nVERDICT=accepted\n");
    EXPECT_EQ(encodeJournalEntry({{"DOMAIN", std::string("a\0b", 3)}}), "DOMAIN=a\\x00b\n");
}

TEST(Journal, NamesTheJournalWouldRefuseAreLeftOut) {
    EXPECT_EQ(
        encodeJournalEntry(
            {{"_PID", "1"}, {"lower", "x"}, {"", "x"}, {"1ST", "x"}, {"A-B", "x"}, {"OK_1", "y"}}),
        "OK_1=y\n");
}

TEST(Journal, ValuesAreBounded) {
    const std::string big(kMaxJournalValue + 10, 'a');
    EXPECT_EQ(encodeJournalEntry({{"X", big}}),
              "X=" + std::string(kMaxJournalValue, 'a') + "...\n");
    const std::string msg(kMaxJournalMessage + 1, 'm');
    EXPECT_EQ(encodeJournalEntry({{"MESSAGE", msg}}),
              "MESSAGE=" + std::string(kMaxJournalMessage, 'm') + "...\n");
}

TEST(Journal, NoSocketIsAFailureForTheCallerToFallBack) {
    EXPECT_FALSE(sendJournalEntry("/nonexistent/journal.sock", {{"MESSAGE", "x"}}));
    EXPECT_FALSE(sendJournalEntry("", {{"MESSAGE", "x"}}));
    EXPECT_FALSE(sendJournalEntry(std::string(200, 'x'), {{"MESSAGE", "x"}}));
}
