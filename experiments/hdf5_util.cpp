#include "experiments/hdf5_util.h"

#include <algorithm>

#include "core/error.h"

namespace eaglerun::h5 {

std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    kind_ = o.kind_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ < 0) return;
  switch (kind_) {
    case Kind::File: H5Fclose(id_); break;
    case Kind::Group: H5Gclose(id_); break;
    case Kind::Dataset: H5Dclose(id_); break;
    case Kind::Dataspace: H5Sclose(id_); break;
    case Kind::Datatype: H5Tclose(id_); break;
    case Kind::Attribute: H5Aclose(id_); break;
    case Kind::PropertyList: H5Pclose(id_); break;
  }
  id_ = H5I_INVALID_HID;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw Error(what);
}

Handle wrap(hid_t id, Handle::Kind kind, const std::string& what) {
  if (id < 0) throw Error(what);
  return Handle(id, kind);
}

namespace {

using K = Handle::Kind;

Handle string_type(size_t size) {
  Handle type = wrap(H5Tcopy(H5T_C_S1), K::Datatype, "cannot create an HDF5 string type");
  check(H5Tset_size(type.get(), size), "cannot size an HDF5 string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "cannot set HDF5 string padding");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot set HDF5 string encoding");
  return type;
}

void write_scalar_attribute(hid_t object, const std::string& name, hid_t type, const void* value) {
  if (has_attribute(object, name)) check(H5Adelete(object, name.c_str()), "cannot replace attribute " + name);
  Handle space = wrap(H5Screate(H5S_SCALAR), K::Dataspace, "cannot create a dataspace");
  Handle attr = wrap(H5Acreate2(object, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), K::Attribute,
                     "cannot create attribute " + name);
  check(H5Awrite(attr.get(), type, value), "cannot write attribute " + name);
}

Handle open_attribute(hid_t object, const std::string& name) {
  return wrap(H5Aopen(object, name.c_str(), H5P_DEFAULT), K::Attribute, "missing attribute '" + name + "'");
}

}  // namespace

bool has_attribute(hid_t object, const std::string& name) { return H5Aexists(object, name.c_str()) > 0; }

void write_attribute(hid_t object, const std::string& name, const std::string& value) {
  Handle type = string_type(value.empty() ? 1 : value.size());
  write_scalar_attribute(object, name, type.get(), value.empty() ? "" : value.data());
}

void write_attribute(hid_t object, const std::string& name, int64_t value) {
  write_scalar_attribute(object, name, H5T_NATIVE_INT64, &value);
}

void write_attribute(hid_t object, const std::string& name, double value) {
  write_scalar_attribute(object, name, H5T_NATIVE_DOUBLE, &value);
}

std::string read_string_attribute(hid_t object, const std::string& name) {
  Handle attr = open_attribute(object, name);
  Handle type = wrap(H5Aget_type(attr.get()), K::Datatype, "cannot read the type of attribute " + name);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    throw Error("attribute '" + name + "' is not a fixed-length string");
  }
  const size_t size = H5Tget_size(type.get());
  std::string value(size, '\0');
  Handle mem = string_type(size);
  check(H5Aread(attr.get(), mem.get(), value.data()), "cannot read attribute " + name);
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

int64_t read_int_attribute(hid_t object, const std::string& name) {
  Handle attr = open_attribute(object, name);
  Handle type = wrap(H5Aget_type(attr.get()), K::Datatype, "cannot read the type of attribute " + name);
  if (H5Tget_class(type.get()) != H5T_INTEGER) throw Error("attribute '" + name + "' is not an integer");
  int64_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), "cannot read attribute " + name);
  return value;
}

std::vector<hsize_t> dataset_dims(hid_t dataset, const std::string& what) {
  Handle space = wrap(H5Dget_space(dataset), K::Dataspace, "cannot read the extent of " + what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 2) throw Error(what + " has rank " + std::to_string(rank) + ", expected 1 or 2");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "cannot read the extent of " + what);
  return dims;
}

void write_string_dataset(hid_t file, const std::string& name, const std::vector<std::string>& values) {
  size_t width = 1;
  for (const std::string& v : values) width = std::max(width, v.size());
  std::vector<char> buffer(width * values.size(), '\0');  // [n, width]
  for (size_t i = 0; i < values.size(); ++i) values[i].copy(buffer.data() + i * width, values[i].size());
  Handle type = string_type(width);
  const hsize_t n = values.size();
  Handle space = wrap(H5Screate_simple(1, &n, nullptr), K::Dataspace, "cannot create a dataspace");
  Handle ds = wrap(H5Dcreate2(file, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   K::Dataset, "cannot create dataset " + name);
  if (n > 0) check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "cannot write " + name);
}

std::vector<std::string> read_string_dataset(hid_t file, const std::string& name) {
  Handle ds = wrap(H5Dopen2(file, name.c_str(), H5P_DEFAULT), K::Dataset, "missing dataset '" + name + "'");
  Handle type = wrap(H5Dget_type(ds.get()), K::Datatype, "cannot read the type of " + name);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    throw Error("dataset '" + name + "' is not a fixed-length string dataset");
  }
  const std::vector<hsize_t> dims = dataset_dims(ds.get(), name);
  if (dims.size() != 1) throw Error("dataset '" + name + "' is not one-dimensional");
  const size_t width = H5Tget_size(type.get());
  std::vector<char> buffer(width * dims[0], '\0');  // [n, width]
  Handle mem = string_type(width);
  if (dims[0] > 0) check(H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "cannot read " + name);
  std::vector<std::string> values(dims[0]);
  for (size_t i = 0; i < dims[0]; ++i) {
    const char* s = buffer.data() + i * width;
    size_t len = 0;
    while (len < width && s[len] != '\0') ++len;
    values[i].assign(s, len);
  }
  return values;
}

}  // namespace eaglerun::h5
