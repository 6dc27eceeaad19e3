// The weight file: bit-exact round trips, and every corruption refused with the network left
// bit-identical and nothing allocated.
#define BOOST_TEST_MODULE weight_file
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <ctnn/ctnn.hpp>

#include "support/alloc_counter.hpp"
#include "support/golden.hpp"
#include "support/reference_networks.hpp"

namespace ctnn {
std::ostream& operator<<(std::ostream& os, status_code code) { return os << to_string(code); }
}  // namespace ctnn

using namespace reference_networks;
using test_support::parameters_of;

namespace {

template <class Net>
std::unique_ptr<Net> random_network(std::uint64_t seed) {
  auto net = std::make_unique<Net>();
  ctnn::initialize(*net, ctnn::rng{seed});
  return net;
}

template <class Net>
std::vector<std::byte> saved(const Net& net, bool with_test_vector) {
  std::vector<std::byte> file(ctnn::weight_file_size<Net>(with_test_vector));
  std::array<float, Net::input_size> x{};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) * 0.25f - 0.5f;
  const auto s = with_test_vector ? ctnn::save(net, file, x) : ctnn::save(net, file);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  return file;
}

template <class Net>
void check_round_trip(std::uint64_t seed) {
  for (bool with_test_vector : {false, true}) {
    const auto original = random_network<Net>(seed);
    const auto file = saved(*original, with_test_vector);
    auto loaded = std::make_unique<Net>();
    const auto s = ctnn::load(*loaded, file);
    BOOST_TEST(s.ok(), s.message());
    // Bit-exact, padding included (padding of a fresh network is zero on both sides).
    BOOST_TEST(std::memcmp(loaded.get(), original.get(), sizeof(Net)) == 0);
  }
}

