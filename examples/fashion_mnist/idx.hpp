// idx.hpp - reads the IDX files of MNIST and Fashion-MNIST, gzipped or not, through zlib.
//
// An IDX file is a 4-byte magic (0, 0, element type, number of dimensions), one big-endian
// 32-bit size per dimension, then the elements in row-major order. Only unsigned bytes
// (type 0x08) are read: that is what every MNIST-family file holds.
//
//   idx::read_result r = idx::read("train-labels-idx1-ubyte.gz", 1);
//   if (!r) { std::fprintf(stderr, "%s\n", r.error.c_str()); ... }
//   r.value.shape   // {60000}
//   r.value.data    // 60000 bytes
//
// Every way a file can be wrong comes back as a message naming the file and the problem
// (missing, corrupt gzip stream, wrong magic or rank, fewer or more bytes than its header
// declares), not as an exception.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace idx {

/// The contents of an IDX file of unsigned bytes.
struct array {
  std::vector<std::uint32_t> shape;  ///< one size per dimension, outermost first
  std::vector<std::uint8_t> data;    ///< the product of the sizes in shape, row-major
};

/// A value, or the reason there is none.
template <class T>
struct result {
  T value;
  std::string error;  ///< empty on success
  explicit operator bool() const noexcept { return error.empty(); }
};
using read_result = result<array>;

/// The IDX element type code of unsigned bytes.
inline constexpr std::uint8_t unsigned_byte = 0x08;

/// Largest payload read() accepts, so that a corrupt header cannot ask for 2^96 bytes.
inline constexpr std::uint64_t max_bytes = std::uint64_t{1} << 32;

namespace detail {

/// Owns a gzFile: closed on every path out of read().
class gz_reader {
 public:
  explicit gz_reader(const std::string& path) : file_(gzopen(path.c_str(), "rb")) {}
  ~gz_reader() {
    if (file_ != nullptr) gzclose(file_);
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;

  bool is_open() const noexcept { return file_ != nullptr; }

  /// Reads up to n bytes; fewer at the end of the data or at the first corrupt byte.
  std::uint64_t read(std::uint8_t* out, std::uint64_t n) {
    std::uint64_t done = 0;
    while (done < n) {
      // gzread counts in unsigned and returns int: at most 1 GiB per call.
      const auto chunk = static_cast<unsigned>(std::min<std::uint64_t>(n - done, 1u << 30));
      const int got = gzread(file_, out + done, chunk);
      if (got <= 0) break;
      done += static_cast<std::uint64_t>(got);
    }
    return done;
  }

  /// After a short read: why the data ended early, if not at a clean end of stream.
  std::string stream_error() const {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (code == Z_OK || code == Z_STREAM_END) return {};
    return std::string(" (") + (code == Z_ERRNO ? std::strerror(errno) : message) + ")";
  }

 private:
  gzFile file_;
};

}  // namespace detail

/// Reads the IDX file at path, which must hold unsigned bytes in `rank` dimensions.
inline read_result read(const std::string& path, std::size_t rank) {
  const auto fail = [&](const std::string& why) { return read_result{{}, path + ": " + why}; };

  errno = 0;
  detail::gz_reader file(path);
  if (!file.is_open()) return fail(errno != 0 ? std::strerror(errno) : "cannot open");

  std::uint8_t magic[4];
  if (const std::uint64_t got = file.read(magic, sizeof magic); got < sizeof magic)
    return fail("truncated: " + std::to_string(got) + " bytes, shorter than an IDX header" + file.stream_error());
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != unsigned_byte || magic[3] != rank) {
    char text[96];
    std::snprintf(text, sizeof text, "wrong magic %02x %02x %02x %02x, expected 00 00 %02x %02zx (unsigned bytes in %zu dimensions)",
                  magic[0], magic[1], magic[2], magic[3], unsigned_byte, rank, rank);
    return fail(text);
  }

  read_result result;
  std::uint64_t bytes = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    std::uint8_t be[4];
    if (file.read(be, sizeof be) < sizeof be) return fail("truncated in the header's dimensions" + file.stream_error());
    const std::uint32_t size = std::uint32_t{be[0]} << 24 | std::uint32_t{be[1]} << 16 | std::uint32_t{be[2]} << 8 | be[3];
    result.value.shape.push_back(size);
    bytes *= size;
    if (bytes > max_bytes) return fail("the header declares more than " + std::to_string(max_bytes) + " bytes of data");
  }

  try {
    result.value.data.resize(bytes);
  } catch (const std::bad_alloc&) {
    return fail("out of memory for " + std::to_string(bytes) + " bytes");
  }
  if (const std::uint64_t got = file.read(result.value.data.data(), bytes); got < bytes)
    return fail("truncated: the header declares " + std::to_string(bytes) + " bytes of data, the file holds " +
                std::to_string(got) + file.stream_error());
  std::uint8_t extra;
  if (file.read(&extra, 1) != 0)
    return fail("more data than the " + std::to_string(bytes) + " bytes the header declares (wrong count?)");
  if (const std::string why = file.stream_error(); !why.empty()) return fail("corrupt gzip stream" + why);
  return result;
}

}  // namespace idx
