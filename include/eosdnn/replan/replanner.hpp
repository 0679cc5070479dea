#pragma once
/// \file replanner.hpp
/// replanner: the session's state (which layers are resident on which node, what is being
/// uploaded, the plans in force) and its answer to each event of the environment: a new
/// migration plan and the revised uploading plan of what is not resident yet.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/replan/best_placement.hpp>
#include <eosdnn/replan/partition_time.hpp>
#include <eosdnn/replan/replan_options.hpp>
#include <eosdnn/replan/session_environment.hpp>
#include <eosdnn/replan/trace.hpp>
#include <eosdnn/replan/window_score.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Holds a model, its cost tables and a session's state, and answers events. The session model
/// (docs/replanning.md):
/// - Partitions are sent one after another over the device's uplinks, a partition in flight at
///   the bandwidth in force (its remaining fraction is re-priced at each change). A re-plan
///   keeps it first or leaves it; what was sent of it stays on its node, layer by layer, and a
///   later partition to that node starts with those bytes. An arrived partition makes its
///   layers (parameter-free ones included) resident on its node.
/// - A query issued at t runs each layer on its target if resident there, else on its fallback
///   if resident there, else on the device (the paper's rule: fallback = device); with a whole
///   fallback, on the fallback placement alone when that is faster.
/// - A node that leaves loses its resident layers, their bytes and the partitions queued to it;
///   the plan in force runs its layers on the device until a re-plan moves them.
/// Reuse: the cost tables are built once per environment (a delay_evaluator). An event changes
/// every table of the exact solver but not its elimination order, which is kept from one solve
/// to the next (exact_options::elimination_order); an event that can only slow placements down
/// and leaves the proven optimum's delay unchanged keeps it without a solve, and proven optima
/// are memoised by environment (on/off links). PSO-GA, when the exact solver runs out of time,
/// starts from the exact incumbent, the plan in force and its own last swarm.
template <upload_cost_model Model>
requires std::constructible_from<Model, environment>
class replanner {
public:
    /// Plans `graph` (referenced: it must outlive the re-planner) owned by `device` in `env`.
    /// Throws eosdnn::error (validation) for invalid options or device.
    replanner(const layer_graph& graph, environment env, node_id device = 0,
              replan_options options = {})
        : graph_(&graph), initial_(env), device_(device), options_(options) {
        options_.validate();
        if (device >= env.size() || env[device].tier != tier::local)
            detail::fail_validation("re-planner", "device " + detail::node_label(device) +
                                                      " is not a local node of the environment");
        n_ = graph.size();
        nodes_ = env.size();
        set_environment(std::move(env));
        up_.assign(nodes_, 1);
        resident_.assign(n_ * nodes_, 0);
        sent_.assign(n_ * nodes_, 0);
        target_.assign(n_, device_);
        fallback_.assign(n_, device_);
    }

    /// Marks layer `j` as resident on node `s` (a model pre-installed there, or a test).
    void set_resident(layer_id j, node_id s) {
        if (j >= n_ || s >= nodes_)
            detail::fail_validation("re-planner", "set_resident: bad index");
        if (up_[s]) resident_[j * nodes_ + s] = 1;
        dirty_ = true;
    }

    /// The initial plan at now(): the environment's optimum and LMU's upload of it.
    replan_decision plan_initial() {
        const auto start = std::chrono::steady_clock::now();
        replan_decision d{.time_s = now_};
        auto c = optimum_candidate(d.optimum_proven);
        d.window_s = window_for({&c, 1});
        score(c, d.window_s);
        adopt(c, d, "initial plan: the optimum of the environment", true);
        d.candidates.push_back(c);
        d.replan_wall_s = seconds_since(start);
        return d;
    }

    /// Lets the upload progress to `time_s` (>= now()): partitions arrive and become resident.
    void advance_to(double time_s) {
        if (!(time_s >= now_))
            detail::fail_validation("re-planner", "advance_to(" + detail::format_number(time_s) +
                                                      "): time goes back from " +
                                                      detail::format_number(now_) + " s");
        while (!queue_.empty()) {
            upload_partition& p = queue_.front();
            const double remaining = (1 - progress_) * p.upload_s;
            if (now_ + remaining <= time_s) {
                now_ += remaining;
                bytes_uploaded_ += (1 - progress_) * p.param_bytes;
                for (layer_id j : p.layers) resident_[j * nodes_ + p.node] = 1;
                queue_.erase(queue_.begin());
                progress_ = 0;  // nothing in flight until the next one resumes
                if (!queue_.empty()) progress_ = resumed(queue_.front());
                dirty_ = true;
                continue;
            }
            const double step = (time_s - now_) / p.upload_s;  // upload_s > 0 here
            progress_ += step;
            bytes_uploaded_ += step * p.param_bytes;
            break;
        }
        now_ = time_s;
    }

