#pragma once
/// \file layer.hpp
/// One layer of a DNN: the vertex property of the layer graph.

#include <eosdnn/core/ids.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// A layer and the numbers the cost models read. All sizes are per query (batch of one).
struct layer {
    std::string name{};       ///< unique within its graph
    std::string kind{};       ///< operator type, free-form ("conv", "fc", "Convolution", ...)
    double macs = 0;          ///< multiply-accumulates of convolutions and dense layers
    double flops = 0;         ///< work w_j that sets the analytic compute time w_j / f_s
    double param_bytes = 0;   ///< m_j: bytes that must be uploaded to run the layer remotely
    double output_bytes = 0;  ///< o_j: bytes of the output tensor sent to consumers
    std::vector<std::size_t> output_shape{};  ///< per-sample output shape, if known (C, H, W or K)
    std::optional<double> device_time_s{};    ///< measured time on the profiled local device
    std::optional<double> server_time_s{};    ///< measured time on the profiled reference server
    std::optional<double> load_time_s{};      ///< server-side time to load the uploaded parameters

    /// A layer without parameters costs nothing to upload.
    bool has_parameters() const noexcept { return param_bytes > 0; }
};

namespace detail {
/// The numeric fields of a layer by name, for the checks and readers that treat them alike.
using layer_number_field = double layer::*;
/// The measured times of a layer by name (each optional).
using layer_time_field = std::optional<double> layer::*;
inline constexpr std::pair<const char*, layer_number_field> layer_number_fields[] = {
    {"macs", &layer::macs},
    {"flops", &layer::flops},
    {"param_bytes", &layer::param_bytes},
    {"output_bytes", &layer::output_bytes}};
inline constexpr std::pair<const char*, layer_time_field> layer_time_fields[] = {
    {"device_time_s", &layer::device_time_s},
    {"server_time_s", &layer::server_time_s},
    {"load_time_s", &layer::load_time_s}};
}  // namespace detail

}  // namespace eosdnn
