#include "registry/toml_reader.hpp"

#include <algorithm>
#include <limits>

namespace pws::registry::detail {

namespace {

std::string_view type_name(toml::node_type type) noexcept {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "an unknown value";
}

}  // namespace

std::string type_mismatch(const toml::node& node, std::string_view expected) {
  std::string message = "expected ";
  message += expected;
  message += ", got ";
  message += type_name(node.type());
  return message;
}

// ---- Diagnostics ----

void Diagnostics::add(std::uint32_t line, std::string_view field, std::string_view message) {
  std::string text = source_name_;
  if (line != 0) text += ':' + std::to_string(line);
  text += ": ";
  if (!field.empty()) {
    text += field;
    text += ": ";
  }
  text += message;
  entries_.push_back({line, std::move(text)});
}

std::string Diagnostics::text() const {
  // Keys are checked table by table (and toml++ tables are sorted by key), so
  // sort to show the problems in the order a reader of the file meets them.
  std::vector<const Entry*> sorted;
  for (const auto& e : entries_) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry* a, const Entry* b) { return a->line < b->line; });
  std::string out;
  for (const Entry* e : sorted) {
    if (!out.empty()) out += '\n';
    out += e->text;
  }
  return out;
}

// ---- IntRange ----

std::string IntRange::describe() const {
  std::string text = unlimited ? "must be -1 (unlimited) or " : "must be ";
  if (max == std::numeric_limits<std::int64_t>::max())
    text += "at least " + std::to_string(min);
  else
    text += "between " + std::to_string(min) + " and " + std::to_string(max);
  return text;
}

// ---- TableReader ----

std::string TableReader::field(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  std::string f = path_;
  f += '.';
  f += key;
  return f;
}

const toml::node* TableReader::get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return table_.get(key);
}

bool TableReader::read(std::string_view key, std::string& out) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* v = node->as_string();
  if (!v) {
    report_type(*node, field(key), "a string");
    return false;
  }
  out = v->get();
  return true;
}

bool TableReader::read(std::string_view key, bool& out) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* v = node->as_boolean();
  if (!v) {
    report_type(*node, field(key), "a boolean");
    return false;
  }
  out = v->get();
  return true;
}

bool TableReader::read(std::string_view key, std::int64_t& out, IntRange range) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* v = node->as_integer();
  if (!v) {
    report_type(*node, field(key), "an integer");
    return false;
  }
  const std::int64_t n = v->get();
  if (!range.contains(n)) {
    diagnostics_.add(*node, field(key), range.describe() + ", got " + std::to_string(n));
    return false;
  }
  out = n;
  return true;
}

bool TableReader::read(std::string_view key, int& out, IntRange range) {
  // The range is what keeps the narrowing below safe.
  if (range.min < std::numeric_limits<int>::min() || range.max > std::numeric_limits<int>::max())
    range = {std::max<std::int64_t>(range.min, std::numeric_limits<int>::min()),
             std::min<std::int64_t>(range.max, std::numeric_limits<int>::max()), range.unlimited};
  std::int64_t n = 0;
  if (!read(key, n, range)) return false;
  out = static_cast<int>(n);
  return true;
}

bool TableReader::read(std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* array = node->as_array();
  if (!array) {
    report_type(*node, field(key), "an array of strings");
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (const auto* s = element.as_string()) {
      values.push_back(s->get());
    } else {
      report_type(element, field(key) + '[' + std::to_string(i) + ']', "a string");
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

const toml::table* TableReader::read_table(std::string_view key) {
  const toml::node* node = get(key);
  if (!node) return nullptr;
  const auto* table = node->as_table();
  if (!table) report_type(*node, field(key), "a table");
  return table;
}

void TableReader::report_missing(std::string_view key) {
  diagnostics_.add(line(), field(key), "missing " + std::string(key));
}

void TableReader::report_type(const toml::node& node, std::string_view field, std::string_view expected) {
  diagnostics_.add(node, field, type_mismatch(node, expected));
}

void TableReader::report_unknown_keys() {
  for (auto&& [key, node] : table_) {
    if (std::find(known_.begin(), known_.end(), key.str()) == known_.end())
      diagnostics_.add(node, field(key.str()), "unknown key");
  }
}

}  // namespace pws::registry::detail