    /// apply(events) with the one event `e`.
    replan_decision apply(const session_event& e) { return apply(std::span(&e, 1)); }

    /// Advances to the time of `events` (all at one time), applies them in order, then re-plans
    /// once: events at one time (both directions of a link) are one change, and a plan for the
    /// half-changed environment would only churn the upload. Rate changes alone keep the plan.
    /// Throws eosdnn::error (validation), changing nothing, for no event, different times, a
    /// link that does not exist, a local device going down, a bad value or a time before now().
    replan_decision apply(std::span<const session_event> events) {
        const auto start = std::chrono::steady_clock::now();
        check_simultaneous(model_->env(), device_, events);
        const double t = events.front().time_s;
        advance_to(t);
        if (t > last_event_s_ || event_times_ == 0) ++event_times_;
        last_event_s_ = t;
        const std::string cause = events_cause(model_->env(), events);
        change(events);
        const bool replans = std::any_of(events.begin(), events.end(), [](const auto& e) {
            return e.kind != event_kind::query_rate;
        });
        dirty_ = true;
        replan_decision d{.time_s = now_};
        if (!replans) {
            d.chosen = stale_candidate();
            d.window_s = window_for({&d.chosen, 1});
            score(d.chosen, d.window_s);
            d.version = version_;
            d.reason = cause + ": the plan is kept (a rate change does not re-plan)";
        } else {
            decide(d, cause);
        }
        d.replan_wall_s = seconds_since(start);
        return d;
    }

    double now() const noexcept { return now_; }                              ///< simulated seconds
    const environment& env() const noexcept { return model_->env(); }         ///< in force now
    const Model& model() const noexcept { return *model_; }                   ///< priced with env()
    node_id device() const noexcept { return device_; }                       ///< the model's owner
    const layer_graph& graph() const noexcept { return *graph_; }             ///< the model
    const replan_options& options() const noexcept { return options_; }       ///< the options
    std::span<const node_id> placement() const noexcept { return target_; }   ///< the target
    std::span<const node_id> fallback() const noexcept { return fallback_; }  ///< see above
    /// Partitions still to upload, in order; the first is in flight when front_progress() > 0.
    const std::vector<upload_partition>& upload_queue() const noexcept { return queue_; }
    double front_progress() const noexcept { return progress_; }  ///< fraction sent of the first
    double bytes_uploaded() const noexcept { return bytes_uploaded_; }  ///< sent so far (all)
    double bytes_lost() const noexcept { return bytes_lost_; }          ///< resident bytes lost
    double query_rate() const noexcept { return rate_; }       ///< queries/s cap, 0: closed loop
    std::size_t version() const noexcept { return version_; }  ///< of the plan in force
    bool node_up(node_id s) const noexcept { return up_[s] != 0; }  ///< not left
    /// Whether layer `j`'s parameters are on node `s` (always on the device).
    bool resident(layer_id j, node_id s) const noexcept {
        return s == device_ || (up_[s] && resident_[j * nodes_ + s]);
    }

    /// Where a query issued now runs each layer: on its target if resident there, else on its
    /// fallback if resident there, else on the device; with a whole fallback
    /// (replan_candidate::whole_fallback), the fallback placement alone when that is faster.
    std::vector<node_id> effective_placement() const {
        auto [mix, alone] = placements_now(target_, fallback_);
        if (whole_fallback_ && eval_->evaluate(alone).delay_s < eval_->evaluate(mix).delay_s)
            return alone;
        return mix;
    }
    /// Latency of a query issued now, priced by the environment in force.
    double query_latency() {
        refresh();
        return latency_;
    }
    /// Layers a query issued now runs away from the device.
    std::size_t remote_layers() {
        refresh();
        return remote_;
    }

private:
    static double seconds_since(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }

