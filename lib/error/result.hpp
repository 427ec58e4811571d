// Result<T>: a value or an Error. Core code returns it for input that can be
// wrong; exceptions are kept for bugs and library failures.
// Depends only on error/errc.hpp.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <variant>

#include "error/errc.hpp"

/// A broken invariant is a bug: print where and abort. Never for client input.
#define PWS_ASSERT(cond)                                                           \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "pws: assertion failed: %s at %s:%d\n", #cond, __FILE__, \
                   __LINE__);                                                      \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

namespace pws {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { PWS_ASSERT(ok()); return std::get<0>(v_); }
  const T& value() const& { PWS_ASSERT(ok()); return std::get<0>(v_); }
  T&& value() && { PWS_ASSERT(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { PWS_ASSERT(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace pws
