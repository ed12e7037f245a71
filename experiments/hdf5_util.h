#pragma once
// Thin RAII and error handling over the HDF5 C API, for the files under experiments/ that read or
// write HDF5. Every failing call becomes one eaglerun::Error naming the file and the object.
// The Debian HDF5 library is not built thread-safe: callers hold hdf5_mutex() around HDF5 calls.
#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace eaglerun::h5 {

std::recursive_mutex& hdf5_mutex();

// Turns off HDF5's own error printing (once per process); errors are reported through Error.
void silence_errors();

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  enum class Kind { File, Group, Dataset, Dataspace, Datatype, Attribute, PropertyList };
  Handle() = default;
  Handle(hid_t id, Kind kind) : id_(id), kind_(kind) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), kind_(o.kind_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  // Gives up ownership: the caller closes the id.
  hid_t release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Kind kind_ = Kind::File;
};

// Throws Error(what) when status < 0 (the HDF5 C convention for failure).
void check(herr_t status, const std::string& what);
// Wraps a new id; throws Error(what) when it is negative.
Handle wrap(hid_t id, Handle::Kind kind, const std::string& what);

// Attributes on any object (file, group, dataset).
bool has_attribute(hid_t object, const std::string& name);
void write_attribute(hid_t object, const std::string& name, const std::string& value);
void write_attribute(hid_t object, const std::string& name, int64_t value);
void write_attribute(hid_t object, const std::string& name, double value);
std::string read_string_attribute(hid_t object, const std::string& name);
int64_t read_int_attribute(hid_t object, const std::string& name);

// A one-dimensional or two-dimensional dataset's extent.
std::vector<hsize_t> dataset_dims(hid_t dataset, const std::string& what);

// Fixed-length UTF-8 string dataset [n] (NUL-padded to the longest string, at least 1 byte).
void write_string_dataset(hid_t file, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_string_dataset(hid_t file, const std::string& name);

}  // namespace eaglerun::h5
