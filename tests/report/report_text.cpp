#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/report/plan_report.hpp>
#include <eosdnn/report/report_text.hpp>
#include <eosdnn/upload/baselines.hpp>

#include "fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace eosdnn;

namespace {

bool has(const std::string& text, const std::string& part) {
    INFO("text:\n" << text << "\nexpected: " << part);
    const bool found = text.find(part) != std::string::npos;
    CHECK(found);
    return found;
}

}  // namespace

TEST_CASE("report_text, plan_tables and to_document of a hand-made run") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const profiled_model model(env);
    delay_evaluator problem(g, model);
    const exact_result e = solve_exact(problem);
    const std::vector<node_id> x(g.size(), 1);  // all on the edge
    plan_report r{.env = &env,
                  .environment_source = "lab.json",
                  .search = {.algorithm = "all-edge", .evaluations = 1},
                  .upload_planner = "whole",
                  .comparison = compare_plan(problem, env, std::span<const node_id>(x),
                                             exact_reference_of(e, 3, 10)),
                  .tasks = {}};
    const simulation_options sim = upload_simulation_options(env, x, 0);
    CHECK(sim.ack_latency_s == 0.01);
    std::vector<upload_outcome> uploads{plan_and_simulate("whole", g, model, sim, [&] {
        return whole_model_planner{}.plan(upload_problem<profiled_model>(g, model, x, 0));
    })};
    uploads.push_back(plan_and_simulate("refused", g, model, sim, []() -> upload_plan {
        throw error(error_kind::validation, "one server\nonly");
    }));
    REQUIRE(uploads[0].available);
    CHECK(!uploads[1].available);
    CHECK(uploads[1].why_not == "one server only");
    r.tasks.push_back({.graph = &g,
                       .model_spec = "diamond.json",
                       .model_source = "model JSON diamond.json",
                       .device = 0,
                       .placement = x,
                       .delay_s = r.comparison.value.delay_s,
                       .uploads = uploads});

    const std::string text = report_text(r);
    has(text, "model diamond (model JSON diamond.json) on phone: 5 layers, a DAG");
    has(text, "environment (lab.json):");
    has(text, "phone -> edge: 8 Mbit/s, 10 ms");
    has(text, "migration plan: all-edge: 1 evaluations");
    has(text, "  edge          5      0.560         0.01   input .. out\n");
    has(text, "all-edge ");
    has(text, "uploading plan (whole): 1 partition(s)");
    has(text, "refused        n/a: one server only");
    has(text, r.comparison.proven_optimal ? "optimal (proven)" : "above the optimum");

    const auto tables = plan_tables(r);
    REQUIRE(tables.size() == 4);
    CHECK(tables[1].name == "placement.csv");
    CHECK(tables[1].text.find("1,diamond,1,input,input,edge,edge,0,0,1000\n") != std::string::npos);
    CHECK(tables[2].text.find("1,whole,1,edge,") != std::string::npos);

    const plan_document doc = to_document(r);
    REQUIRE(doc.tasks.size() == 1);
    CHECK(doc.migration_delay_s == r.comparison.value.delay_s);
    CHECK(doc.tasks[0].upload["planner"] == "whole");
    CHECK(doc.tasks[0].upload["compared"]["refused"]["unavailable"] == "one server only");
    CHECK(plan_of(doc, 0, g).placement == x);
}

TEST_CASE("report_text marks a one-tier plan over a memory capacity as infeasible") {
    // The edge server holds 10 kB of the diamond's 12.1 kB: all-edge is faster than the plan
    // (all-local) but breaks the capacity, so it must not read as a better plan.
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    const auto edge = b.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 1e10, .memory_bytes = 10000});
    b.connect(phone, edge, {.bandwidth_Bps = 1e6, .latency_s = 0.01});
    const environment env = b.build();
    const layer_graph g = test::report_model();
    const profiled_model model(env);
    delay_evaluator problem(g, model);
    const std::vector<node_id> x(g.size(), phone);
    plan_report r{.env = &env,
                  .environment_source = "lab.json",
                  .search = {.algorithm = "all-local", .evaluations = 1},
                  .upload_planner = "whole",
                  .comparison = compare_plan(problem, env, std::span<const node_id>(x),
                                             exact_reference_of(solve_exact(problem), 2, 10)),
                  .tasks = {}};
    r.tasks.push_back({.graph = &g,
                       .model_spec = "diamond.json",
                       .model_source = "model JSON diamond.json",
                       .device = phone,
                       .placement = x,
                       .delay_s = r.comparison.value.delay_s});
    REQUIRE(r.comparison.tiers[1].delay_s < r.comparison.value.delay_s);
    const std::string text = report_text(r);
    const auto line = [&](const std::string& name) {
        const auto at = text.find("\n  " + name + " ");
        REQUIRE(at != std::string::npos);
        return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    };
    INFO(text);
    CHECK(line("all-edge").find("x this plan, INFEASIBLE (breaks a memory capacity") !=
          std::string::npos);
    CHECK(line("all-local").find("INFEASIBLE") == std::string::npos);
    CHECK(to_json(to_document(r))["references"]["violations"]["all-edge"].get<double>() > 0);
}

TEST_CASE("report_text credits a plan the exact solver's second round found") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const profiled_model model(env);
    delay_evaluator problem(g, model);
    const exact_result optimum = solve_exact(problem);
    const std::vector<node_id> local(g.size(), 0);
    const evaluation local_value = problem.evaluate(local);
    REQUIRE(local_value.delay_s > optimum.value.delay_s);
    // The first round stopped on the all-local plan, which the optimiser kept.
    const exact_result stopped = test::stopped_exact(local, local_value, 0);
    const exact_reference first = exact_reference_of(stopped, 3, 2);
    const auto text_with = [&](const exact_result& second, std::span<const node_id> x) {
        plan_report r{
            .env = &env,
            .environment_source = "lab.json",
            .search = {.algorithm = "pso-ga", .evaluations = 1},
            .upload_planner = "whole",
            .comparison = compare_plan(
                problem, env, x, exact_reference_after(first, second, local_value.delay_s, 1.5, 3)),
            .tasks = {}};
        r.tasks.push_back({.graph = &g,
                           .model_spec = "diamond.json",
                           .model_source = "model JSON diamond.json",
                           .device = 0,
                           .placement = std::vector<node_id>(x.begin(), x.end()),
                           .delay_s = r.comparison.value.delay_s});
        return report_text(r);
    };
    const std::string improved = text_with(optimum, optimum.placement);
    has(improved, "  pso-ga+exact ");
    has(improved, "<- this plan: optimal (proven)");
    has(improved, "from the optimiser's plan");
    const std::string same = text_with(stopped, local);
    has(same, "  pso-ga         ");
    CHECK(same.find("pso-ga+exact") == std::string::npos);
    has(same, "(no better plan)");
}