    // `events` (checked) applied to the state: nodes leave or return, the rate changes, and the
    // environment is rebuilt once with every link and speed change (one set of tables).
    void change(std::span<const session_event> events) {
        for (const auto& e : events) {
            if (e.kind == event_kind::node_down) node_down(e.from);
            if (e.kind == event_kind::node_up) up_[e.from] = 1;
            if (e.kind == event_kind::node_down || e.kind == event_kind::node_up)
                last_optimum_.clear();
            if (e.kind == event_kind::query_rate) rate_ = e.value;
        }
        bool worse = true;
        auto env = with_events(model_->env(), initial_, device_, events, worse);
        if (!env) return;
        const evaluation before =
            last_optimum_.empty() ? evaluation{} : eval_->evaluate(last_optimum_);
        set_environment(std::move(*env));
        for (auto& p : queue_) {
            p.upload_s = upload_time(p.layers, p.node);
            p.overhead_s = partition_overhead_s(model_->env(), device_, p.node);
        }
        // Every placement got slower or stayed: a proven optimum whose own delay did not change
        // is still optimal (it did not use what changed).
        if (!last_optimum_.empty()) {
            const evaluation after = eval_->evaluate(last_optimum_);
            if (!(worse && after.objective == before.objective &&
                  after.violation == before.violation))
                last_optimum_.clear();
        }
    }

    node_id runs_on(layer_id j, node_id target, node_id fallback) const noexcept {
        if (resident(j, target)) return target;
        if (resident(j, fallback)) return fallback;
        return device_;
    }

    // The mix (each layer on its target if resident there, else on its fallback if resident
    // there, else on the device) and, with a whole fallback, the fallback placement alone
    // (each layer on its fallback if resident there, else on the device).
    std::pair<std::vector<node_id>, std::vector<node_id>> placements_now(
        std::span<const node_id> x, std::span<const node_id> f) const {
        std::vector<node_id> mix(n_), alone(n_);
        for (layer_id j = 0; j < n_; ++j) {
            mix[j] = runs_on(j, x[j], f[j]);
            alone[j] = resident(j, f[j]) ? f[j] : device_;
        }
        return {std::move(mix), std::move(alone)};
    }

    void refresh() {
        if (!dirty_) return;
        const auto e = effective_placement();
        latency_ = eval_->evaluate(e).delay_s;
        remote_ = static_cast<std::size_t>(
            std::count_if(e.begin(), e.end(), [&](node_id s) { return s != device_; }));
        dirty_ = false;
    }

    void set_environment(environment env) {
        model_.emplace(std::move(env));
        eval_.emplace(*graph_, *model_, objective_options{}, constraints{}, device_);
        lmu_cache_.reset();
    }

    std::vector<double> fingerprint() const { return environment_key(model_->env(), up_); }

    double upload_time(std::span<const layer_id> layers, node_id s) const {
        return partition_upload_time(*graph_, *model_, device_, layers, s);
    }

    void node_down(node_id s) {
        if (!up_[s]) return;
        for (layer_id j = 0; j < n_; ++j)
            if (resident_[j * nodes_ + s]) {
                bytes_lost_ += (*graph_)[j].param_bytes;
                resident_[j * nodes_ + s] = 0;
            }
        up_[s] = 0;
        if (!queue_.empty() && queue_.front().node == s) progress_ = 0;
        std::erase_if(queue_, [&](const upload_partition& p) { return p.node == s; });
        for (layer_id j = 0; j < n_; ++j) sent_[j * nodes_ + s] = 0;
        if (!queue_.empty() && progress_ == 0) progress_ = resumed(queue_.front());
        // The plan in force loses the node: its layers run on the device (the stale plan).
        for (layer_id j = 0; j < n_; ++j) {
            if (target_[j] == s) target_[j] = device_, repaired_ = true;
            if (fallback_[j] == s) fallback_[j] = device_, repaired_ = true;
        }
    }

    bool in_flight() const noexcept { return !queue_.empty() && progress_ > 0; }

    static bool same_partition(const upload_partition& a, const upload_partition& b) noexcept {
        return a.node == b.node && a.layers == b.layers;
    }

    // The fraction of layer j's parameters already on node s: those of the partition in flight
    // have its progress; others what was sent of them before their partition was left.
    double sent(layer_id j, node_id s) const noexcept {
        if (in_flight() && queue_.front().node == s) {
            const auto& l = queue_.front().layers;
            if (std::find(l.begin(), l.end(), j) != l.end()) return progress_;
        }
        return sent_[j * nodes_ + s];
    }

