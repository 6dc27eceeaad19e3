// Build-time generator for export_test: exports reference network S (seed 2026) and a network
// with every layer kind as constexpr headers, through ctnn::export_header.
#include <cstdio>

#include <ctnn/ctnn.hpp>

#include "export_networks.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: export_generator S_HEADER MIXED_HEADER\n");
    return 2;
  }
  static export_networks::S s;
  static export_networks::mixed mixed;
  export_networks::make(s, mixed);
  for (const auto& st : {ctnn::export_header(s, argv[1], "exported_S"), ctnn::export_header(mixed, argv[2], "exported_mixed")})
    if (!st.ok()) {
      std::fprintf(stderr, "export_generator: %s\n", st.message());
      return 1;
    }
  return 0;
}