/// Loads `file` (bytes in memory, or a path) into a network holding other parameters and
/// expects refusal with `code`, the network unchanged and no allocation.
template <class Net, class File = std::vector<std::byte>>
void expect_refused(const File& file, ctnn::status_code code, const std::string& what) {
  static const auto bystander = random_network<Net>(999);
  static auto target = std::make_unique<Net>();
  std::memcpy(target.get(), bystander.get(), sizeof(Net));
  ctnn::status s;
  const long allocations = test_support::count_allocations([&] { s = ctnn::load(*target, file); });
  BOOST_TEST(!s.ok(), what << ": accepted");
  BOOST_TEST(s.code() == code, what << ": " << s.message());
  BOOST_TEST(std::memcmp(target.get(), bystander.get(), sizeof(Net)) == 0, what << ": network changed");
  BOOST_TEST(allocations == 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trips_are_bit_exact) {
  check_round_trip<S<>>(1);
  check_round_trip<M<>>(2);
  check_round_trip<L<>>(3);
  check_round_trip<W<>>(4);
  check_round_trip<ctnn::network<ctnn::input<3>, ctnn::sigmoid, ctnn::dense<5, ctnn::leaky_relu<3, 10>>, ctnn::dense<4>,
                                 ctnn::softmax>>(5);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  for (bool with_test_vector : {false, true}) {
    const auto file = saved(*random_network<S<>>(6), with_test_vector);
    for (std::size_t length = 0; length < file.size(); ++length)
      expect_refused<S<>>({file.begin(), file.begin() + std::ptrdiff_t(length)}, ctnn::status_code::bad_format,
                          "truncated to " + std::to_string(length));
    auto longer = file;
    longer.push_back(std::byte{0});
    expect_refused<S<>>(longer, ctnn::status_code::bad_format, "one trailing byte");
  }
}

BOOST_AUTO_TEST_CASE(every_header_bit_flip_is_refused) {
  const auto file = saved(*random_network<S<>>(7), true);
  for (std::size_t byte = 0; byte < ctnn::io::header_size; ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      auto corrupt = file;
      corrupt[byte] ^= std::byte(1u << bit);
      // Field-specific codes: the topology fields (hash at 16, parameter count at 24, layer
      // count at 40) say mismatch; magic, version, header size, CRC, flags and value size say
      // bad format.
      const bool topology_field = (byte >= 16 && byte < 32) || (byte >= 40 && byte < 44);
      expect_refused<S<>>(corrupt, topology_field ? ctnn::status_code::topology_mismatch : ctnn::status_code::bad_format,
                          "header byte " + std::to_string(byte) + " bit " + std::to_string(bit));
    }
}

BOOST_AUTO_TEST_CASE(payload_bit_flips_are_refused) {
  const auto file = saved(*random_network<M<>>(8), true);
  for (std::size_t byte = ctnn::io::header_size; byte < file.size(); byte += 13) {
    auto corrupt = file;
    corrupt[byte] ^= std::byte(1u << (byte % 8));
    expect_refused<M<>>(corrupt, ctnn::status_code::bad_format, "payload byte " + std::to_string(byte));
  }
}

BOOST_AUTO_TEST_CASE(other_topologies_are_refused) {
  const auto s_file = saved(*random_network<S<>>(9), false);
  expect_refused<M<>>(s_file, ctnn::status_code::topology_mismatch, "S file into M");
  // Same sizes, another activation: same parameter count, different hash.
  using S_sigmoid = ctnn::network<ctnn::input<4>, ctnn::dense<16, ctnn::sigmoid>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<2>>;
  static_assert(S_sigmoid::parameter_count == S<>::parameter_count);
  static_assert(ctnn::topology_hash<S_sigmoid>() != ctnn::topology_hash<S<>>());
  expect_refused<S_sigmoid>(s_file, ctnn::status_code::topology_mismatch, "S file into S with sigmoid");
  using S_leaky = ctnn::network<ctnn::input<4>, ctnn::dense<16, ctnn::leaky_relu<1, 10>>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<2>>;
  using S_leaky2 = ctnn::network<ctnn::input<4>, ctnn::dense<16, ctnn::leaky_relu<1, 5>>, ctnn::dense<16, ctnn::tanh>, ctnn::dense<2>>;
  static_assert(ctnn::topology_hash<S_leaky>() != ctnn::topology_hash<S_leaky2>());
  // Fusion does not change the topology: dense<16> then tanh is dense<16, tanh>.
  using S_unfused = ctnn::network<ctnn::input<4>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<16>, ctnn::tanh, ctnn::dense<2>>;
  static_assert(ctnn::topology_hash<S_unfused>() == ctnn::topology_hash<S<>>());
}

// A file whose CRC is right but whose parameters do not reproduce its test vector (as made by
// a buggy writer): check_failed. And a NaN parameter: bad_format.
BOOST_AUTO_TEST_CASE(test_vector_and_finiteness_are_checked) {
  auto file = saved(*random_network<S<>>(10), true);
  auto rewrite = [](std::vector<std::byte>& f, std::size_t parameter, float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, 4);
    for (int i = 0; i < 4; ++i) f[ctnn::io::header_size + 4 * parameter + i] = std::byte((bits >> (8 * i)) & 0xFF);
    const std::uint32_t crc = ctnn::io::crc32(0, f.data() + ctnn::io::header_size, f.size() - ctnn::io::header_size);
    for (int i = 0; i < 4; ++i) f[32 + i] = std::byte((crc >> (8 * i)) & 0xFF);
  };
  auto wrong = file;
  rewrite(wrong, 5, 3.0f);
  expect_refused<S<>>(wrong, ctnn::status_code::check_failed, "test vector");
  auto nan = file;
  rewrite(nan, 5, std::numeric_limits<float>::quiet_NaN());
  expect_refused<S<>>(nan, ctnn::status_code::bad_format, "NaN parameter");
}

BOOST_AUTO_TEST_CASE(messages_name_the_field) {
  auto file = saved(*random_network<S<>>(11), false);
  file[8] = std::byte{7};  // format version 7
  S<> net;
  BOOST_TEST(std::string(ctnn::load(net, file).message()) == "weight file: format version 7, this library reads version 1");
  const auto s_file = saved(*random_network<S<>>(11), false);
  M<> m;
  const std::string mismatch = ctnn::load(m, s_file).message();
  BOOST_TEST(mismatch.find("the file was made for a different network") != std::string::npos, mismatch);
}