    // The fraction of partition p already sent: the bytes of its layers already on its node
    // (the partition in flight, or parts of partitions left earlier) over its bytes.
    double resumed(const upload_partition& p) const noexcept {
        if (in_flight() && same_partition(p, queue_.front())) return progress_;
        double done = 0, bytes = 0;
        for (layer_id j : p.layers) {
            done += sent(j, p.node) * (*graph_)[j].param_bytes;
            bytes += (*graph_)[j].param_bytes;
        }
        return bytes > 0 ? done / bytes : 0;
    }

    // Whether the partition in flight belongs to target x: each of its layers goes to its node.
    bool in_flight_useful(std::span<const node_id> x) const {
        if (!in_flight()) return false;
        const auto& f = queue_.front();
        return std::all_of(f.layers.begin(), f.layers.end(),
                           [&](layer_id j) { return x[j] == f.node; });
    }

    // The partitions to send for target x: LMU's plan of x without the layers resident on
    // their target, after the partition in flight when `keep` (then without its layers too).
    upload_plan upload_for(std::span<const node_id> x, bool keep) const {
        keep = keep && in_flight();
        upload_plan plan{.planner = options_.lmu_portfolio ? "lmu" : "lmu-rule",
                         .device = device_,
                         .placement = {x.begin(), x.end()}};
        if (keep) plan.partitions.push_back(queue_.front());
        const auto travelling = [&](layer_id j, node_id s) {
            if (!keep || queue_.front().node != s) return false;
            const auto& l = queue_.front().layers;
            return std::find(l.begin(), l.end(), j) != l.end();
        };
        bool needed = false;
        for (layer_id j = 0; j < n_; ++j)
            needed = needed || (!resident(j, x[j]) && !travelling(j, x[j]));
        if (!needed) return plan;
        if (!lmu_cache_ || !std::equal(x.begin(), x.end(), lmu_cache_->placement.begin())) {
            const upload_problem<Model> problem(*graph_, *model_, x, device_);
            lmu_cache_ = lmu_planner{.portfolio = options_.lmu_portfolio}.plan(problem);
        }
        append_missing(*graph_, *model_, device_, lmu_cache_->partitions, plan.partitions,
                       [&](layer_id j, node_id n) { return resident(j, n) || travelling(j, n); });
        return plan;
    }

    replan_candidate make_candidate(std::string name, std::vector<node_id> x,
                                    std::vector<node_id> fallback, upload_plan upload) {
        replan_candidate c{.name = std::move(name)};
        c.steady_delay_s = eval_->evaluate(x).delay_s;
        c.placement = std::move(x);
        c.fallback = std::move(fallback);
        c.upload = std::move(upload);
        c.first_done = c.upload.partitions.empty() ? 0 : resumed(c.upload.partitions.front());
        for (const auto& p : c.upload.partitions)
            c.remaining_upload_s += (1 - resumed(p)) * p.upload_s;
        return c;
    }

    replan_candidate stale_candidate() {
        upload_plan u{.planner = "stale", .device = device_, .placement = target_};
        u.partitions = queue_;
        auto c = make_candidate("stale", target_, fallback_, std::move(u));
        c.whole_fallback = whole_fallback_;
        return c;
    }

    // Per layer: the device and every edge or cloud node up (restricted to those holding the
    // layer when `resident_only`).
    std::vector<std::vector<node_id>> domains(bool resident_only) const {
        std::vector<std::vector<node_id>> d(n_);
        for (layer_id j = 0; j < n_; ++j)
            for (node_id s : eval_->choices(j))
                if (s == device_ || (up_[s] && (!resident_only || resident(j, s))))
                    d[j].push_back(s);
        return d;
    }

    std::vector<node_id> best_within(const std::vector<std::vector<node_id>>& d, bool& proven) {
        return best_placement_within(*eval_, d, options_, target_, options_.seed + version_, proven,
                                     elimination_order_, swarm_);
    }

    // The optimum; it keeps the partition in flight when that partition is its own.
    replan_candidate optimum_candidate(bool& proven) {
        std::vector<node_id> x;
        if (!last_optimum_.empty()) {  // still optimal (apply())
            x = last_optimum_;
            proven = true;
        } else {
            auto key = fingerprint();
            const auto hit = std::find_if(memo_.begin(), memo_.end(),
                                          [&](const auto& m) { return m.first == key; });
            if (hit != memo_.end()) {
                x = hit->second;
                proven = true;
            } else {
                x = best_within(domains(false), proven);
                if (proven) {
                    if (memo_.size() == memo_size) memo_.erase(memo_.begin());
                    memo_.emplace_back(std::move(key), x);
                }
            }
            if (proven) last_optimum_ = x;
        }
        const bool keep = in_flight_useful(x);
        auto u = upload_for(x, keep);
        return make_candidate("optimum", std::move(x), std::vector<node_id>(n_, device_),
                              std::move(u));
    }

