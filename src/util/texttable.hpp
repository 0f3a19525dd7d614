// A plain-text table: rows of cells, each column as wide as its widest
// cell, two spaces between columns, cells left aligned unless their column
// is right aligned, no trailing spaces.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace mdevmc {

class TextTable {
public:
    enum class Align { Left, Right };

    // Aligns COLUMN (from 0) to the right (or back to the left).
    void align(std::size_t column, Align how);

    // Adds a row; rows may have fewer cells than others.
    void addRow(std::vector<std::string> cells);

    const std::vector<std::vector<std::string>>& rows() const { return rows_; }
    bool empty() const { return rows_.empty(); }

    // Every row as a line ending in '\n'.
    std::string render() const;

private:
    std::vector<std::vector<std::string>> rows_;
    std::vector<Align> align_;
};

std::ostream& operator<<(std::ostream& out, const TextTable& table);

} // namespace mdevmc
