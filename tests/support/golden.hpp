// tests/support/golden.hpp - reads the golden data files written by tests/golden/*.py.
#pragma once

#include <array>
#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "worst.hpp"

namespace test_support {

/// Records `name count values...`, one per line; lines starting with '#' are comments.
class golden_file {
 public:
  explicit golden_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open golden file " + path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      std::string name;
      std::size_t count = 0;
      fields >> name >> count;
      std::vector<double> values(count);
      for (auto& v : values) fields >> v;
      if (!fields) throw std::runtime_error("malformed golden record " + name);
      records_[name] = std::move(values);
    }
  }
  const std::vector<double>& operator[](const std::string& name) const {
    auto it = records_.find(name);
    if (it == records_.end()) throw std::runtime_error("no golden record " + name);
    return it->second;
  }

 private:
  std::map<std::string, std::vector<double>> records_;
};

/// Rows consecutive rows of N values of a record, from row first_row: a batch of inputs or
/// targets.
template <class T, std::size_t N, std::size_t Rows>
std::array<std::array<T, N>, Rows> rows(const std::vector<double>& v, std::size_t first_row = 0) {
  std::array<std::array<T, N>, Rows> out{};
  for (std::size_t b = 0; b < Rows; ++b)
    for (std::size_t i = 0; i < N; ++i) out[b][i] = T(v.at((first_row + b) * N + i));
  return out;
}

/// Largest |got - want| / (1 + |want|).
inline double max_relative_error(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return 1e300;
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = (got[i] > want[i] ? got[i] - want[i] : want[i] - got[i]) / (1 + (want[i] < 0 ? -want[i] : want[i]));
    worst = worst_of(worst, e);
  }
  return worst;
}

/// A network's parameters in canonical order.
template <class Net>
std::vector<double> parameters_of(const Net& net) {
  std::vector<double> v;
  net.visit_parameters([&](auto x) { v.push_back(double(x)); });
  return v;
}

/// Sets a network's parameters from canonical order.
template <class Net>
void set_parameters(Net& net, const std::vector<double>& values) {
  std::size_t i = 0;
  net.visit_parameters([&](auto& x) { x = static_cast<std::remove_reference_t<decltype(x)>>(values.at(i++)); });
  if (i != values.size()) throw std::runtime_error("parameter count mismatch");
}

}  // namespace test_support
