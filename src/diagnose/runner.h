// Runs checks in order, skipping those whose dependencies did not pass, and renders the report
// as text, JSON and Prometheus metrics.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diagnose/check.h"

namespace parley::diagnose {

struct ReportEntry {
  std::string check, title;
  CheckResult result;
  double seconds = 0;
};

struct Report {
  std::vector<ReportEntry> entries;
  bool ok() const;  // nothing failed
  int count(Status s) const;
  nlohmann::ordered_json to_json() const;
  std::string to_text() const;
};

class Runner {
 public:
  explicit Runner(std::vector<std::unique_ptr<Check>> checks) : checks_(std::move(checks)) {}
  // on_start / on_done are called around each check (progress output).
  Report run(Context& ctx, const std::function<void(const Check&)>& on_start = {},
             const std::function<void(const ReportEntry&)>& on_done = {});

 private:
  std::vector<std::unique_ptr<Check>> checks_;
};

// One text line for an entry: "FAIL  api_key  API key known ...: detail\n      fix: ...".
std::string format_entry(const ReportEntry& e);

// Updates parley_diagnose_check_status{check} (0 pass, 1 warn, 2 fail, 3 skip),
// parley_diagnose_check_ok{check}, parley_diagnose_last_run_timestamp_seconds and
// parley_diagnose_runs_total in the process registry.
void export_metrics(const Report& report);

}  // namespace parley::diagnose
