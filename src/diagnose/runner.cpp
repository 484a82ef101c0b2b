#include "diagnose/runner.h"

#include <chrono>
#include <set>

#include "core/metrics.h"

namespace parley::diagnose {

bool Report::ok() const { return count(Status::kFail) == 0; }

int Report::count(Status s) const {
  int n = 0;
  for (const auto& e : entries) n += e.result.status == s;
  return n;
}

nlohmann::ordered_json Report::to_json() const {
  nlohmann::ordered_json out;
  out["ok"] = ok();
  out["summary"] = {{"pass", count(Status::kPass)}, {"warn", count(Status::kWarn)},
                    {"fail", count(Status::kFail)}, {"skip", count(Status::kSkip)}};
  out["checks"] = nlohmann::ordered_json::array();
  for (const auto& e : entries) {
    out["checks"].push_back({{"check", e.check},
                             {"title", e.title},
                             {"status", std::string(to_string(e.result.status))},
                             {"detail", e.result.detail},
                             {"fix", e.result.fix},
                             {"seconds", e.seconds}});
  }
  return out;
}

std::string format_entry(const ReportEntry& e) {
  std::string tag;
  switch (e.result.status) {
    case Status::kPass: tag = "PASS"; break;
    case Status::kWarn: tag = "WARN"; break;
    case Status::kFail: tag = "FAIL"; break;
    case Status::kSkip: tag = "SKIP"; break;
  }
  std::string line = tag + "  " + e.title;
  if (!e.result.detail.empty()) line += ": " + e.result.detail;
  line += "\n";
  if (!e.result.fix.empty()) line += "      fix: " + e.result.fix + "\n";
  return line;
}

std::string Report::to_text() const {
  std::string out;
  for (const auto& e : entries) out += format_entry(e);
  out += "\n" + std::to_string(count(Status::kPass)) + " passed, " + std::to_string(count(Status::kWarn)) +
         " warnings, " + std::to_string(count(Status::kFail)) + " failed, " + std::to_string(count(Status::kSkip)) +
         " skipped\n";
  return out;
}

Report Runner::run(Context& ctx, const std::function<void(const Check&)>& on_start,
                   const std::function<void(const ReportEntry&)>& on_done) {
  Report report;
  std::map<std::string, Status> done;
  for (const auto& check : checks_) {
    if (on_start) on_start(*check);
    ReportEntry entry{check->name(), check->title(), {}, 0};
    std::string blocked;
    for (const auto& dep : check->depends_on()) {
      auto it = done.find(dep);
      if (it != done.end() && (it->second == Status::kFail || it->second == Status::kSkip)) {
        blocked = dep;
        break;
      }
    }
    if (!blocked.empty()) {
      entry.result = CheckResult::skip("not run because '" + blocked + "' did not pass");
    } else {
      auto started = std::chrono::steady_clock::now();
      try {
        entry.result = check->run(ctx);
      } catch (const std::exception& e) {
        entry.result = CheckResult::fail(std::string("the check itself failed: ") + e.what(), "report this as a bug");
      }
      entry.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    done[entry.check] = entry.result.status;
    if (on_done) on_done(entry);
    report.entries.push_back(std::move(entry));
  }
  return report;
}

void export_metrics(const Report& report) {
  auto& reg = metrics::registry();
  auto& status = reg.gauge("parley_diagnose_check_status",
                           "Result of each diagnose check: 0 pass, 1 warn, 2 fail, 3 skip", {"check"});
  auto& ok = reg.gauge("parley_diagnose_check_ok", "1 when the diagnose check passed or warned, else 0", {"check"});
  for (const auto& e : report.entries) {
    status.with({e.check}).set(double(int(e.result.status)));
    ok.with({e.check}).set(e.result.status == Status::kPass || e.result.status == Status::kWarn ? 1 : 0);
  }
  reg.gauge("parley_diagnose_healthy", "1 when no diagnose check failed").get().set(report.ok() ? 1 : 0);
  reg.gauge("parley_diagnose_last_run_timestamp_seconds", "When the last diagnose round finished")
      .get()
      .set(double(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()));
  reg.counter("parley_diagnose_runs_total", "Diagnose rounds run").get().inc();
}

}  // namespace parley::diagnose