    double window_for(std::span<const replan_candidate> cs) const {
        if (options_.window_s > 0) return options_.window_s;
        double longest = 0;
        for (const auto& c : cs) longest = std::max(longest, c.remaining_upload_s);
        double w = options_.window_factor * longest;
        // The environment is expected to change again after about the mean gap between the
        // events seen so far: the next queries see this plan only until then.
        if (options_.event_horizon && event_times_ >= 2)
            w = std::min(w, options_.window_factor * now_ / static_cast<double>(event_times_));
        return std::max(options_.min_window_s, w);
    }

    // Queries completed over [now, now + window) with candidate c: the state's residency, c's
    // partitions arriving in order, each query priced with the effective placement at its start.
    void score(replan_candidate& c, double window) {
        auto [e, alone] = placements_now(c.placement, c.fallback);
        const auto latency_of = [&] {
            const double mix = eval_->evaluate(e).delay_s;
            return c.whole_fallback ? std::min(mix, eval_->evaluate(alone).delay_s) : mix;
        };
        std::vector<double> done, latency{latency_of()};
        double t = 0;
        for (std::size_t k = 0; k < c.upload.partitions.size(); ++k) {
            const auto& p = c.upload.partitions[k];
            t += (1 - resumed(p)) * p.upload_s;
            if (t >= window) break;
            for (layer_id j : p.layers) {
                if (c.placement[j] == p.node || (e[j] != c.placement[j] && c.fallback[j] == p.node))
                    e[j] = p.node;
                if (c.fallback[j] == p.node) alone[j] = p.node;
            }
            done.push_back(t);
            latency.push_back(latency_of());
        }
        const auto s = score_window(done, latency, window, rate_ > 0 ? 1 / rate_ : 0);
        c.window_queries = s.queries;
        c.window_mean_latency_s = s.mean_latency_s;
    }

    void adopt(const replan_candidate& c, replan_decision& d, std::string reason,
               bool initial = false) {
        const auto same = [](const upload_partition& a, const upload_partition& b) {
            return a.node == b.node && a.layers == b.layers;
        };
        const bool changed = initial || repaired_ || c.placement != target_ ||
                             c.fallback != fallback_ ||
                             !std::equal(queue_.begin(), queue_.end(), c.upload.partitions.begin(),
                                         c.upload.partitions.end(), same);
        if (changed && !initial) ++version_;
        repaired_ = false;
        // The first partition of the new order starts from what is already on its node; a
        // partition in flight that the new order does not send first is left, and what was
        // sent of it stays on the server, layer by layer, for a later partition to resume.
        const double next = c.upload.partitions.empty() ? 0 : resumed(c.upload.partitions.front());
        if (in_flight() && (c.upload.partitions.empty() ||
                            !same_partition(c.upload.partitions.front(), queue_.front())))
            for (layer_id j : queue_.front().layers) {
                double& f = sent_[j * nodes_ + queue_.front().node];
                f = std::max(f, progress_);
            }
        target_ = c.placement;
        fallback_ = c.fallback;
        whole_fallback_ = c.whole_fallback;
        queue_ = c.upload.partitions;
        progress_ = next;
        d.changed = changed;
        d.chosen = c;
        d.version = version_;
        d.reason = std::move(reason);
        dirty_ = true;
    }

