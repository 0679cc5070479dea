#pragma once
/// \file environment.hpp
/// The nodes that can run layers (local devices, edge servers, the cloud) and the links between
/// them. Built with environment_builder, validated, then immutable.

#include <eosdnn/config.hpp>
#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

class environment;
namespace detail {
std::size_t stored_link_entries(const environment& env) noexcept;
}  // namespace detail

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
        const std::size_t a = slot_[from], b = slot_[to];
        const std::size_t servers = servers_.size();
        if (nodes_[from].tier != tier::local) {
            if (nodes_[to].tier != tier::local) return between_servers_[a * servers + b];
            return from_servers_[b * servers + a];
        }
        if (nodes_[to].tier != tier::local) return to_servers_[a * servers + b];
        const auto it = between_locals_.find(pair_key(from, to));
        return it == between_locals_.end() ? no_link() : it->second;
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
        // An index, not a scan: a planner that looks up a device per task would be quadratic.
        const auto it = index_.find(std::string(name));
        if (it == index_.end()) return std::nullopt;
        return it->second;
    }

    /// Indices of the nodes of one tier, in order.
    std::vector<node_id> nodes_of(eosdnn::tier t) const {
        std::vector<node_id> ids;
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].tier == t) ids.push_back(static_cast<node_id>(i));
        return ids;
    }

    /// The nodes linked to `id` in one direction or both, ascending: every other node for an
    /// edge or cloud node, the edge and cloud nodes (and any local device linked to it) for a
    /// local device. Lets a caller visit every link in O(links), not O(size()^2).
    std::vector<node_id> neighbours(node_id id) const {
        std::vector<node_id> ids;
        if (nodes_[id].tier != tier::local) {
            ids.reserve(nodes_.size() - 1);
            for (std::size_t i = 0; i < nodes_.size(); ++i)
                if (i != id) ids.push_back(static_cast<node_id>(i));
            return ids;
        }
        // A device: the servers and the devices it is linked with, merged in order; the
        // devices come from an index, so a device costs O(servers + its links), not O(size()).
        const auto peers = local_peers_.find(id);
        if (peers == local_peers_.end()) return servers_;
        ids.reserve(servers_.size() + peers->second.size());
        std::merge(servers_.begin(), servers_.end(), peers->second.begin(), peers->second.end(),
                   std::back_inserter(ids));
        return ids;
    }

    /// Fixed cost of one upload request, in seconds, on top of the link's latency and the bytes:
    /// what a server spends to accept and register one partition of an uploading plan (the
    /// upload planners charge every partition the device's link latency plus this; see
    /// docs/uploading.md). 0 unless set by environment_builder::set_request_overhead_s().
    double request_overhead_s() const noexcept { return request_overhead_s_; }

private:
    friend class environment_builder;
    friend std::size_t detail::stored_link_entries(const environment& env) noexcept;

    static std::uint64_t pair_key(node_id from, node_id to) noexcept {
        return (std::uint64_t{from} << 32) | to;
    }
    static const std::optional<network_link>& no_link() noexcept {
        static const std::optional<network_link> none;
        return none;
    }

    // Links are stored by kind, not as a size() x size() matrix: every pair of distinct nodes is
    // linked except two local devices, so with L devices and m edge or cloud nodes ("servers")
    // there are about 2 L m + m^2 links, and a dense matrix of 10^4 devices took gigabytes.
    std::vector<node> nodes_{};
    std::unordered_map<std::string, node_id> index_{};  // name -> id
    std::vector<node_id> servers_{};                    // the edge and cloud nodes, ascending
    std::vector<std::uint32_t> slot_{};  // per node: its index in servers_ or among the devices
    std::vector<std::optional<network_link>> between_servers_{};  // m x m, row = from
    std::vector<std::optional<network_link>> to_servers_{};       // L x m: device -> server
    std::vector<std::optional<network_link>> from_servers_{};     // L x m: server -> device
    std::unordered_map<std::uint64_t, std::optional<network_link>> between_locals_{};  // rare
    // per device with such links: the devices linked to it either way, ascending
    std::unordered_map<node_id, std::vector<node_id>> local_peers_{};
    double request_overhead_s_ = 0;  // fixed cost of one upload request
};