BOOST_AUTO_TEST_CASE(files_on_disk) {
  const auto net = random_network<M<>>(12);
  const std::string path = "weight_file_test_M.ctnn";
  ctnn::status s;
  const long save_allocations =
      test_support::count_allocations([&] { s = ctnn::save(*net, path.c_str(), std::array<float, 16>{1, 2, 3}); });
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  BOOST_TEST(save_allocations == 0);
  auto loaded = std::make_unique<M<>>();
  const long allocations = test_support::count_allocations([&] { s = ctnn::load(*loaded, path.c_str()); });
  BOOST_TEST(s.ok(), s.message());
  BOOST_TEST(allocations == 0);
  BOOST_TEST(parameters_of(*loaded) == parameters_of(*net));
  std::remove(path.c_str());
  const auto missing = ctnn::load(*loaded, "no/such/file.ctnn");
  BOOST_TEST(missing.code() == ctnn::status_code::io_error);
  BOOST_TEST(std::string(missing.message()) == "load: cannot open no/such/file.ctnn");
  const auto uncreatable = ctnn::save(*net, "no/such/file.ctnn");
  BOOST_TEST(uncreatable.code() == ctnn::status_code::io_error);
  BOOST_TEST(std::string(uncreatable.message()) == "save: cannot create no/such/file.ctnn.tmp");
}

