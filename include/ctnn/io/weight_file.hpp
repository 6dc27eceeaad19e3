// ctnn/io/weight_file.hpp - the binary weight file: save and load without heap allocation.
//
// Layout (all integers and floats little-endian):
//   offset  0  magic "CTNNWGT\0"
//           8  u32 format version (1)
//          12  u32 header size in bytes (48)
//          16  u64 topology hash (ctnn::topology_hash<Net>())
//          24  u64 parameter count
//          32  u32 CRC-32 of everything after the header
//          36  u32 flags: bit 0 = a test vector follows the parameters
//          40  u32 layer count
//          44  u32 bytes per value (4: float32)
//          48  parameters in canonical order (PyTorch's: each dense layer's weight[out][in]
//              row by row, then its bias; batch norm: gamma, beta, running mean, running var)
//          ..  optional test vector: input_size inputs, then the output_size outputs the
//              saved network computed for them
//
// Loading checks every header field, the exact size, the CRC and that every parameter is
// finite before the first byte of the network is written, and, when the file carries a test
// vector, that the file's parameters reproduce its outputs (evaluated straight from the file
// in double). Any failure returns a status naming the field, expected versus found, and leaves
// the network bit-identical. Saving refuses, before writing anything, a network with a NaN or
// infinite parameter, or a test vector whose input or output is not finite: its file would not
// load.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../layers/layer_kind.hpp"
#include "../status.hpp"
#include "crc32.hpp"
#include "topology.hpp"

#if defined(__unix__) || defined(__APPLE__)
#define CTNN_HAS_POSIX_FILES 1
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#endif