namespace detail {
/// How many link entries `env` stores (present or missing): linear in its links, for the tests
/// that check an environment of many devices does not grow as size()^2.
inline std::size_t stored_link_entries(const environment& env) noexcept {
    return env.between_servers_.size() + env.to_servers_.size() + env.from_servers_.size() +
           env.between_locals_.size();
}
}  // namespace detail

/// Adds nodes and links, then build() checks them:
/// - node 0 is local; names are unique, non-empty and printable (core/messages.hpp, name_problem); rates, speed factors and capacities are
///   finite and > 0; power figures finite and >= 0;
/// - bandwidths finite and > 0, latencies and the request overhead finite and >= 0;
/// - every pair of distinct nodes is linked both ways, except two local devices, which never
///   exchange data (each task runs on its own device).
class environment_builder {
public:
    /// Adds a node and returns its index.
    EOSDNN_DECL node_id add_node(node n);

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
    EOSDNN_DECL void connect_one_way(node_id from, node_id to, network_link l);

    /// Links by node name.
    void connect(std::string_view a, std::string_view b, network_link l) {
        connect(id_of(a), id_of(b), l);
    }

    /// Number of nodes added so far.
    std::size_t size() const noexcept { return nodes_.size(); }

    /// Sets environment::request_overhead_s(); throws eosdnn::error (validation) unless it is
    /// finite and >= 0.
    void set_request_overhead_s(double seconds) {
        non_negative("the environment", "request_overhead_s", seconds);
        request_overhead_s_ = seconds;
    }

    /// The validated environment; throws eosdnn::error (validation) if a rule above is broken
    /// (no nodes, node 0 not local, a missing link). The builder is left unchanged.
    EOSDNN_DECL environment build() const;

private:
    struct pending_link {
        node_id from, to;
        network_link l;
    };

    [[noreturn]] EOSDNN_DECL static void fail(const std::string& what);
    EOSDNN_DECL static void positive(const std::string& where, const char* field, double v);
    EOSDNN_DECL static void non_negative(const std::string& where, const char* field, double v);
    EOSDNN_DECL void check_index(node_id id) const;
    EOSDNN_DECL node_id id_of(std::string_view name) const;

    std::vector<node> nodes_{};
    std::unordered_map<std::string, node_id> names_{};  // name -> index
    std::vector<pending_link> pending_links_{};
    double request_overhead_s_ = 0;
};

#if !EOSDNN_DECLARE_ONLY
// Defined out of the class so that separate compilation (config.hpp) compiles them once.
EOSDNN_DECL node_id environment_builder::add_node(node n) {
    const std::string where = "node '" + n.name + "'";
    if (n.name.empty()) fail("node #" + std::to_string(nodes_.size()) + " has an empty name");
    // Names reach reports and terminals: nothing that prints as nothing, or acts (ESC); the
    // readers check it too, to say where in their file.
    if (const std::string why = detail::name_problem(n.name); !why.empty())
        fail("node #" + std::to_string(nodes_.size()) + ": its name '" + detail::printable(n.name) +
             "' has " + why);
    // A set, not a scan of nodes_: the scan made adding 65535 nodes take seconds.
    if (names_.contains(n.name)) fail("duplicate node name '" + detail::printable(n.name) + "'");
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
    names_.emplace(n.name, static_cast<node_id>(nodes_.size()));
    nodes_.push_back(std::move(n));
    return static_cast<node_id>(nodes_.size() - 1);
}

EOSDNN_DECL void environment_builder::connect_one_way(node_id from, node_id to, network_link l) {
    check_index(from);
    check_index(to);
    const std::string where = "link '" + nodes_[from].name + "' -> '" + nodes_[to].name + "'";
    if (from == to) fail(where + ": a node needs no link to itself");
    positive(where, "bandwidth_Bps", l.bandwidth_Bps);
    non_negative(where, "latency_s", l.latency_s);
    pending_links_.push_back({from, to, l});
}