BOOST_AUTO_TEST_CASE(damaged_files_on_disk_are_refused) {
  // The file source's own paths (short reads, the end-of-file probe), which the buffer tests
  // do not reach: a truncated file and one with a trailing byte, refused as from memory.
  const auto file = saved(*random_network<S<>>(13), true);
  const std::string path = "weight_file_test_damaged.ctnn";
  const auto refused_from_disk = [&](const std::vector<std::byte>& bytes, const std::string& what) {
    {
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    expect_refused<S<>>(path.c_str(), ctnn::status_code::bad_format, what);
  };
  for (std::size_t length : {std::size_t{0}, std::size_t{20}, ctnn::io::header_size, file.size() / 2, file.size() - 1})
    refused_from_disk(std::vector<std::byte>(file.begin(), file.begin() + std::ptrdiff_t(length)),
                      "truncated to " + std::to_string(length));
  auto longer = file;
  longer.push_back(std::byte{0});
  refused_from_disk(longer, "one trailing byte");
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(export_header_text) {
  using tiny = ctnn::network<ctnn::input<1>, ctnn::dense<2>>;
  tiny net;
  net.layer<0>().weight(0, 0) = 1.5f;
  net.layer<0>().weight(1, 0) = -0x1p-140f;  // subnormal
  net.layer<0>().bias()[0] = 0.1f;
  std::array<char, ctnn::exported_header_capacity<tiny>(4)> text{};
  std::size_t length = 0;
  ctnn::status s;
  const long allocations = test_support::count_allocations([&] {
    s = ctnn::export_header(net, text, length, "tiny");
    if (s.ok()) s = ctnn::export_header(net, "weight_file_test_tiny.hpp", "tiny");
  });
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  BOOST_TEST(allocations == 0);
  std::remove("weight_file_test_tiny.hpp");
  const std::string header(text.data(), length);
  BOOST_TEST(header.find("0x1.800000p+0f, -0x0.000400p-126f, 0x1.99999ap-4f, 0.0f,") != std::string::npos, header);
  BOOST_TEST(ctnn::export_header(net, text, length, "9lives").code() == ctnn::status_code::invalid_argument);
  std::array<char, 64> small{};
  BOOST_TEST(ctnn::export_header(net, small, length, "tiny").code() == ctnn::status_code::invalid_argument);
}

// exported_header_capacity is an upper bound for the longest literals (negative, three-digit
// exponents: -0x1.xxxxxxp-100f), at every count of values on the last line.
BOOST_AUTO_TEST_CASE(export_header_capacity_bounds_the_longest_values) {
  const auto fits = [](auto net) {
    using net_t = decltype(net);
    net.visit_parameters([](float& v) { v = -0x1.234568p-100f; });
    std::array<char, ctnn::exported_header_capacity<net_t>(1)> text{};
    std::size_t length = 0;
    const auto s = ctnn::export_header(net, text, length, "n");
    BOOST_TEST(s.ok(), s.message());
    return length;
  };
  fits(ctnn::network<ctnn::input<1>, ctnn::dense<1>>{});   // 2 values
  fits(ctnn::network<ctnn::input<2>, ctnn::dense<2>>{});   // 6 values: one full line
  fits(ctnn::network<ctnn::input<20>, ctnn::dense<15>>{});  // 315 values
}

// A NaN or infinite parameter would make a file load() refuses and a header that does not
// compile: save and export_header refuse it before writing anything.
BOOST_AUTO_TEST_CASE(non_finite_parameters_are_not_saved) {
  using tiny = ctnn::network<ctnn::input<1>, ctnn::dense<2>>;
  tiny net;
  net.layer<0>().bias()[1] = std::numeric_limits<float>::infinity();  // canonical index 3
  std::vector<std::byte> buffer(ctnn::weight_file_size<tiny>(), std::byte{0x5a});
  const auto s = ctnn::save(net, std::span<std::byte>(buffer));
  BOOST_TEST(s.code() == ctnn::status_code::invalid_argument);
  BOOST_TEST(std::string(s.message()) == "save: parameter 3 (canonical order) is not finite");
  BOOST_TEST(std::all_of(buffer.begin(), buffer.end(), [](std::byte b) { return b == std::byte{0x5a}; }));
  const std::string path = "weight_file_test_non_finite.ctnn";
  const auto exists = [](const std::string& p) {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    if (f != nullptr) std::fclose(f);
    return f != nullptr;
  };
  std::remove(path.c_str());
  std::remove((path + ".tmp").c_str());
  BOOST_TEST(ctnn::save(net, path.c_str()).code() == ctnn::status_code::invalid_argument);
  BOOST_TEST(!exists(path + ".tmp"));
  BOOST_TEST(!exists(path));
  // Nothing is created or truncated, not even a file that happens to have the temporary's name.
  const auto contents = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::ofstream(path + ".tmp") << "not ours";
  BOOST_TEST(ctnn::save(net, path.c_str()).code() == ctnn::status_code::invalid_argument);
  BOOST_TEST(contents(path + ".tmp") == "not ours");
  BOOST_TEST(!exists(path));
  std::remove((path + ".tmp").c_str());
  // A test vector load() could never reproduce: refused, an existing file left as it was.
  net.layer<0>().bias()[1] = 0.0f;
  BOOST_REQUIRE(ctnn::save(net, path.c_str()).ok());
  const auto saved = exists(path);
  const auto bad_input = ctnn::save(net, path.c_str(), {std::numeric_limits<float>::quiet_NaN()});
  BOOST_TEST(std::string(bad_input.message()) == "save: test input 0 is not finite");
  net.layer<0>().weight(1, 0) = 3e38f;
  const auto bad_output = ctnn::save(net, path.c_str(), {10.0f});
  BOOST_TEST(std::string(bad_output.message()) == "save: the network's output 1 for the test input is not finite");
  tiny reloaded;
  BOOST_TEST(saved);
  BOOST_TEST(ctnn::load(reloaded, path.c_str()).ok());
  BOOST_TEST(!exists(path + ".tmp"));
  std::remove(path.c_str());
  std::array<char, ctnn::exported_header_capacity<tiny>(4)> text{};
  std::size_t length = 0;
  net.layer<0>().weight(0, 0) = std::numeric_limits<float>::quiet_NaN();
  const auto e = ctnn::export_header(net, text, length, "tiny");
  BOOST_TEST(std::string(e.message()) == "export_header: parameter 0 (canonical order) is not finite");
}
