// archbench plugin SDK — header-only C++ on top of plugin_abi.h.
//
// A plugin author derives from archbench::sdk::Variant, declares the parameter
// schema in the constructor, implements describe / reference / create, and ends
// the plugin's source with ARCHBENCH_PLUGIN("name", "version", MyVariant, ...).
// The SDK fills the C tables, negotiates the ABI version and turns C++
// exceptions into status codes so nothing but C crosses the boundary.
#pragma once

#include <archbench/contracts/sublayer.h>
#include <archbench/extras/figures.h>
#include <archbench/extras/parameters.h>
#include <archbench/plugin_abi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace archbench::sdk {

// ---- dtype helpers ---------------------------------------------------------

inline size_t dtype_size(ab_dtype dtype) {
  return dtype == AB_DTYPE_F32 || dtype == AB_DTYPE_I32 ? 4 : 2;
}

// bf16 is the top half of an f32; round-to-nearest-even on the way down.
inline uint16_t f32_to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40u);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}
inline float bf16_to_f32(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// IEEE half precision, through the compiler's _Float16 (round to nearest even).
inline uint16_t f32_to_f16(float value) {
  const _Float16 half = static_cast<_Float16>(value);
  uint16_t bits;
  std::memcpy(&bits, &half, 2);
  return bits;
}
inline float f16_to_f32(uint16_t bits) {
  _Float16 half;
  std::memcpy(&half, &bits, 2);
  return static_cast<float>(half);
}

// One element of a tensor of any dtype, as the backend sees it.
inline double element_as_double(const void* data, ab_dtype dtype, int64_t index) {
  switch (dtype) {
    case AB_DTYPE_F32: return static_cast<const float*>(data)[index];
    case AB_DTYPE_BF16: return bf16_to_f32(static_cast<const uint16_t*>(data)[index]);
    case AB_DTYPE_F16: return f16_to_f32(static_cast<const uint16_t*>(data)[index]);
    case AB_DTYPE_I32: return static_cast<const int32_t*>(data)[index];
  }
  return 0;
}

// ---- errors a variant may throw ---------------------------------------------

// The problem is valid but this backend/dtype has no implementation: recorded, not failed.
struct Unimplemented : std::runtime_error { using std::runtime_error::runtime_error; };
// The problem violates the schema or a cross-check.
struct InvalidProblem : std::runtime_error { using std::runtime_error::runtime_error; };

// ---- parameter schema -------------------------------------------------------

class Schema {
 public:
  void add_int(const char* name, const char* key, int64_t def, int64_t lo, int64_t hi,
               const char* description) {
    add(name, key, AB_PARAM_INT, double(def), double(lo), double(hi), nullptr, description, 0);
  }
  void add_float(const char* name, const char* key, double def, double lo, double hi,
                 const char* description) {
    add(name, key, AB_PARAM_FLOAT, def, lo, hi, nullptr, description, 0);
  }
  // `choices` is "a|b|c"; `bare` enums print as just the value in problem strings.
  void add_enum(const char* name, const char* key, const char* choices, int def,
                const char* description, bool bare = false) {
    int count = 1;
    for (const char* c = choices; *c; ++c) count += *c == '|';
    add(name, key, AB_PARAM_ENUM, def, 0, count - 1, choices, description,
        bare ? AB_PARAM_FLAG_BARE : 0);
  }
  // Marks parameters as design choices (AB_PARAM_FLAG_DESIGN), e.g. kv_heads.
  void mark_design(std::initializer_list<const char*> names) { mark(names, AB_PARAM_FLAG_DESIGN); }
  // Marks parameters added after problems of the variant were recorded
  // (AB_PARAM_FLAG_QUIET_DEFAULT): printed and stored only when not at their default.
  void mark_quiet_default(std::initializer_list<const char*> names) { mark(names, AB_PARAM_FLAG_QUIET_DEFAULT); }
  // Workload roles (AB_PARAM_FLAG_MODE ...): a sequence mixer's prefill|decode enum,
  // batch and context; a position-free kind's token rows. Whole-model estimates
  // set them; a variant without them is left out of those, and says so.
  void mark_sequence_workload(const char* mode, const char* batch, const char* context) {
    mark({mode}, AB_PARAM_FLAG_MODE);
    mark({batch}, AB_PARAM_FLAG_BATCH);
    mark({context}, AB_PARAM_FLAG_CONTEXT);
  }
  // A sequence mixer's workload, the same names, keys, defaults and ranges for
  // every such variant (attention/gqa's), so a problem string's workload part
  // means the same thing for all of them, with the roles marked: "mode"
  // (prefill|decode, bare), "batch" (b) and "seq" (s). The descriptions say what
  // the mode and the tokens mean for this variant.
  void add_sequence_workload(const char* mode_description, const char* seq_description) {
    add_enum("mode", "mode", "prefill|decode", 0, mode_description, true);
    add_int("batch", "b", 1, 1, 4096, "sequences processed together");
    add_int("seq", "s", 512, 1, 1 << 21, seq_description);
    mark_sequence_workload("mode", "batch", "seq");
  }
  void mark_rows_workload(const char* rows) { mark({rows}, AB_PARAM_FLAG_ROWS); }
  // Counts the host may divide to fit a problem into memory (AB_PARAM_FLAG_REDUCIBLE).
  void mark_reducible(std::initializer_list<const char*> names) { mark(names, AB_PARAM_FLAG_REDUCIBLE); }
  int index_of(const char* name) const {
    for (size_t i = 0; i < specs_.size(); ++i)
      if (std::strcmp(specs_[i].name, name) == 0) return int(i);
    return -1;
  }
  const std::vector<ab_param_spec>& specs() const { return specs_; }

 private:
  void mark(std::initializer_list<const char*> names, uint32_t flag) {
    for (const char* name : names) {
      const int index = index_of(name);
      if (index < 0) throw std::logic_error(std::string("no parameter named ") + name);
      specs_[size_t(index)].flags |= flag;
    }
  }
  void add(const char* name, const char* key, ab_param_type type, double def, double lo,
           double hi, const char* choices, const char* description, uint32_t flags) {
    ab_param_spec spec{};
    spec.struct_size = sizeof(ab_param_spec);
    spec.name = name;
    spec.key = key;
    spec.type = type;
    spec.default_value = def;
    spec.min_value = lo;
    spec.max_value = hi;
    spec.choices = choices;
    spec.description = description;
    spec.flags = flags;
    specs_.push_back(spec);
  }
  std::vector<ab_param_spec> specs_;
};

// Named, typed access to a problem's values.
class Problem {
 public:
  Problem(const ab_problem& raw, const Schema& schema) : raw_(raw), schema_(schema) {}
  int64_t integer(const char* name) const { return int64_t(std::llround(value(name))); }
  double real(const char* name) const { return value(name); }
  int choice(const char* name) const { return int(value(name)); }
  // The parameter's position in the schema (and in raw().values).
  size_t index_of(const char* name) const {
    const int index = schema_.index_of(name);
    if (index < 0) throw std::logic_error(std::string("no parameter named ") + name);
    return size_t(index);
  }
  bool flag(const char* name) const { return value(name) != 0; }
  // Whether the schema has this parameter (variants of one class may differ).
  bool has(const char* name) const { return schema_.index_of(name) >= 0; }
  ab_dtype dtype() const { return raw_.dtype; }
  uint64_t seed() const { return raw_.seed; }
  const ab_problem& raw() const { return raw_; }

 private:
  double value(const char* name) const {
    int index = schema_.index_of(name);
    if (index < 0 || uint32_t(index) >= raw_.value_count)
      throw std::logic_error(std::string("no parameter named ") + name);
    return raw_.values[index];
  }
  const ab_problem& raw_;
  const Schema& schema_;
};

// ---- problem description ----------------------------------------------------

// A fill policy for a tensor the host fills (see ab_fill in plugin_abi.h).
struct Fill {
  ab_fill policy = AB_FILL_UNIFORM;
  double a = -1.0, b = 1.0;
  static Fill uniform(double low, double high) { return {AB_FILL_UNIFORM, low, high}; }
  static Fill normal(double mean, double stddev) { return {AB_FILL_NORMAL, mean, stddev}; }
  static Fill constant(double value) { return {AB_FILL_CONSTANT, value, value}; }
  // Decays and rates kept in (0, 1): exp(uniform[ln low, ln high]).
  static Fill log_uniform(double low, double high) { return {AB_FILL_LOG_UNIFORM, low, high}; }
  static Fill integers(int64_t low, int64_t high) { return {AB_FILL_INTEGERS, double(low), double(high)}; }
  // Each row: distinct integers from [0, range) (range 0: a permutation of the row).
  static Fill permutation(int64_t range = 0) { return {AB_FILL_PERMUTATION, double(range), 0.0}; }
};

// One declared tensor; chain the policies: info.tensor(...).fill(Fill::normal(0, 1)).
class TensorDecl {
 public:
  explicit TensorDecl(ab_tensor_desc& desc) : desc_(desc) {}
  TensorDecl& fill(const Fill& f) {
    desc_.fill = f.policy;
    desc_.init_low = f.a;
    desc_.init_high = f.b;
    return *this;
  }
  // Outputs: integers or masks that must equal the reference.
  TensorDecl& exact() { desc_.compare = AB_COMPARE_EXACT; return *this; }
  // Outputs: top-k selections, each row a set; `scores` names the tensor the
  // selection ranks (ties within the host's tolerance may go either way), or
  // nullptr to require the reference's set exactly.
  TensorDecl& index_set(const char* scores = nullptr) {
    desc_.compare = AB_COMPARE_INDEX_SET;
    if (scores) std::strncpy(desc_.scores, scores, sizeof(desc_.scores) - 1);
    return *this;
  }
  // Outputs that are scratch, not results.
  TensorDecl& unchecked() { desc_.compare = AB_COMPARE_UNCHECKED; return *this; }

 private:
  ab_tensor_desc& desc_;
};

class Info {
 public:
  explicit Info(ab_problem_info& raw) : raw_(raw) {}
  // Declare a tensor; the host allocates it and (for non-outputs) fills it from
  // the problem seed: uniformly in [low, high] unless .fill() names another policy.
  TensorDecl tensor(const char* name, ab_tensor_role role, ab_dtype dtype,
                    std::initializer_list<int64_t> dims, double low = -1.0, double high = 1.0) {
    if (raw_.tensor_count >= AB_MAX_TENSORS) throw std::logic_error("too many tensors");
    if (dims.size() > AB_MAX_RANK) throw std::logic_error("rank too high");
    if (std::strlen(name) >= sizeof(ab_tensor_desc::name)) throw std::logic_error("tensor name too long");
    ab_tensor_desc& t = raw_.tensors[raw_.tensor_count++];
    t = ab_tensor_desc{};
    t.struct_size = sizeof(ab_tensor_desc);
    std::strncpy(t.name, name, sizeof(t.name) - 1);
    t.role = role;
    t.dtype = dtype;
    t.rank = uint32_t(dims.size());
    int i = 0;
    for (int64_t d : dims) t.dims[i++] = d;
    t.init_low = low;
    t.init_high = high;
    t.fill = AB_FILL_UNIFORM;
    t.compare = AB_COMPARE_NUMERIC;
    return TensorDecl(t);
  }
  // Declares a copy of another problem's tensor under a new name (composites
  // that join their parts' tensors); the policies come with it.
  ab_tensor_desc& copy(const ab_tensor_desc& from, const std::string& name) {
    if (raw_.tensor_count >= AB_MAX_TENSORS) throw std::logic_error("too many tensors");
    if (name.size() >= sizeof(ab_tensor_desc::name)) throw std::logic_error("tensor name too long: " + name);
    ab_tensor_desc& t = raw_.tensors[raw_.tensor_count++];
    t = from;
    std::memset(t.name, 0, sizeof t.name);
    std::memcpy(t.name, name.data(), name.size());
    return t;
  }
  void flops(double v) { raw_.flops = v; }
  void bytes(double v) { raw_.bytes = v; }
  void tokens(double v) { raw_.tokens = v; }
  void kv_cache_bytes_per_token(double v) { raw_.kv_cache_bytes_per_token = v; }
  const ab_problem_info& raw() const { return raw_; }

 private:
  ab_problem_info& raw_;
};

// ---- bound tensors ------------------------------------------------------------

inline int64_t element_count(const ab_tensor_desc& desc) {
  int64_t n = 1;
  for (uint32_t i = 0; i < desc.rank; ++i) n *= desc.dims[i];
  return n;
}

class Tensors {
 public:
  Tensors(const ab_tensor* tensors, uint32_t count) : tensors_(tensors), count_(count) {}
  const ab_tensor& operator[](const char* name) const {
    for (uint32_t i = 0; i < count_; ++i)
      if (std::strcmp(tensors_[i].desc->name, name) == 0) return tensors_[i];
    throw std::logic_error(std::string("no tensor named ") + name);
  }
  // Whole tensor as doubles (exactly the values the backend sees, bf16 included).
  std::vector<double> as_doubles(const char* name) const {
    const ab_tensor& t = (*this)[name];
    std::vector<double> out(size_t(element_count(*t.desc)));
    for (size_t i = 0; i < out.size(); ++i) out[i] = element_as_double(t.data, t.desc->dtype, int64_t(i));
    return out;
  }
  uint32_t count() const { return count_; }
  const ab_tensor* raw() const { return tensors_; }

 private:
  const ab_tensor* tensors_;
  uint32_t count_;
};

// Reference outputs, one double array per OUTPUT tensor, addressed by name.
class Outputs {
 public:
  Outputs(const Tensors& tensors, double* const* arrays) : tensors_(tensors), arrays_(arrays) {}
  double* operator[](const char* name) const {
    uint32_t output_index = 0;
    for (uint32_t i = 0; i < tensors_.count(); ++i) {
      const ab_tensor_desc& d = *tensors_.raw()[i].desc;
      if (d.role != AB_TENSOR_OUTPUT) continue;
      if (std::strcmp(d.name, name) == 0) return arrays_[output_index];
      ++output_index;
    }
    throw std::logic_error(std::string("no output named ") + name);
  }

 private:
  const Tensors& tensors_;
  double* const* arrays_;
};

// A problem's weights and the part each token uses (extra "parameters/1",
// archbench/extras/parameters.h).
struct ParameterCount {
  double total = 0, active = 0;
};

// Named per-result figures (extra "figures/1", archbench/extras/figures.h).
class Figures {
 public:
  void add(const char* name, double value) { list_.push_back({name, value}); }
  const std::vector<std::pair<std::string, double>>& list() const { return list_; }

 private:
  std::vector<std::pair<std::string, double>> list_;
};

// ---- the C boundary ------------------------------------------------------------

inline void write_error(char* out, size_t size, const char* message) {
  if (out && size) {
    std::strncpy(out, message, size - 1);
    out[size - 1] = '\0';
  }
}

// Runs `body`, turning every exception into a status (and `error`, when given):
// no exception may cross the C boundary. Every SDK thunk goes through it.
template <class Body>
ab_status guarded(char* error, size_t error_size, Body&& body) {
  try {
    body();
    return AB_OK;
  } catch (const Unimplemented& e) {
    write_error(error, error_size, e.what());
    return AB_ERR_UNIMPLEMENTED;
  } catch (const InvalidProblem& e) {
    write_error(error, error_size, e.what());
    return AB_ERR_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    write_error(error, error_size, "out of memory");
    return AB_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    write_error(error, error_size, e.what());
    return AB_ERR_BACKEND;
  } catch (...) {
    write_error(error, error_size, "unknown exception");
    return AB_ERR_INTERNAL;
  }
}

// ---- variants and instances ----------------------------------------------------

// A problem bound to one backend. CPU instances compute in execute(); Vulkan
// instances record their dispatches into the host's command buffer (the host
// submits and times it; see sdk_vulkan.hpp).
class Instance {
 public:
  virtual ~Instance() = default;
  virtual void execute() { throw std::logic_error("this instance runs through record()"); }
  virtual void record(void* /*VkCommandBuffer*/) {
    throw std::logic_error("this instance runs through execute()");
  }
};

class Variant {
 public:
  Variant(const char* name, const char* kind, const char* description)
      : name_(name), kind_(kind), description_(description) {}
  virtual ~Variant() = default;

  // Cross-field checks beyond ranges; return "" when valid, else the reason.
  virtual std::string validate(const Problem&) const { return {}; }
  virtual void describe(const Problem& problem, Info& info) const = 0;
  virtual void reference(const Problem& problem, const Tensors& tensors,
                         const Outputs& outputs) const = 0;
  // Per-result figures on the inputs the tensors hold (offered to the host by
  // provides_figures(); see archbench/extras/figures.h).
  virtual void figures(const Problem&, const Tensors&, Figures&) const {}
  // The weights and the active part of them (offered by provides_parameters();
  // without it the host counts the weight tensors and takes all as active).
  virtual ParameterCount parameters(const Problem&) const { return {}; }
  // One hook per backend (throw Unimplemented for a dtype or option a backend
  // cannot run). create_vulkan is only called where the plugin was built with
  // its Vulkan sources, so plugins keep no #ifdef of their own.
  virtual std::unique_ptr<Instance> create_cpu(const Problem&, const ab_host&, const Tensors&) const {
    throw Unimplemented(std::string(name_) + " has no cpu implementation");
  }
  virtual std::unique_ptr<Instance> create_vulkan(const Problem&, const ab_host&, const Tensors&) const {
    throw Unimplemented(std::string(name_) + " has no vulkan implementation");
  }
  // The dispatch to the hooks above; override only to route backends differently.
  virtual std::unique_ptr<Instance> create(const Problem& problem, ab_backend backend,
                                           const ab_host& host, const Tensors& tensors) const {
    if (backend == AB_BACKEND_CPU) return create_cpu(problem, host, tensors);
#ifdef ARCHBENCH_PLUGIN_VULKAN
    if (backend == AB_BACKEND_VULKAN) return create_vulkan(problem, host, tensors);
#endif
    throw Unimplemented(std::string(name_) + ": this build has no implementation for that backend");
  }

  const char* name() const { return name_; }
  const Schema& params() const { return schema_; }

  const ab_variant* table() {
    table_ = ab_variant{};
    table_.struct_size = sizeof(ab_variant);
    table_.name = name_;
    table_.kind = kind_;
    table_.description = description_;
    table_.params = schema_.specs().data();
    table_.param_count = uint32_t(schema_.specs().size());
    table_.backends = backends_;
    table_.dtypes = dtypes_;
    table_.context = this;
    table_.validate = &validate_thunk;
    table_.describe = &describe_thunk;
    table_.reference = &reference_thunk;
    table_.create = &create_thunk;
    table_.execute = &execute_thunk;
    table_.destroy = &destroy_thunk;
    table_.record = &record_thunk;
    table_.contracts = contracts_.c_str();
    table_.get_proc_address = &get_proc_address_thunk;
    return &table_;
  }

 protected:
  Schema& schema() { return schema_; }
  // The CPU, plus Vulkan where this plugin was built with its Vulkan sources
  // (archbench_add_plugin's VULKAN_SOURCES define ARCHBENCH_PLUGIN_VULKAN).
  void cpu_and_vulkan_if_built() {
#ifdef ARCHBENCH_PLUGIN_VULKAN
    backends({AB_BACKEND_CPU, AB_BACKEND_VULKAN});
#else
    backends({AB_BACKEND_CPU});
#endif
  }
  void backends(std::initializer_list<ab_backend> list) {
    backends_ = 0;
    for (ab_backend b : list) backends_ |= AB_BACKEND_BIT(b);
  }
  void dtypes(std::initializer_list<ab_dtype> list) {
    dtypes_ = 0;
    for (ab_dtype d : list) dtypes_ |= AB_DTYPE_BIT(d);
  }
  // Declares that this variant implements `contract` ("mixer.qkv/1") through
  // `adapter` (that contract's C table, which must outlive the variant).
  void implement(const char* contract, const void* adapter) {
    if (!contracts_.empty()) contracts_ += ' ';
    contracts_ += contract;
    extra(contract, adapter);
  }
  // An extra looked up by name through get_proc_address.
  void extra(const char* name, const void* pointer) { extras_.push_back({name, pointer}); }
  // Implements contract "sublayer/1" (contracts/sublayer.h): the tensors named
  // `x` and `y` in describe() are the hidden stream in and out. A problem whose
  // describe() has no such pair (a core-level problem) answers UNIMPLEMENTED.
  // The names must outlive the variant (string literals).
  void implements_sublayer(const char* x = "x", const char* y = "y") {
    sublayer_x_ = x;
    sublayer_y_ = y;
    implement(AB_CONTRACT_SUBLAYER, &sublayer_table_);
  }
  // Offers figures() to the host (extra "figures/1"); call in the constructor.
  void provides_figures() { extra(AB_EXTRA_FIGURES, &figures_table_); }
  // Offers parameters() to the host (extra "parameters/1"); call in the constructor.
  void provides_parameters() { extra(AB_EXTRA_PARAMETERS, &parameters_table_); }


 private:
  static Variant& self(void* context) { return *static_cast<Variant*>(context); }
  static ab_status validate_thunk(void* context, const ab_problem* problem, char* error,
                                  size_t error_size) {
    return guarded(error, error_size, [&] {
      std::string reason = self(context).validate(Problem(*problem, self(context).schema_));
      if (!reason.empty()) throw InvalidProblem(reason);
    });
  }
  static ab_status describe_thunk(void* context, const ab_problem* problem, ab_problem_info* info) {
    return guarded(nullptr, 0, [&] {
      *info = ab_problem_info{};
      info->struct_size = sizeof(ab_problem_info);
      Info builder(*info);
      self(context).describe(Problem(*problem, self(context).schema_), builder);
    });
  }
  static ab_status reference_thunk(void* context, const ab_problem* problem,
                                   const ab_tensor* tensors, uint32_t count,
                                   double* const* outputs) {
    return guarded(nullptr, 0, [&] {
      Tensors bound(tensors, count);
      self(context).reference(Problem(*problem, self(context).schema_), bound,
                              Outputs(bound, outputs));
    });
  }
  static ab_status create_thunk(void* context, const ab_problem* problem, ab_backend backend,
                                const ab_host* host, const ab_tensor* tensors, uint32_t count,
                                ab_instance** instance, char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
      auto made = self(context).create(Problem(*problem, self(context).schema_), backend, *host,
                                       Tensors(tensors, count));
      *instance = reinterpret_cast<ab_instance*>(made.release());
    });
  }
  static ab_status execute_thunk(ab_instance* instance) {
    return guarded(nullptr, 0, [&] { reinterpret_cast<Instance*>(instance)->execute(); });
  }
  static ab_status record_thunk(ab_instance* instance, void* command_buffer) {
    return guarded(nullptr, 0,
                   [&] { reinterpret_cast<Instance*>(instance)->record(command_buffer); });
  }
  static void destroy_thunk(ab_instance* instance) { delete reinterpret_cast<Instance*>(instance); }
  static ab_status figures_thunk(void* context, const ab_problem* problem, const ab_tensor* tensors, uint32_t count,
                                 ab_figure* out, uint32_t capacity, uint32_t* written) {
    *written = 0;
    return guarded(nullptr, 0, [&] {
      Figures list;
      self(context).figures(Problem(*problem, self(context).schema_), Tensors(tensors, count), list);
      for (const auto& [name, value] : list.list()) {
        if (*written == capacity || name.size() >= sizeof(out->name)) throw std::logic_error("figure list too long");
        ab_figure& f = out[(*written)++];
        std::memset(f.name, 0, sizeof f.name);
        std::memcpy(f.name, name.data(), name.size());
        f.value = value;
      }
    });
  }
  static constexpr ab_figures figures_table_{sizeof(ab_figures), &figures_thunk};
  static ab_status parameters_thunk(void* context, const ab_problem* problem, double* total, double* active) {
    return guarded(nullptr, 0, [&] {
      const ParameterCount count = self(context).parameters(Problem(*problem, self(context).schema_));
      *total = count.total;
      *active = count.active;
    });
  }
  static constexpr ab_parameters parameters_table_{sizeof(ab_parameters), &parameters_thunk};
  static ab_status sublayer_thunk(void* context, const ab_problem* problem, uint32_t* x_index, uint32_t* y_index,
                                  char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
      Variant& v = self(context);
      ab_problem_info raw{};
      raw.struct_size = sizeof raw;
      Info builder(raw);
      v.describe(Problem(*problem, v.schema_), builder);
      int x = -1, y = -1;
      for (uint32_t i = 0; i < raw.tensor_count; ++i) {
        if (std::strcmp(raw.tensors[i].name, v.sublayer_x_) == 0) x = int(i);
        if (std::strcmp(raw.tensors[i].name, v.sublayer_y_) == 0) y = int(i);
      }
      if (x < 0 || y < 0)
        throw Unimplemented(std::string(v.name_) + ": this problem has no hidden stream (" + v.sublayer_x_ + " -> " +
                            v.sublayer_y_ + "); give it a d_model");
      *x_index = uint32_t(x);
      *y_index = uint32_t(y);
    });
  }
  static constexpr ab_sublayer sublayer_table_{sizeof(ab_sublayer), &sublayer_thunk};
  static const void* get_proc_address_thunk(void* context, const char* name) {
    if (!name) return nullptr;
    for (const auto& [key, pointer] : self(context).extras_)
      if (key == name) return pointer;
    return nullptr;
  }

  const char* name_;
  const char* kind_;
  const char* description_;
  Schema schema_;
  uint32_t backends_ = AB_BACKEND_BIT(AB_BACKEND_CPU);
  uint32_t dtypes_ = AB_DTYPE_BIT(AB_DTYPE_F32);
  std::string contracts_;
  const char* sublayer_x_ = "x";
  const char* sublayer_y_ = "y";
  std::vector<std::pair<std::string, const void*>> extras_;
  ab_variant table_{};
};