namespace ctnn {

namespace io {
inline constexpr std::byte magic[8] = {std::byte{'C'}, std::byte{'T'}, std::byte{'N'}, std::byte{'N'},
                                       std::byte{'W'}, std::byte{'G'}, std::byte{'T'}, std::byte{0}};
inline constexpr std::uint32_t format_version = 1;
inline constexpr std::size_t header_size = 48;
inline constexpr std::uint32_t flag_test_vector = 1u;
}  // namespace io

/// Bytes of the weight file of Net (with or without a test vector).
template <class Net>
constexpr std::size_t weight_file_size(bool with_test_vector = false) noexcept {
  return io::header_size + 4 * (Net::parameter_count + (with_test_vector ? Net::input_size + Net::output_size : 0));
}

namespace io::detail {

inline void put_u32(std::byte* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = std::byte((v >> (8 * i)) & 0xFFu);
}
inline void put_u64(std::byte* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = std::byte((v >> (8 * i)) & 0xFFu);
}
inline std::uint32_t get_u32(const std::byte* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::to_integer<std::uint32_t>(p[i]) << (8 * i);
  return v;
}
inline std::uint64_t get_u64(const std::byte* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::to_integer<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

/// Reads from a caller's buffer.
struct memory_source {
  std::span<const std::byte> data;
  std::size_t position = 0;
  bool read(std::byte* out, std::size_t n) noexcept {
    if (data.size() - position < n) return false;
    std::memcpy(out, data.data() + position, n);
    position += n;
    return true;
  }
  bool seek(std::size_t offset) noexcept {
    position = offset;
    return offset <= data.size();
  }
  bool at_end() noexcept { return position == data.size(); }
};

/// Writes into a caller's buffer.
struct memory_sink {
  std::span<std::byte> data;
  std::size_t position = 0;
  bool write(const std::byte* in, std::size_t n) noexcept {
    if (data.size() - position < n) return false;
    std::memcpy(data.data() + position, in, n);
    position += n;
    return true;
  }
};

#if CTNN_HAS_POSIX_FILES
/// Reads a file descriptor (POSIX read/lseek: no FILE buffer, no allocation).
struct fd_source {
  int fd;
  bool read(std::byte* out, std::size_t n) noexcept {
    while (n > 0) {
      const ssize_t got = ::read(fd, out, n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      out += got, n -= std::size_t(got);
    }
    return true;
  }
  bool seek(std::size_t offset) noexcept { return ::lseek(fd, off_t(offset), SEEK_SET) == off_t(offset); }
  bool at_end() noexcept {
    std::byte b;
    ssize_t got;
    while ((got = ::read(fd, &b, 1)) < 0 && errno == EINTR) {
    }
    return got == 0;
  }
};

struct fd_sink {
  int fd;
  bool write(const std::byte* in, std::size_t n) noexcept {
    while (n > 0) {
      const ssize_t put = ::write(fd, in, n);
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) return false;
      in += put, n -= std::size_t(put);
    }
    return true;
  }
};

/// A file sink that creates (or truncates) its file at the first write: a save that save_to
/// refuses before writing anything (a non-finite parameter or test vector) creates no file and
/// truncates none, not even a stray temporary of the same name.
struct file_created_on_write {
  const char* path;
  int fd = -1;
  bool create_failed = false;
  bool write(const std::byte* in, std::size_t n) noexcept {
    if (fd < 0 && !create_failed) {
      fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      create_failed = fd < 0;
    }
    return fd >= 0 && fd_sink{fd}.write(in, n);
  }
};
#endif

/// Little-endian float32 values from a source, through a small stack buffer.
template <class Source>
class float_reader {
 public:
  explicit float_reader(Source& source) noexcept : source_(source) {}
  /// Next value; sets failed() when the source runs dry.
  float next() noexcept {
    if (position_ == count_) refill();
    if (failed_) return 0.0f;
    return std::bit_cast<float>(get_u32(buffer_ + 4 * position_++));
  }
  bool failed() const noexcept { return failed_; }
  void limit(std::size_t values) noexcept { remaining_ = values; }

 private:
  void refill() noexcept {
    const std::size_t n = remaining_ < chunk ? remaining_ : chunk;
    if (n == 0 || !source_.read(buffer_, 4 * n)) {
      failed_ = true;
      return;
    }
    remaining_ -= n, count_ = n, position_ = 0;
  }
  static constexpr std::size_t chunk = 64;
  Source& source_;
  std::byte buffer_[4 * chunk];
  std::size_t position_ = 0, count_ = 0, remaining_ = 0;
  bool failed_ = false;
};

/// Writes little-endian float32 values to a sink, keeping a running CRC.
template <class Sink>
class float_writer {
 public:
  explicit float_writer(Sink* sink) noexcept : sink_(sink) {}
  void put(float v) noexcept {
    put_u32(buffer_ + 4 * count_++, std::bit_cast<std::uint32_t>(v));
    if (count_ == chunk) flush();
  }
  bool flush() noexcept {
    crc_ = crc32(crc_, buffer_, 4 * count_);
    if (sink_ != nullptr && count_ > 0 && !sink_->write(buffer_, 4 * count_)) failed_ = true;
    count_ = 0;
    return !failed_;
  }
  std::uint32_t crc() const noexcept { return crc_; }

 private:
  static constexpr std::size_t chunk = 64;
  Sink* sink_;
  std::byte buffer_[4 * chunk];
  std::size_t count_ = 0;
  std::uint32_t crc_ = 0;
  bool failed_ = false;
};

/// The payload (parameters, then the optional test vector) into `out`; returns its CRC.
template <class Net, class Sink>
std::uint32_t write_payload(const Net& net, const float* test_input, const float* test_output, Sink* sink,
                            bool& ok) noexcept {
  float_writer<Sink> out(sink);
  net.visit_parameters([&](float v) { out.put(v); });
  if (test_input != nullptr) {
    for (std::size_t i = 0; i < Net::input_size; ++i) out.put(test_input[i]);
    for (std::size_t i = 0; i < Net::output_size; ++i) out.put(test_output[i]);
  }
  ok = out.flush();
  return out.crc();
}

/// A status naming the first parameter (canonical order) that is NaN or infinite, or ok: such a
/// network is refused before anything is written, since load() would refuse its file (as it
/// would a non-finite test vector, which save_to refuses too).
template <class Net>
status check_finite_parameters(const Net& net, const char* what) noexcept {
  std::size_t index = 0, first = Net::parameter_count;
  net.visit_parameters([&](float v) {
    if (first == Net::parameter_count && !std::isfinite(v)) first = index;
    ++index;
  });
  if (first == Net::parameter_count) return {};
  return status::error(status_code::invalid_argument) << what << ": parameter " << first << " (canonical order) is not finite";
}

template <class Net, class Sink>
status save_to(const Net& net, Sink& sink, const float* test_input) noexcept {
  if (status s = check_finite_parameters(net, "save"); !s.ok()) return s;
  std::array<float, Net::output_size> test_output{};
  if (test_input != nullptr) {
    // load() re-evaluates a test vector and compares: a non-finite one could never match.
    for (std::size_t i = 0; i < Net::input_size; ++i)
      if (!std::isfinite(test_input[i]))
        return status::error(status_code::invalid_argument) << "save: test input " << i << " is not finite";
    net.infer(test_input, test_output.data());
    for (std::size_t i = 0; i < Net::output_size; ++i)
      if (!std::isfinite(test_output[i]))
        return status::error(status_code::invalid_argument)
               << "save: the network's output " << i << " for the test input is not finite";
  }
  bool ok = true;
  const std::uint32_t crc = write_payload<Net, Sink>(net, test_input, test_output.data(), nullptr, ok);
  std::byte header[header_size] = {};
  std::memcpy(header, magic, sizeof magic);
  put_u32(header + 8, format_version);
  put_u32(header + 12, header_size);
  put_u64(header + 16, topology_hash<Net>());
  put_u64(header + 24, Net::parameter_count);
  put_u32(header + 32, crc);
  put_u32(header + 36, test_input != nullptr ? flag_test_vector : 0u);
  put_u32(header + 40, Net::layer_count);
  put_u32(header + 44, 4);
  if (!sink.write(header, header_size)) return status::error(status_code::io_error) << "weight file: cannot write the header";
  write_payload<Net, Sink>(net, test_input, test_output.data(), &sink, ok);
  if (!ok) return status::error(status_code::io_error) << "weight file: cannot write the parameters";
  return {};
}

template <class Net, class Source>
void evaluate_chain(float_reader<Source>& in, const double* x, double* y) noexcept;

template <class L, class Source>
void evaluate_layer(float_reader<Source>& in, const double* x, double* y) noexcept {
  if constexpr (L::kind == layer_kind::dense) {
    for (std::size_t o = 0; o < L::out_size; ++o) {
      double sum = 0;
      for (std::size_t i = 0; i < L::in_size; ++i) sum += double(in.next()) * x[i];
      y[o] = sum;
    }
    for (std::size_t o = 0; o < L::out_size; ++o)
      y[o] = L::activation::template apply<double>(y[o] + double(in.next()));
  } else if constexpr (L::kind == layer_kind::activation) {
    for (std::size_t i = 0; i < L::in_size; ++i) y[i] = L::activation::template apply<double>(x[i]);
  } else if constexpr (L::kind == layer_kind::softmax) {
    double max = x[0], sum = 0;
    for (std::size_t i = 1; i < L::in_size; ++i) max = x[i] > max ? x[i] : max;
    for (std::size_t i = 0; i < L::in_size; ++i) sum += (y[i] = std::exp(x[i] - max));
    for (std::size_t i = 0; i < L::in_size; ++i) y[i] /= sum;
  } else if constexpr (L::kind == layer_kind::residual) {
    evaluate_chain<typename L::body_type>(in, x, y);  // f's parameters come first
    if constexpr (L::projected) {
      double skip[L::out_size];
      evaluate_layer<typename L::projection_type>(in, x, skip);
      for (std::size_t o = 0; o < L::out_size; ++o) y[o] += skip[o];
    } else {
      for (std::size_t o = 0; o < L::out_size; ++o) y[o] += x[o];
    }
  } else {
    L::evaluate_streamed(in, x, y);
  }
}

/// Evaluates Net from the parameters streaming past in `in` (canonical order), in double.
template <class Net, class Source>
void evaluate_chain(float_reader<Source>& in, const double* x, double* y) noexcept {
  double rows[2][Net::max_stride] = {};
  for (std::size_t i = 0; i < Net::input_size; ++i) rows[0][i] = x[i];
  int current = 0;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((evaluate_layer<typename Net::template layer_type<I>>(in, rows[current], rows[1 - current]), current = 1 - current),
     ...);
  }(std::make_index_sequence<Net::layer_count>{});
  for (std::size_t o = 0; o < Net::output_size; ++o) y[o] = rows[current][o];
}

/// Evaluates the network described by the parameters in `in` (canonical order) on `x`, in
/// double, layer by layer as the values stream past: the test-vector check of a file that
/// has not been loaded yet.
template <class Net, class Source>
bool evaluate_streamed(float_reader<Source>& in, const float* x, double* y) noexcept {
  double input[Net::input_size];
  for (std::size_t i = 0; i < Net::input_size; ++i) input[i] = x[i];
  evaluate_chain<Net>(in, input, y);
  return !in.failed();
}

template <class Net, class Source>
status load_from(Net& net, Source& source) noexcept {
  constexpr const char* what = "weight file: ";
  std::byte header[header_size];
  if (!source.read(header, header_size))
    return status::error(status_code::bad_format) << what << "truncated: shorter than its " << header_size
                                                  << "-byte header";
  if (std::memcmp(header, magic, sizeof magic) != 0)
    return status::error(status_code::bad_format) << what << "bad magic: not a ctnn weight file";
  if (const auto v = get_u32(header + 8); v != format_version)
    return status::error(status_code::bad_format) << what << "format version " << v << ", this library reads version "
                                                  << format_version;
  if (const auto v = get_u32(header + 12); v != header_size)
    return status::error(status_code::bad_format) << what << "header size " << v << ", expected " << header_size;
  if (const auto v = get_u64(header + 16); v != topology_hash<Net>())
    return status::error(status_code::topology_mismatch)
           << what << "topology hash " << hex{v} << ", this network's is " << hex{topology_hash<Net>()}
           << ": the file was made for a different network";
  if (const auto v = get_u64(header + 24); v != Net::parameter_count)
    return status::error(status_code::topology_mismatch) << what << v << " parameters, this network has "
                                                         << Net::parameter_count;
  const std::uint32_t flags = get_u32(header + 36);
  if ((flags & ~flag_test_vector) != 0)
    return status::error(status_code::bad_format) << what << "unknown flags " << hex{flags};
  if (const auto v = get_u32(header + 40); v != Net::layer_count)
    return status::error(status_code::topology_mismatch) << what << v << " layers, this network has " << Net::layer_count;
  if (const auto v = get_u32(header + 44); v != 4)
    return status::error(status_code::bad_format) << what << v << "-byte values, expected 4 (float32)";

  // Pass 1: size, CRC and finiteness, without writing anything.
  const bool with_test_vector = (flags & flag_test_vector) != 0;
  const std::size_t values = Net::parameter_count + (with_test_vector ? Net::input_size + Net::output_size : 0);
  const std::size_t expected_bytes = weight_file_size<Net>(with_test_vector);
  std::uint32_t crc = 0;
  std::byte chunk[256];
  std::size_t index = 0;
  for (std::size_t left = 4 * values; left > 0;) {
    const std::size_t n = left < sizeof chunk ? left : sizeof chunk;
    if (!source.read(chunk, n))
      return status::error(status_code::bad_format) << what << "truncated: a file for this network is "
                                                    << expected_bytes << " bytes";
    crc = crc32(crc, chunk, n);
    for (std::size_t k = 0; k < n; k += 4, ++index)
      if (!std::isfinite(std::bit_cast<float>(get_u32(chunk + k))) && index < Net::parameter_count)
        return status::error(status_code::bad_format) << what << "parameter " << index << " is not finite";
    left -= n;
  }
  if (!source.at_end())
    return status::error(status_code::bad_format) << what << "trailing bytes after the " << expected_bytes
                                                  << " bytes of a file for this network";
  if (const auto v = get_u32(header + 32); v != crc)
    return status::error(status_code::bad_format) << what << "payload CRC-32 " << hex{v} << " in the header, "
                                                  << hex{crc} << " computed: the file is corrupt";

  // Pass 2: the test vector, evaluated from the file's parameters.
  if (with_test_vector) {
    std::array<float, Net::input_size> input{};
    std::array<double, Net::output_size> computed{};
    if (!source.seek(header_size + 4 * Net::parameter_count))
      return status::error(status_code::io_error) << what << "cannot seek";
    float_reader<Source> tail(source);
    tail.limit(Net::input_size + Net::output_size);
    for (auto& v : input) v = tail.next();
    std::array<float, Net::output_size> expected{};
    for (auto& v : expected) v = tail.next();
    if (!source.seek(header_size)) return status::error(status_code::io_error) << what << "cannot seek";
    float_reader<Source> params(source);
    params.limit(Net::parameter_count);
    if (tail.failed() || !evaluate_streamed<Net>(params, input.data(), computed.data()))
      return status::error(status_code::io_error) << what << "read failed during the test-vector check";
    for (std::size_t o = 0; o < Net::output_size; ++o)
      if (!(std::abs(computed[o] - double(expected[o])) <= 1e-4 * (1 + std::abs(double(expected[o])))))
        return status::error(status_code::check_failed)
               << what << "test vector output " << o << " is " << double(expected[o]) << " but the file's parameters give "
               << computed[o];
  }

  // Pass 3: everything checked; copy the parameters in.
  if (!source.seek(header_size)) return status::error(status_code::io_error) << what << "cannot seek";
  float_reader<Source> params(source);
  params.limit(Net::parameter_count);
  net.visit_parameters([&](float& p) { p = params.next(); });
  if (params.failed())  // only a file changed or failing between the passes gets here
    return status::error(status_code::io_error) << what << "read failed while copying parameters";
  return {};
}

}  // namespace io::detail

/// Writes the weight file of `net` into `out` (at least weight_file_size<Net>() bytes).
template <class Net>
status save(const Net& net, std::span<std::byte> out) noexcept {
  io::detail::memory_sink sink{out};
  if (out.size() < weight_file_size<Net>())
    return status::error(status_code::invalid_argument) << "save: buffer of " << out.size() << " bytes, need "
                                                        << weight_file_size<Net>();
  return io::detail::save_to(net, sink, nullptr);
}

/// As above, with a test vector: `test_input` and the network's output for it, checked on load.
template <class Net>
status save(const Net& net, std::span<std::byte> out, const std::array<float, Net::input_size>& test_input) noexcept {
  io::detail::memory_sink sink{out};
  if (out.size() < weight_file_size<Net>(true))
    return status::error(status_code::invalid_argument) << "save: buffer of " << out.size() << " bytes, need "
                                                        << weight_file_size<Net>(true);
  return io::detail::save_to(net, sink, test_input.data());
}

/// Loads a weight file from a buffer of exactly its size; on any error `net` is unchanged.
template <class Net>
status load(Net& net, std::span<const std::byte> in) noexcept {
  io::detail::memory_source source{in};
  return io::detail::load_from(net, source);
}

#if CTNN_HAS_POSIX_FILES
namespace io::detail {
template <class Net>
status save_path(const Net& net, const char* path, const float* test_input) noexcept {
  // Written next to the destination, then renamed over it: readers never see half a file.
  char temporary[4096];
  const std::size_t length = std::strlen(path);
  if (length + 5 > sizeof temporary) return status::error(status_code::invalid_argument) << "save: path too long";
  std::memcpy(temporary, path, length);
  std::memcpy(temporary + length, ".tmp", 5);
  file_created_on_write sink{temporary};
  status s = save_to(net, sink, test_input);
  if (sink.create_failed) return status::error(status_code::io_error) << "save: cannot create " << temporary;
  if (sink.fd < 0) return s;  // refused before the first write: no file was created
  if (::close(sink.fd) != 0 && s.ok()) s = status::error(status_code::io_error) << "save: cannot close " << temporary;
  if (s.ok() && std::rename(temporary, path) != 0) s = status::error(status_code::io_error) << "save: cannot rename to " << path;
  if (!s.ok()) ::unlink(temporary);
  return s;
}
}  // namespace io::detail

/// Writes the weight file of `net` to `path` (atomically: a temporary file renamed over it).
template <class Net>
status save(const Net& net, const char* path) noexcept {
  return io::detail::save_path(net, path, nullptr);
}
template <class Net>
status save(const Net& net, const char* path, const std::array<float, Net::input_size>& test_input) noexcept {
  return io::detail::save_path(net, path, test_input.data());
}

/// Loads a weight file from `path`; on any error `net` is unchanged.
template <class Net>
status load(Net& net, const char* path) noexcept {
  const int fd = ::open(path, O_RDONLY);
  if (fd < 0) return status::error(status_code::io_error) << "load: cannot open " << path;
  io::detail::fd_source source{fd};
  const status s = io::detail::load_from(net, source);
  ::close(fd);
  return s;
}
#endif

}  // namespace ctnn
