#include "core/metrics.h"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

namespace parley::metrics {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return fmt::format("{}", v);  // shortest text that reads back as the same double
}

const char* type_name(Type t) {
  switch (t) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FamilyBase::label_text(const std::vector<std::string>& values, std::string_view extra) const {
  if (values.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += label_names_[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!values.empty()) out += ',';
    out += extra;
  }
  return out + "}";
}

template <class M>
M& Family<M>::with(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    throw std::logic_error("metric " + name_ + " takes " + std::to_string(label_names_.size()) + " labels");
  }
  std::lock_guard lock(mutex_);
  auto& slot = children_[label_values];
  if (!slot) {
    if constexpr (std::is_same_v<M, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<M>();
    }
  }
  return *slot;
}

template <class M>
void Family<M>::render(std::string& out) const {
  out += "# HELP " + name_ + " " + help_ + "\n";
  out += "# TYPE " + name_ + " " + type_name(type_) + "\n";
  std::lock_guard lock(mutex_);
  for (const auto& [labels, child] : children_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      auto counts = child->cumulative_counts();
      const auto& b = child->bounds();
      for (size_t i = 0; i <= b.size(); ++i) {
        std::string le = "le=\"" + (i < b.size() ? number(b[i]) : std::string("+Inf")) + "\"";
        out += name_ + "_bucket" + label_text(labels, le) + " " + std::to_string(counts[i]) + "\n";
      }
      out += name_ + "_sum" + label_text(labels) + " " + number(child->sum()) + "\n";
      out += name_ + "_count" + label_text(labels) + " " + std::to_string(child->count()) + "\n";
    } else {
      out += name_ + label_text(labels) + " " + number(child->value()) + "\n";
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <class F>
F& Registry::family(const std::string& name, const std::string& help, std::vector<std::string> labels, Type type) {
  std::lock_guard lock(mutex_);
  auto& slot = families_[name];
  if (!slot) {
    slot = std::make_unique<F>(name, help, std::move(labels), type);
  } else if (slot->type() != type) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  return static_cast<F&>(*slot);
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  return family<CounterFamily>(name, help, std::move(labels), Type::kCounter);
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  return family<GaugeFamily>(name, help, std::move(labels), Type::kGauge);
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = families_[name];
  if (!slot) {
    auto f = std::make_unique<HistogramFamily>(name, help, std::move(labels), Type::kHistogram);
    f->set_bounds(std::move(bounds));
    slot = std::move(f);
  } else if (slot->type() != Type::kHistogram) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  return static_cast<HistogramFamily&>(*slot);
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, fam] : families_) fam->render(out);
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace parley::metrics