// ---- plugin entry -----------------------------------------------------------------

// Picks the newest ABI both sides speak; fills `info` with the variant tables.
template <class... Variants>
ab_status plugin_entry(const char* name, const char* version, const ab_host* host,
                       ab_plugin_info* info) {
  if (!host || !info || host->struct_size < offsetof(ab_host, context) ||
      info->struct_size < sizeof(ab_plugin_info))
    return AB_ERR_INVALID_ARGUMENT;
  info->abi_min = AB_ABI_VERSION_MIN;
  info->abi_max = AB_ABI_VERSION_MAX;
  info->name = name;
  info->version = version;
  uint32_t newest = host->abi_max < AB_ABI_VERSION_MAX ? host->abi_max : AB_ABI_VERSION_MAX;
  uint32_t oldest = host->abi_min > AB_ABI_VERSION_MIN ? host->abi_min : AB_ABI_VERSION_MIN;
  if (newest < oldest) return AB_ERR_INCOMPATIBLE_ABI;
  info->abi_version = newest;
  try {
    // Built once and never freed: the host keeps plugins loaded for the whole process.
    static const std::vector<const ab_variant*> tables = [] {
      std::vector<const ab_variant*> out;
      (out.push_back((new Variants())->table()), ...);
      return out;
    }();
    info->variants = tables.data();
    info->variant_count = uint32_t(tables.size());
    return AB_OK;
  } catch (...) {
    return AB_ERR_INTERNAL;
  }
}

}  // namespace archbench::sdk

