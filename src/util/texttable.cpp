#include "util/texttable.hpp"

#include <algorithm>
#include <ostream>

namespace mdevmc {

namespace {

// Width on a terminal: UTF-8 continuation bytes take no column.
std::size_t displayWidth(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

} // namespace

void TextTable::align(std::size_t column, Align how) {
    if (align_.size() <= column) {
        align_.resize(column + 1, Align::Left);
    }
    align_[column] = how;
}

void TextTable::addRow(std::vector<std::string> cells) {
    rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        if (widths.size() < row.size()) {
            widths.resize(row.size(), 0);
        }
        for (std::size_t c = 0; c < row.size(); ++c) {
            widths[c] = std::max(widths[c], displayWidth(row[c]));
        }
    }
    std::string out;
    for (const auto& row : rows_) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) {
                line += "  ";
            }
            const std::string pad(widths[c] - displayWidth(row[c]), ' ');
            const bool right = c < align_.size() && align_[c] == Align::Right;
            line += right ? pad + row[c] : row[c] + pad;
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out += line;
        out += '\n';
    }
    return out;
}

std::ostream& operator<<(std::ostream& out, const TextTable& table) {
    return out << table.render();
}

} // namespace mdevmc
