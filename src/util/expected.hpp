// A small expected<T, E> for recoverable errors (C++20 has no std::expected),
// and MDEVMC_TRY / MDEVMC_TRY_ASSIGN to pass an error up to the caller.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace mdevmc {

template <typename E>
class Unexpected {
public:
    explicit Unexpected(E e) : error_(std::move(e)) {}
    E& error() & { return error_; }
    E&& error() && { return std::move(error_); }

private:
    E error_;
};

template <typename T, typename E>
class [[nodiscard]] Expected {
public:
    Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Expected(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u).error()) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const& {
        assert(!has_value());
        return std::get<1>(v_);
    }
    E&& error() && {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

private:
    std::variant<T, E> v_;
};

// Expected<void, E>: success carries nothing.
template <typename E>
class [[nodiscard]] Expected<void, E> {
public:
    Expected() = default;
    Expected(Unexpected<E> u) : error_(std::move(u).error()), failed_(true) {}

    bool has_value() const { return !failed_; }
    explicit operator bool() const { return has_value(); }
    const E& error() const& {
        assert(failed_);
        return error_;
    }
    E&& error() && {
        assert(failed_);
        return std::move(error_);
    }

private:
    E error_{};
    bool failed_ = false;
};

} // namespace mdevmc

// Evaluates EXPR (an Expected); if it holds an error, returns that error from
// the enclosing function, whose return type must accept an Unexpected<E>.
#define MDEVMC_TRY(expr)                                                                           \
    do {                                                                                           \
        auto&& mdevmc_try_result_ = (expr);                                                        \
        if (!mdevmc_try_result_) {                                                                 \
            return ::mdevmc::Unexpected(std::move(mdevmc_try_result_).error());                    \
        }                                                                                          \
    } while (0)

// Like MDEVMC_TRY, and on success moves the value of EXPR into TARGET (an
// lvalue declared before).
#define MDEVMC_TRY_ASSIGN(target, expr)                                                            \
    do {                                                                                           \
        auto&& mdevmc_try_result_ = (expr);                                                        \
        if (!mdevmc_try_result_) {                                                                 \
            return ::mdevmc::Unexpected(std::move(mdevmc_try_result_).error());                    \
        }                                                                                          \
        (target) = std::move(mdevmc_try_result_).value();                                          \
    } while (0)