// Defines the plugin's one exported entry symbol. Use once per plugin library:
//   ARCHBENCH_PLUGIN("ffn", "0.1.0", SwiGLU, GeGLU, GeluMlp)
#define ARCHBENCH_PLUGIN(plugin_name, plugin_version, ...)                                 \
  extern "C" __attribute__((visibility("default"))) ab_status archbench_plugin_entry(     \
      const ab_host* host, ab_plugin_info* info) {                                        \
    return ::archbench::sdk::plugin_entry<__VA_ARGS__>(plugin_name, plugin_version, host, \
                                                       info);                             \
  }

// Declares a variant's backend hooks in its class: create_cpu, and create_vulkan
// where the plugin is built with its Vulkan sources (archbench_add_plugin's
// VULKAN_SOURCES), so that vulkan.cpp, which defines it, is only needed there.
#define ARCHBENCH_CPU_HOOK                                                                   \
  std::unique_ptr<::archbench::sdk::Instance> create_cpu(                                  \
      const ::archbench::sdk::Problem& problem, const ab_host& host,                       \
      const ::archbench::sdk::Tensors& tensors) const override;
#ifdef ARCHBENCH_PLUGIN_VULKAN
#define ARCHBENCH_BACKEND_HOOKS                                                              \
  ARCHBENCH_CPU_HOOK                                                                         \
  std::unique_ptr<::archbench::sdk::Instance> create_vulkan(                               \
      const ::archbench::sdk::Problem& problem, const ab_host& host,                       \
      const ::archbench::sdk::Tensors& tensors) const override;
#else
#define ARCHBENCH_BACKEND_HOOKS ARCHBENCH_CPU_HOOK
#endif
