#pragma once
// --time-limit as one budget for the whole run of eosdnn-plan. Loading, the exact reference, the
// optimiser and the uploading plans share it, so a run that the limit stops ends near the limit,
// not at the limit plus everything around the optimiser (50 ResNet-50 tasks took 11-12 s with a
// 10 s limit when only the optimiser counted it).
#include <algorithm>
#include <chrono>
#include <cstddef>

namespace eosdnn::cli {

class run_budget {
public:
    /// Starts the clock; `limit_s` 0 means no limit.
    explicit run_budget(double limit_s) : limit_s_(limit_s), start_(clock::now()) {}

    bool limited() const { return limit_s_ > 0; }

    double elapsed_s() const {
        return std::chrono::duration<double>(clock::now() - start_).count();
    }

    /// The time limit to hand to the next step, keeping `reserve_s` for what comes after it: 0
    /// (no limit) when the run has none, otherwise what is left, at least a millisecond (a
    /// solver given 0 would run without limit; given a millisecond it returns its first plan).
    double left_s(double reserve_s = 0) const {
        if (!limited()) return 0;
        return std::max(minimum_s, limit_s_ - elapsed_s() - reserve_s);
    }

    /// The time limit of the exact reference of each of `tasks` tasks: an equal share of what
    /// is left or, when an optimiser runs after it (`optimiser_follows`), of half of what is
    /// left. A solver that cannot prove its optimum uses all it is given, so with the whole of
    /// what was left it left the optimiser nothing: on an 84-layer DAG over six nodes with memory
    /// limits and --time-limit 20, PSO-GA got 10 ms and ended at 1929 ms, against 784 ms found by
    /// CBC. Half is the even split between two searches whose outcome is unknown before they
    /// run: the exact solver keeps half of its time, the optimiser and the uploading plans get
    /// the other half at least, the optimiser starting from the exact solver's plan (--start
    /// seeded); a solver that proves its optimum sooner leaves the rest to them, as before.
    double exact_limit_s(bool optimiser_follows, std::size_t tasks) const {
        if (!limited()) return 0;
        const double share = optimiser_follows ? 0.5 : 1.0;
        return std::max(minimum_s, share * left_s() / static_cast<double>(tasks));
    }

    /// What to keep after the optimiser when planning the uploads of one of `tasks` tasks took
    /// `one_task_s`: that time for every task and half as much again (the estimate is the first
    /// task's, on its own optimum; the final placements of tasks that share servers are mixed,
    /// and their uploading plans took up to 1.6 times as long on 50 ResNet-50 tasks), and a
    /// twentieth of the limit for the optimiser's last step (it checks the clock between
    /// steps), the report and the files.
    double upload_reserve_s(double one_task_s, std::size_t tasks) const {
        return 1.5 * one_task_s * static_cast<double>(tasks) + limit_s_ / 20;
    }

    /// The time limit of a second exact round after the optimiser, keeping `reserve_s` for the
    /// uploading plans: what is left, or 0 (no second round) when that is under a twentieth of
    /// the limit or under 50 ms, too little to search after the solver's set-up.
    double second_round_s(double reserve_s) const {
        if (!limited()) return 0;
        const double left = limit_s_ - elapsed_s() - reserve_s;
        return left >= std::max(0.05, limit_s_ / 20) ? left : 0;
    }

    static constexpr double minimum_s = 1e-3;

private:
    using clock = std::chrono::steady_clock;
    double limit_s_;
    clock::time_point start_;
};

}  // namespace eosdnn::cli
