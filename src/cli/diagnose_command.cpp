// parley diagnose: checks the LiveKit deployment in order and says, for the first thing that is
// wrong, what it is and how to fix it (checks after a failed one they depend on are skipped).
//   parley diagnose [--json] [--watch SECONDS [--rounds N] [--metrics-file PATH]]
// --watch repeats the checks and keeps their results as Prometheus metrics
// (parley_diagnose_check_status{check} 0 pass/1 warn/2 fail/3 skip, parley_diagnose_healthy…):
// with --metrics-file they are written there after every round (atomically, for node_exporter's
// textfile collector), otherwise printed after each round's report.
//   parley diagnose --call NUMBER [--sip-address HOST:PORT] [--from NUMBER] [--sip-user U --sip-password P]
// --call places a real test call through the SIP bridge (parley's own SIP phone, libre) and
// reports each step with its time — SIP answer, room, SIP participant, agent, 200 OK, greeting
// audio and its level, BYE — and at the first step not reached, the cause and the fix. The
// same call runs as the sip_call check when diagnose.call_number is set.
// Testing: --clock-skew SECONDS (or PARLEY_CLOCK_SKEW) mints tokens as if this host's clock
// were off by that much.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/api_session.h"
#include "core/metrics.h"
#include "diagnose/runner.h"
#include "diagnose/test_call.h"
#include "livekit/auth/shifted_clock.h"

namespace parley::cli {
namespace {

struct DiagnoseOptions {
  std::optional<long> clock_skew;
  double watch = 0;
  int rounds = 0;
  std::string metrics_file;
  // --call and its settings (empty: from diagnose.*)
  std::string call, sip_address, from, sip_user, sip_password;
  double call_timeout = 0;
};

// diagnose --call: the test call alone, its steps printed as they are judged.
void run_call(CommandContext& ctx, const DiagnoseOptions& o, const Clock& clock) {
  ConfigLoad load = load_config(ctx.sources());
  ctx.apply_logging(load.config);
  diagnose::Context dctx(load.config, {}, clock);
  auto options = diagnose::TestCallOptions::from_config(load.config);
  options.number = o.call;
  if (!o.sip_address.empty()) options.sip_address = o.sip_address;
  if (!o.from.empty()) options.caller = o.from;
  if (!o.sip_user.empty()) options.username = o.sip_user;
  if (!o.sip_password.empty()) options.password = o.sip_password;
  if (o.call_timeout > 0) options.answer_timeout = std::chrono::milliseconds(long(o.call_timeout * 1000));
  if (!ctx.opts.json) std::cout << "calling " << options.number << " through the SIP bridge...\n" << std::flush;
  auto verdict = diagnose::run_test_call(dctx, options);
  if (!verdict) throw CliExit(kExitFailed, "cannot place the test call: " + verdict.error().message);
  if (ctx.opts.json) {
    std::cout << verdict->to_json().dump(2) << "\n";
  } else {
    std::cout << verdict->to_text() << std::flush;
  }
  if (!verdict->ok) throw CliExit(kExitFailed, "");
}

void write_metrics_file(const std::string& path) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) throw CliExit(kExitUsage, "cannot write --metrics-file " + path);
    f << metrics::registry().render();
  }
  std::filesystem::rename(tmp, path);
}

diagnose::Report run_round(CommandContext& ctx, const DiagnoseOptions& o, const Clock& clock) {
  ConfigLoad load = load_config(ctx.sources());
  std::vector<std::string> errors;
  for (const auto& issue : load.issues) {
    // LiveKit keys are the config check's own subject; it names them itself.
    if (!issue.warning && issue.key.rfind("livekit.", 0) != 0) errors.push_back(issue.to_string());
  }
  ctx.apply_logging(load.config);
  diagnose::Context dctx(load.config, errors, clock);
  diagnose::Runner runner(diagnose::builtin_checks());
  const bool tty = !ctx.opts.json && isatty(STDOUT_FILENO);
  auto report = runner.run(
      dctx,
      [&](const diagnose::Check& c) {
        if (tty) std::cout << "....  " << c.title() << std::flush;
      },
      [&](const diagnose::ReportEntry& e) {
        if (ctx.opts.json) return;
        if (tty) std::cout << "\r\033[K";
        std::cout << diagnose::format_entry(e) << std::flush;
      });
  diagnose::export_metrics(report);
  if (ctx.opts.json) {
    std::cout << report.to_json().dump(2) << "\n";
  } else {
    std::cout << "\n" << report.count(diagnose::Status::kPass) << " passed, " << report.count(diagnose::Status::kWarn)
              << " warnings, " << report.count(diagnose::Status::kFail) << " failed, "
              << report.count(diagnose::Status::kSkip) << " skipped\n";
  }
  (void)o;
  return report;
}

void run_diagnose(CommandContext& ctx, const DiagnoseOptions& o) {
  livekit::ShiftedClock clock(SystemClock::instance(), clock_skew_setting(o.clock_skew));
  if (!o.call.empty()) return run_call(ctx, o, clock);
  if (o.watch <= 0) {
    auto report = run_round(ctx, o, clock);
    if (!o.metrics_file.empty()) write_metrics_file(o.metrics_file);
    if (!report.ok()) throw CliExit(kExitFailed, "");
    return;
  }
  bool last_ok = true;
  for (int round = 1; o.rounds == 0 || round <= o.rounds; ++round) {
    auto started = std::chrono::steady_clock::now();
    if (!ctx.opts.json) std::cout << "# round " << round << "\n";
    last_ok = run_round(ctx, o, clock).ok();
    if (o.metrics_file.empty()) {
      if (!ctx.opts.json) std::cout << "\n# metrics\n" << metrics::registry().render() << std::flush;
    } else {
      write_metrics_file(o.metrics_file);
    }
    if (o.rounds != 0 && round == o.rounds) break;
    std::this_thread::sleep_until(started + std::chrono::milliseconds(long(o.watch * 1000)));
  }
  if (!last_ok) throw CliExit(kExitFailed, "");
}

const CommandRegistrar registrar(40, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<DiagnoseOptions>();
  auto* cmd = root.add_subcommand("diagnose", "check the LiveKit setup end to end and explain what is wrong");
  cmd->add_option("--watch", o->watch, "repeat every SECONDS and keep the results as Prometheus metrics");
  cmd->add_option("--rounds", o->rounds, "with --watch: stop after N rounds (default: run until stopped)");
  // --out as in listen and tts; --metrics-file is its first name, still accepted.
  cmd->add_option("--out,--metrics-file", o->metrics_file, "write the Prometheus metrics to this file after each round");
  cmd->add_option("--call", o->call, "place a test call to NUMBER through the SIP bridge and report each step");
  cmd->add_option("--sip-address", o->sip_address, "the SIP bridge's host[:port] (default: diagnose.sip_address, "
                                                    "else the LiveKit host on port 5060)");
  cmd->add_option("--from", o->from, "the test call's caller number (default: diagnose.call_from)");
  cmd->add_option("--sip-user", o->sip_user, "digest username, for a trunk with auth (diagnose.call_username)");
  cmd->add_option("--sip-password", o->sip_password, "digest password (diagnose.call_password)");
  cmd->add_option("--call-timeout", o->call_timeout, "seconds the test call may ring before it counts as unanswered");
  cmd->add_option("--clock-skew", o->clock_skew, "testing: mint tokens with the clock shifted by SECONDS")
      ->group("");
  cmd->callback([&ctx, o] { run_diagnose(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
