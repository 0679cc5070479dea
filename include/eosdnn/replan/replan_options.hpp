#pragma once
/// \file replan_options.hpp
/// What a re-planner is asked (the policy and its budgets) and what it answers (the decision
/// after an event, with every candidate plan it scored).

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/replan/window_score.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn {

/// How a re-planner answers an event.
enum class replan_policy {
    never,         ///< keep the plan in force (layers of a node that left run on the device)
    from_scratch,  ///< the new environment's optimum, chosen as if nothing were resident
    upload_aware,  ///< the candidate whose next queries complete most (replanner::apply)
};

/// "never", "from-scratch" or "upload-aware".
constexpr std::string_view to_string(replan_policy p) noexcept {
    switch (p) {
    case replan_policy::never: return "never";
    case replan_policy::from_scratch: return "from-scratch";
    case replan_policy::upload_aware: return "upload-aware";
    }
    return "unknown";
}

/// The policy named `name` (as to_string() writes it; '_' may replace '-'), if any.
inline std::optional<replan_policy> parse_replan_policy(std::string_view name) {
    std::string s(name);
    for (char& c : s)
        if (c == '_') c = '-';
    for (auto p : {replan_policy::never, replan_policy::from_scratch, replan_policy::upload_aware})
        if (s == to_string(p)) return p;
    return std::nullopt;
}

/// Options of a replanner.
struct replan_options {
    replan_policy policy = replan_policy::upload_aware;  ///< how events are answered
    /// Seconds of queries over which candidates are compared; 0: automatic, `window_factor`
    /// times the longest remaining upload among the candidates, at least `min_window_s`.
    double window_s = 0;
    double window_factor = 2;  ///< the automatic window, in remaining uploads (>= 1)
    double min_window_s = 1;   ///< the shortest automatic window (> 0)
    /// Also cap the automatic window at `window_factor` times the mean gap between the events
    /// seen so far (from two event times on): the environment is expected to change again by
    /// then. Off by default: on our traces it helps as often as it hurts (see the notes).
    bool event_horizon = false;
    /// Wall-clock budget of each exact solve (0: none). A solve it ends (never one of a zoo
    /// model or a measured profile, which are proven in milliseconds) is followed by PSO-GA
    /// warm-started from it and from the plans in force; the session is then no longer
    /// reproducible to the bit, since where the solve stopped depends on the machine.
    double exact_time_limit_s = 1;
    std::size_t pso_population = 30;   ///< PSO-GA fallback: particles (>= 1)
    std::size_t pso_iterations = 200;  ///< PSO-GA fallback: iterations (>= 1)
    std::uint64_t seed = 1;            ///< PSO-GA fallback: seed (plus the plan version)
    /// LMU with its portfolio and local search (slower, more queries during the upload) or the
    /// efficiency rule alone (the default: a re-plan should take milliseconds).
    bool lmu_portfolio = false;
    /// upload_aware only: when the placements over the nodes up number at most this many, every
    /// placement is a candidate too (with LMU's upload and the device as fallback). 0: off.
    std::size_t exhaustive_limit = 0;

    /// Throws eosdnn::error (validation) naming the field and the value if one is out of range.
    void validate() const {
        const auto fail = [](const char* field, double v, const char* rule) {
            detail::fail_validation(
                "replan_options",
                std::string(field) + " is " + detail::format_number(v) + " (must be " + rule + ")");
        };
        if (policy != replan_policy::never && policy != replan_policy::from_scratch &&
            policy != replan_policy::upload_aware)
            fail("policy", static_cast<double>(policy), "never, from_scratch or upload_aware");
        if (!std::isfinite(window_s) || window_s < 0) fail("window_s", window_s, "finite, >= 0");
        if (!std::isfinite(window_factor) || window_factor < 1)
            fail("window_factor", window_factor, "finite, >= 1");
        if (!std::isfinite(min_window_s) || min_window_s <= 0)
            fail("min_window_s", min_window_s, "finite, > 0");
        detail::require_time_limit("replan_options.exact_time_limit_s", exact_time_limit_s);
        if (pso_population < 1) fail("pso_population", static_cast<double>(pso_population), ">= 1");
        if (pso_iterations < 1) fail("pso_iterations", static_cast<double>(pso_iterations), ">= 1");
    }
};

/// One plan a re-planner considered: where each layer should run, where it runs until its
/// parameters are there, and what is still to upload.
struct replan_candidate {
    /// "stale" (the plan in force), "optimum" (the new environment's optimum), "resident" (the
    /// best placement on what is resident now; nothing to upload), "optimum+fallback" and
    /// "stale+fallback" (those targets, each layer running where "resident" puts it until it
    /// reaches its target), "placement #k" (exhaustive candidates).
    std::string name{};
    std::vector<node_id> placement{};  ///< target node of each layer
    /// Where each layer runs until it is resident on its target: a node where it is resident
    /// (else the device).
    std::vector<node_id> fallback{};
    /// Each query runs on the faster of that mix and the fallback placement alone (the "+fallback"
    /// candidates: the device picks, per query, the better of the two plans it can run now).
    bool whole_fallback = false;
    /// The partitions still to upload, in order. The first is the one in flight when
    /// `first_done` > 0 (it is never interrupted, so its node may differ from the target).
    /// Layers resident on their target are in none; unlike a full uploading plan, it need not
    /// pass check_upload_plan().
    upload_plan upload{};
    double first_done = 0;           ///< fraction of the first partition already sent
    double steady_delay_s = 0;       ///< query latency once every partition has arrived
    double remaining_upload_s = 0;   ///< time to send what is left, at today's bandwidths
    std::size_t window_queries = 0;  ///< queries completed in the scoring window
    double window_mean_latency_s = std::numeric_limits<double>::quiet_NaN();  ///< their mean
};

/// Whether candidate `a` beats `b`: more queries in the window, then the smaller mean latency,
/// then (unless `b` is the plan in force, which stays on a tie) the smaller steady delay.
inline bool better_candidate(const replan_candidate& a, const replan_candidate& b,
                             bool b_in_force) noexcept {
    const window_score sa{a.window_queries, a.window_mean_latency_s};
    const window_score sb{b.window_queries, b.window_mean_latency_s};
    if (better_score(sa, sb)) return true;
    if (better_score(sb, sa) || b_in_force) return false;
    return a.steady_delay_s < b.steady_delay_s;
}

/// A re-planner's answer to an event (or its initial plan).
struct replan_decision {
    double time_s = 0;          ///< simulated time of the decision
    std::size_t version = 0;    ///< plan version in force after it (0: the initial plan)
    bool changed = false;       ///< the plan (target, fallback or upload) changed
    replan_candidate chosen{};  ///< the plan now in force
    std::string reason{};       ///< one line: why this candidate
    std::vector<replan_candidate> candidates{};  ///< every candidate scored, chosen included
    double window_s = 0;                         ///< the scoring window
    bool optimum_proven = false;                 ///< the "optimum" candidate is proven optimal
    double replan_wall_s = 0;  ///< measured wall time of the decision (not simulated time)
};

}  // namespace eosdnn