    void decide(replan_decision& d, const std::string& cause) {
        std::vector<replan_candidate> cs;
        if (options_.policy == replan_policy::never) {
            cs.push_back(stale_candidate());
        } else if (options_.policy == replan_policy::from_scratch) {
            cs.push_back(optimum_candidate(d.optimum_proven));
        } else {
            // The stale plan first: on a tie it stays (no churn of uploads).
            cs.push_back(stale_candidate());
            const replan_candidate opt = optimum_candidate(d.optimum_proven);
            cs.push_back(opt);
            // The best placement on what is resident: the optimum when everything it may use is
            // resident, the only placement when each layer has one node, else a solve.
            const auto rd = domains(true);
            std::vector<node_id> r;
            if (rd == domains(false)) {
                r = opt.placement;
            } else if (std::all_of(rd.begin(), rd.end(),
                                   [](const auto& v) { return v.size() == 1; })) {
                for (const auto& v : rd) r.push_back(v.front());
            } else {
                bool proven = false;
                r = best_within(rd, proven);
            }
            cs.push_back(make_candidate("resident", r, r, upload_for(r, false)));
            cs.push_back(make_candidate("optimum+fallback", opt.placement, r, opt.upload));
            cs.push_back(make_candidate("stale+fallback", target_, r, cs[0].upload));
            for (std::size_t k = cs.size() - 2; k < cs.size(); ++k) cs[k].whole_fallback = true;
            if (in_flight()) {  // the optimum with the partition in flight treated the other way
                const bool keep = in_flight_useful(opt.placement);
                const std::string how = keep ? " (in-flight left)" : " (in-flight kept)";
                auto u = upload_for(opt.placement, !keep);
                cs.push_back(make_candidate("optimum" + how, opt.placement,
                                            std::vector<node_id>(n_, device_), u));
                cs.push_back(
                    make_candidate("optimum+fallback" + how, opt.placement, r, std::move(u)));
                cs.back().whole_fallback = true;
            }
            add_exhaustive(cs);
        }
        d.window_s = window_for(cs);
        std::size_t best = 0;
        for (std::size_t k = 0; k < cs.size(); ++k) {
            score(cs[k], d.window_s);
            if (k && better_candidate(cs[k], cs[best], cs[best].name == "stale")) best = k;
        }
        std::string reason = cause + ": ";
        if (options_.policy == replan_policy::never)
            reason += "never re-plans: the plan is kept";
        else if (options_.policy == replan_policy::from_scratch)
            reason += "the new optimum, as if nothing were resident";
        else
            reason += "'" + cs[best].name + "' completes " +
                      std::to_string(cs[best].window_queries) + " queries in " +
                      detail::format_number(d.window_s) + " s (best of " +
                      std::to_string(cs.size()) + " candidates)";
        adopt(cs[best], d, std::move(reason));
        d.candidates = std::move(cs);
    }

    // Every placement over the nodes up, when they are few (options_.exhaustive_limit).
    void add_exhaustive(std::vector<replan_candidate>& cs) {
        if (options_.exhaustive_limit == 0) return;
        const auto d = domains(false);
        for_each_placement(d, options_.exhaustive_limit, [&](std::span<const node_id> x) {
            cs.push_back(make_candidate("placement #" + std::to_string(cs.size()),
                                        {x.begin(), x.end()}, std::vector<node_id>(n_, device_),
                                        upload_for(x, in_flight_useful(x))));
        });
    }

    const layer_graph* graph_;
    environment initial_;
    node_id device_;
    replan_options options_;
    std::size_t n_ = 0, nodes_ = 0;
    std::optional<Model> model_{};
    mutable std::optional<delay_evaluator<Model>> eval_{};  // scratch: evaluate() is not const
    std::vector<std::uint8_t> up_{}, resident_{};
    std::vector<node_id> target_{}, fallback_{};
    std::vector<upload_partition> queue_{};
    std::size_t event_times_ = 0, version_ = 0;  // distinct event times; the plan's version
    double last_event_s_ = 0;
    double progress_ = 0, now_ = 0, bytes_uploaded_ = 0, bytes_lost_ = 0, rate_ = 0;
    bool whole_fallback_ = false;  // see replan_candidate::whole_fallback
    bool repaired_ = false;        // a node left and the plan in force lost layers
    // The proven optimum of the environment in force, while known (cleared when an event may
    // have changed it); a memo of proven optima by environment (on/off links come back).
    std::vector<node_id> last_optimum_{};
    static constexpr std::size_t memo_size = 16;
    std::vector<std::pair<std::vector<double>, std::vector<node_id>>> memo_{};
    std::vector<std::uint32_t> elimination_order_{};  // the exact solver's, for the next solve
    std::vector<std::vector<node_id>> swarm_{};       // PSO-GA's last, for the next fallback
    mutable std::optional<upload_plan> lmu_cache_{};  // LMU's plan of the last target asked
    std::vector<double> sent_{};  // per layer and node: the fraction of it sent, not arrived
    bool dirty_ = true;
    double latency_ = 0;
    std::size_t remote_ = 0;
};

}  // namespace eosdnn
