// Verified webhooks per second through parley serve's front door, and the p99 time to handle
// one. Runs the real Service in-process (HTTP server, verification, parsing, de-duplication,
// admission with logging sessions) and drives it with keep-alive clients over loopback; every
// event is distinct and correctly signed, so every one is verified and acted on.
//
// Reference, measured in the same run over the same connections: GET /healthz, which goes
// through the same HTTP server but does no verification. The ratio says what verification,
// parsing and queueing cost on top of HTTP.
//
//   bench_webhook [requests=20000] [clients=4]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "service/service.h"
#include "test_support/webhook_signer.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Run {
  double per_second = 0;
  double p50_us = 0, p99_us = 0;
  int failures = 0;
};

// `clients` threads, each with one keep-alive connection, send their share of `requests`.
Run drive(uint16_t port, int clients, const std::vector<http::request<http::string_body>>& requests) {
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int> failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      beast::flat_buffer buf;
      for (size_t i = c; i < requests.size(); i += clients) {
        auto start = Clock::now();
        http::write(stream, requests[i]);
        http::response<http::string_body> res;
        http::read(stream, buf, res);
        latencies[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        if (res.result_int() != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Run r;
  r.per_second = static_cast<double>(all.size()) / secs;
  r.p50_us = all[all.size() / 2];
  r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  r.failures = failures;
  return r;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  int clients = argc > 2 ? std::atoi(argv[2]) : 4;
  parley::log::set_level(parley::log::Level::kWarn);  // a log line per webhook would measure the terminal

  parley::Config config;
  config.livekit.url = "http://127.0.0.1:1";
  config.livekit.api_key = "devkey";
  config.livekit.api_secret = "secret";
  config.webhook.listen = "127.0.0.1:0";
  config.webhook.rate_limit_per_second = 1e9;
  config.webhook.rate_limit_burst = 1'000'000;
  config.calls.room_patterns = {"bench-*"};
  config.calls.max_concurrent = 1'000'000;
  parley::service::ServiceOptions options;
  options.config = config;
  options.handle_signals = false;
  parley::service::Service svc(std::move(options));
  auto port = svc.start();
  if (!port) {
    std::fprintf(stderr, "cannot start: %s\n", port.error().message.c_str());
    return 1;
  }

  // Realistic bodies: half participant_joined (each starts a session), half track_published.
  std::vector<http::request<http::string_body>> webhooks, health;
  for (int i = 0; i < n; ++i) {
    std::string room = "bench-" + std::to_string(i / 2);
    std::string body = i % 2 == 0
                           ? parley::testing::participant_joined_body("EV_b" + std::to_string(i), room, "caller")
                           : parley::testing::simple_event_body("track_published", "EV_b" + std::to_string(i), room, "caller");
    http::request<http::string_body> req{http::verb::post, "/livekit/webhook", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/webhook+json");
    req.set(http::field::authorization, parley::testing::sign_webhook("devkey", "secret", body));
    req.body() = body;
    req.prepare_payload();
    webhooks.push_back(std::move(req));
    http::request<http::string_body> h{http::verb::get, "/healthz", 11};
    h.set(http::field::host, "127.0.0.1");
    health.push_back(std::move(h));
  }

  Run ref = drive(*port, clients, health);
  Run hook = drive(*port, clients, webhooks);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (svc.admission().sessions_started() < static_cast<uint64_t>(n / 2) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Server-side handling time (verify, parse, de-duplicate, queue), from parley's own histogram.
  std::string metrics = parley::metrics::registry().render();

  std::printf("webhook bench: %d requests, %d keep-alive clients, %u cores\n", n, clients,
              std::thread::hardware_concurrency());
  std::printf("  verified webhooks : %8.0f /s   round trip p50 %6.0f us  p99 %6.0f us  (non-200: %d)\n",
              hook.per_second, hook.p50_us, hook.p99_us, hook.failures);
  std::printf("  reference /healthz: %8.0f /s   round trip p50 %6.0f us  p99 %6.0f us  (non-200: %d)\n",
              ref.per_second, ref.p50_us, ref.p99_us, ref.failures);
  std::printf("  ratio webhook/healthz throughput: %.2f\n", hook.per_second / ref.per_second);
  std::printf("  sessions started: %llu of %d expected\n",
              static_cast<unsigned long long>(svc.admission().sessions_started()), n / 2);
  // p99 of server-side handling from the histogram buckets.
  auto& h = parley::metrics::registry().histogram("parley_webhook_handling_seconds", "").get();
  auto counts = h.cumulative_counts();
  const auto& bounds = h.bounds();
  uint64_t total = h.count(), want = total - total / 100;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] >= want) {
      std::printf("  server-side handling p99 <= %s (mean %.1f us over %llu)\n",
                  i < bounds.size() ? (std::to_string(bounds[i] * 1e6).substr(0, 6) + " us").c_str() : "+Inf",
                  h.sum() / std::max<uint64_t>(1, total) * 1e6, static_cast<unsigned long long>(total));
      break;
    }
  }
  (void)metrics;
  return hook.failures == 0 && ref.failures == 0 ? 0 : 1;
}
