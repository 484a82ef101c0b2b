// Metrics registry with Prometheus text exposition (version 0.0.4).
//
// Families are registered once by name (registering the same name again returns the same
// family) and hand out children per label values. Children have stable addresses: look one
// up once and keep the reference on hot paths. Updates are lock-free atomics; rendering and
// lookup take a mutex. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace parley::metrics {

class Counter {
 public:
  void inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf; plus sum and count.
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound plus +Inf
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Default latency buckets in seconds: 5 ms .. 10 s.
std::vector<double> latency_buckets();

enum class Type { kCounter, kGauge, kHistogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, Type type)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), type_(type) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  virtual void render(std::string& out) const = 0;

 protected:
  std::string label_text(const std::vector<std::string>& values, std::string_view extra = {}) const;
  std::string name_, help_;
  std::vector<std::string> label_names_;
  Type type_;
  mutable std::mutex mutex_;
};

template <class M>
class Family : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  // The child for these label values (one per label name, in order); created on first use.
  M& with(const std::vector<std::string>& label_values);
  M& get() { return with({}); }
  void render(std::string& out) const override;
  void set_bounds(std::vector<double> b) { bounds_ = std::move(b); }

 private:
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
  std::vector<double> bounds_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<std::string> labels = {},
                             std::vector<double> bounds = latency_buckets());
  // Prometheus text exposition of every family, in name order.
  std::string render() const;

 private:
  template <class F>
  F& family(const std::string& name, const std::string& help, std::vector<std::string> labels, Type type);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
};

// The process-wide registry that /metrics serves.
Registry& registry();

// Escapes a label value per the exposition format (backslash, quote, newline).
std::string escape_label_value(std::string_view v);

}  // namespace parley::metrics
