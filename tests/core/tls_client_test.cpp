// The shared TLS client setup's trust configuration and the words for a plain request on a TLS
// port. Certificate failures themselves are proven against a real nginx with broken
// certificates (tests/diagnose/diagnose_tls_test.sh).
#include "core/tls_client.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace parley::tls {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("parley-tls-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// Debian's bundle of the public CAs (ca-certificates, a build dependency).
const char* kBundle = "/etc/ssl/certs/ca-certificates.crt";

TEST(TlsClient, CaFileMayBeAFileOrAFolderOfPemFiles) {
  ASSERT_TRUE(fs::exists(kBundle));
  EXPECT_EQ(check_ca_file(""), "");
  EXPECT_EQ(check_ca_file(kBundle), "");
  TempDir dir;
  fs::copy_file(kBundle, dir.path / "ca.pem");
  std::ofstream(dir.path / "README") << "not a certificate\n";  // skipped, not an error
  EXPECT_EQ(check_ca_file(dir.path.string()), "");
}

TEST(TlsClient, UnusableCaFileIsNamed) {
  TempDir dir;
  EXPECT_NE(check_ca_file((dir.path / "missing.pem").string()).find("does not exist"), std::string::npos);
  std::ofstream(dir.path / "empty.pem") << "no PEM here\n";
  EXPECT_NE(check_ca_file((dir.path / "empty.pem").string()).find("holds no PEM certificate"), std::string::npos);
  fs::create_directories(dir.path / "none");
  EXPECT_NE(check_ca_file((dir.path / "none").string()).find("holds no PEM certificate"), std::string::npos);
  auto ctx = client_context(Trust{(dir.path / "empty.pem").string(), "providers.ca_file"});
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().message.find("providers.ca_file: "), std::string::npos) << ctx.error().message;
}

TEST(TlsClient, ContextsAreSharedPerTrust) {
  auto a = client_context(Trust{});
  auto b = client_context(Trust{});
  auto c = client_context(Trust{kBundle});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_NE(a->get(), c->get());
}

TEST(TlsClient, PlainRequestToTlsPortIsRecognised) {
  EXPECT_TRUE(is_plain_request_to_tls_port(
      400, "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"));
  EXPECT_TRUE(is_plain_request_to_tls_port(400, "Client sent an HTTP request to an HTTPS server.\n"));
  EXPECT_FALSE(is_plain_request_to_tls_port(400, "Bad Request"));
  EXPECT_FALSE(is_plain_request_to_tls_port(200, "The plain HTTP request was sent to HTTPS port"));
  EXPECT_NE(plain_request_to_tls_port_message("localhost:7443").find("wss://"), std::string::npos);
}

}  // namespace
}  // namespace parley::tls