EOSDNN_DECL environment environment_builder::build() const {
    if (nodes_.empty()) fail("the environment has no nodes");
    if (nodes_[0].tier != tier::local)
        fail("node 0 ('" + nodes_[0].name + "') must be a local device, it is " +
             std::string(to_string(nodes_[0].tier)));
    environment env;
    env.nodes_ = nodes_;
    env.index_ = names_;
    env.request_overhead_s_ = request_overhead_s_;
    std::size_t devices = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].tier == tier::local) {
            env.slot_.push_back(static_cast<std::uint32_t>(devices++));
        } else {
            env.slot_.push_back(static_cast<std::uint32_t>(env.servers_.size()));
            env.servers_.push_back(static_cast<node_id>(i));
        }
    const std::size_t servers = env.servers_.size();
    env.between_servers_.assign(servers * servers, std::nullopt);
    env.to_servers_.assign(devices * servers, std::nullopt);
    env.from_servers_.assign(devices * servers, std::nullopt);
    for (const auto& p : pending_links_) {
        const std::size_t a = env.slot_[p.from], b = env.slot_[p.to];
        const bool from_local = nodes_[p.from].tier == tier::local;
        const bool to_local = nodes_[p.to].tier == tier::local;
        if (!from_local && !to_local)
            env.between_servers_[a * servers + b] = p.l;
        else if (from_local && !to_local)
            env.to_servers_[a * servers + b] = p.l;
        else if (!from_local)
            env.from_servers_[b * servers + a] = p.l;
        else {
            env.between_locals_[environment::pair_key(p.from, p.to)] = p.l;
            env.local_peers_[p.from].push_back(p.to);
            env.local_peers_[p.to].push_back(p.from);
        }
    }
    for (auto& [device, peers] : env.local_peers_) {
        std::sort(peers.begin(), peers.end());
        peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
    }
    // Every link the rules require, visited by kind in O(links): a missing one is named
    // with the lowest `from`, then the lowest `to`, as a scan of every pair would find it.
    std::optional<std::pair<node_id, node_id>> missing;
    const auto require = [&](const std::optional<network_link>& l, node_id from, node_id to) {
        if (!l && (!missing || std::pair(from, to) < *missing)) missing = std::pair(from, to);
    };
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const auto from = static_cast<node_id>(i);
        for (const node_id to : env.servers_)
            if (to != from) require(env.link_between(from, to), from, to);
        if (nodes_[i].tier == tier::local) continue;
        for (std::size_t j = 0; j < nodes_.size(); ++j)
            if (nodes_[j].tier == tier::local)
                require(env.link_between(from, static_cast<node_id>(j)), from,
                        static_cast<node_id>(j));
    }
    if (missing)
        fail("no link from '" + nodes_[missing->first].name + "' to '" +
             nodes_[missing->second].name + "'");
    return env;
}

EOSDNN_DECL void environment_builder::fail(const std::string& what) {
    throw error(error_kind::validation, "environment: " + what);
}

EOSDNN_DECL void environment_builder::positive(const std::string& where, const char* field,
                                               double v) {
    if (!std::isfinite(v) || v <= 0)
        fail(where + ": " + field + " is " + detail::format_number(v) +
             " (must be finite and > 0)");
}

EOSDNN_DECL void environment_builder::non_negative(const std::string& where, const char* field,
                                                   double v) {
    if (!std::isfinite(v) || v < 0)
        fail(where + ": " + field + " is " + detail::format_number(v) +
             " (must be finite and >= 0)");
}

EOSDNN_DECL void environment_builder::check_index(node_id id) const {
    if (id >= nodes_.size())
        fail("link names node index " + std::to_string(id) + " but only " +
             std::to_string(nodes_.size()) + " nodes were added");
}

EOSDNN_DECL node_id environment_builder::id_of(std::string_view name) const {
    const auto it = names_.find(std::string(name));
    if (it == names_.end()) fail("link names unknown node '" + std::string(name) + "'");
    return it->second;
}
#endif  // !EOSDNN_DECLARE_ONLY

namespace detail {
/// "node 2 ('edge1')", or "node 9" for an index outside `env`.
inline std::string node_label(const environment& env, node_id s) {
    return s < env.size() ? node_label(s, env[s].name) : node_label(s);
}
}  // namespace detail

}  // namespace eosdnn
