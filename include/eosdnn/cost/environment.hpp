#pragma once
/// \file environment.hpp
/// The nodes that can run layers (local devices, edge servers, the cloud) and the links between
/// them. Built with environment_builder, validated, then immutable.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace eosdnn {

/// Where a node sits: `local` (a device that owns models and issues queries), `edge` (an edge
/// server) or `cloud`. Node 0 is always a local device.
enum class tier : std::uint8_t { local, edge, cloud };

/// Name of a tier, as written in environment JSON files and messages: "local", "edge", "cloud".
constexpr std::string_view to_string(tier t) noexcept {
    switch (t) {
    case tier::local: return "local";
    case tier::edge: return "edge";
    case tier::cloud: return "cloud";
    }
    return "unknown";
}

/// Power draw of a device, for the energy objective (watts).
struct power_profile {
    double compute_w = 0;   ///< while the device computes a layer
    double transmit_w = 0;  ///< while it sends or receives data
    double idle_w = 0;      ///< while it waits for a remote node
};

/// A machine that can run layers.
struct node {
    /// Unique, non-empty name, used in messages, JSON files and environment::find().
    std::string name{};
    /// Local device, edge server or cloud; node 0 must be local.
    eosdnn::tier tier = tier::edge;
    double flops_per_s = 0;  ///< f_s: compute rate used by the analytic cost model
    /// How many times faster than the machine its measured times come from: a layer measured at
    /// t seconds on the profiled reference server runs in t / speed_factor on this node (and the
    /// profiled device time likewise on a local node).
    double speed_factor = 1;
    std::optional<double> memory_bytes{};  ///< M_s: capacity for parameters, unlimited if unset
    std::optional<power_profile> power{};  ///< needed for the energy objective on local nodes
};

/// A directed network link. (Not called `link`: that would clash with POSIX link() in code
/// that says `using namespace eosdnn`.)
struct network_link {
    double bandwidth_Bps = 0;  ///< bytes per second
    double latency_s = 0;      ///< one-way latency added to every transfer
};

/// Bytes per second of a link of `megabits` Mbit/s (10^6 bits), the unit links are quoted in.
constexpr double mbps(double megabits) noexcept { return megabits * 1e6 / 8; }

/// Validated nodes and links. Transfers between two distinct nodes cost latency + bytes /
/// bandwidth; a missing link (allowed only between two local devices) costs infinity.
class environment {
public:
    /// Number of nodes; node ids are 0 .. size() - 1.
    std::size_t size() const noexcept { return nodes_.size(); }
    /// Node `id`, unchecked: `id` must be < size().
    const node& operator[](node_id id) const noexcept { return nodes_[id]; }
    /// Node `id`; throws eosdnn::error (validation) if `id` >= size().
    const node& at(node_id id) const {
        if (id >= size())
            throw error(error_kind::validation, "node index " + std::to_string(id) +
                                                    " is out of range: the environment has " +
                                                    std::to_string(size()) + " nodes");
        return nodes_[id];
    }
    /// All nodes, indexed by node_id.
    const std::vector<node>& nodes() const noexcept { return nodes_; }

    /// The link from -> to, if there is one (never for from == to).
    const std::optional<network_link>& link_between(node_id from, node_id to) const noexcept {
        return links_[from * size() + to];
    }

    /// Time to move `bytes` from one node to another: 0 on the same node.
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        if (from == to) return 0;
        const auto& l = link_between(from, to);
        if (!l) return std::numeric_limits<double>::infinity();
        return l->latency_s + bytes / l->bandwidth_Bps;
    }

    /// The node called `name`, if any.
    std::optional<node_id> find(std::string_view name) const {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].name == name) return static_cast<node_id>(i);
        return std::nullopt;
    }

    /// Indices of the nodes of one tier, in order.
    std::vector<node_id> nodes_of(eosdnn::tier t) const {
        std::vector<node_id> ids;
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].tier == t) ids.push_back(static_cast<node_id>(i));
        return ids;
    }

private:
    friend class environment_builder;
    std::vector<node> nodes_{};
    std::vector<std::optional<network_link>> links_{};  // row-major size() x size()
};

/// Adds nodes and links, then build() checks them:
/// - node 0 is local; names are unique and non-empty; rates, speed factors and capacities are
///   finite and > 0; power figures finite and >= 0;
/// - bandwidths finite and > 0, latencies finite and >= 0;
/// - every pair of distinct nodes is linked both ways, except two local devices, which never
///   exchange data (each task runs on its own device).
class environment_builder {
public:
    /// Adds a node and returns its index.
    node_id add_node(node n) {
        const std::string where = "node '" + n.name + "'";
        if (n.name.empty()) fail("node #" + std::to_string(nodes_.size()) + " has an empty name");
        // A set, not a scan of nodes_: the scan made adding 65535 nodes take seconds.
        if (names_.contains(n.name)) fail("duplicate node name '" + n.name + "'");
        if (nodes_.size() >= std::numeric_limits<node_id>::max())
            fail("too many nodes (at most " + std::to_string(std::numeric_limits<node_id>::max()) +
                 ")");
        positive(where, "flops_per_s", n.flops_per_s);
        positive(where, "speed_factor", n.speed_factor);
        if (n.memory_bytes) positive(where, "memory_bytes", *n.memory_bytes);
        if (n.power) {
            non_negative(where, "power.compute_w", n.power->compute_w);
            non_negative(where, "power.transmit_w", n.power->transmit_w);
            non_negative(where, "power.idle_w", n.power->idle_w);
        }
        names_.insert(n.name);
        nodes_.push_back(std::move(n));
        return static_cast<node_id>(nodes_.size() - 1);
    }

    /// Links two nodes in both directions with the same bandwidth and latency.
    void connect(node_id a, node_id b, network_link l) {
        connect_one_way(a, b, l);
        connect_one_way(b, a, l);
    }

    /// Links two nodes in both directions with different uplink (a -> b) and downlink figures.
    void connect(node_id a, node_id b, network_link uplink, network_link downlink) {
        connect_one_way(a, b, uplink);
        connect_one_way(b, a, downlink);
    }

    /// Sets the link from -> to only; a later call for the same pair replaces it.
    void connect_one_way(node_id from, node_id to, network_link l) {
        check_index(from);
        check_index(to);
        const std::string where = "link '" + nodes_[from].name + "' -> '" + nodes_[to].name + "'";
        if (from == to) fail(where + ": a node needs no link to itself");
        positive(where, "bandwidth_Bps", l.bandwidth_Bps);
        non_negative(where, "latency_s", l.latency_s);
        pending_links_.push_back({from, to, l});
    }

    /// Links by node name.
    void connect(std::string_view a, std::string_view b, network_link l) {
        connect(id_of(a), id_of(b), l);
    }

    /// Number of nodes added so far.
    std::size_t size() const noexcept { return nodes_.size(); }

    /// The validated environment; throws eosdnn::error (validation) if a rule above is broken
    /// (no nodes, node 0 not local, a missing link). The builder is left unchanged.
    environment build() const {
        if (nodes_.empty()) fail("the environment has no nodes");
        if (nodes_[0].tier != tier::local)
            fail("node 0 ('" + nodes_[0].name + "') must be a local device, it is " +
                 std::string(to_string(nodes_[0].tier)));
        environment env;
        env.nodes_ = nodes_;
        const std::size_t n = nodes_.size();
        env.links_.assign(n * n, std::nullopt);
        for (const auto& p : pending_links_) env.links_[p.from * n + p.to] = p.l;
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b) {
                if (a == b || env.links_[a * n + b]) continue;
                if (nodes_[a].tier == tier::local && nodes_[b].tier == tier::local) continue;
                fail("no link from '" + nodes_[a].name + "' to '" + nodes_[b].name + "'");
            }
        return env;
    }

private:
    struct pending_link {
        node_id from, to;
        network_link l;
    };

    [[noreturn]] static void fail(const std::string& what) {
        throw error(error_kind::validation, "environment: " + what);
    }
    static std::string format(double v) { return detail::format_number(v); }
    static void positive(const std::string& where, const char* field, double v) {
        if (!std::isfinite(v) || v <= 0)
            fail(where + ": " + field + " is " + format(v) + " (must be finite and > 0)");
    }
    static void non_negative(const std::string& where, const char* field, double v) {
        if (!std::isfinite(v) || v < 0)
            fail(where + ": " + field + " is " + format(v) + " (must be finite and >= 0)");
    }
    void check_index(node_id id) const {
        if (id >= nodes_.size())
            fail("link names node index " + std::to_string(id) + " but only " +
                 std::to_string(nodes_.size()) + " nodes were added");
    }
    node_id id_of(std::string_view name) const {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].name == name) return static_cast<node_id>(i);
        fail("link names unknown node '" + std::string(name) + "'");
    }

    std::vector<node> nodes_{};
    std::unordered_set<std::string> names_{};
    std::vector<pending_link> pending_links_{};
};

namespace detail {
/// "node 2 ('edge1')", or "node 9" for an index outside `env`.
inline std::string node_label(const environment& env, node_id s) {
    return s < env.size() ? node_label(s, env[s].name) : node_label(s);
}
}  // namespace detail

}  // namespace eosdnn
