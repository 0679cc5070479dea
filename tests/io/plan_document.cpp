#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/plan_document.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace eosdnn;
using nlohmann::json;

namespace {

environment two_nodes(const char* device = "phone") {
    environment_builder b;
    const auto phone = b.add_node({.name = device, .tier = tier::local, .flops_per_s = 1e9});
    const auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11});
    b.connect(phone, edge, {.bandwidth_Bps = 1e6, .latency_s = 0.004});
    return b.build();
}

layer_graph chain(const char* name) {
    layer_graph_builder b(name);
    const auto in = b.add_layer({.name = "input", .kind = "input", .output_bytes = 100});
    const auto conv =
        b.add_layer({.name = "conv", .flops = 1e6, .param_bytes = 400, .output_bytes = 50}, {in});
    b.add_layer({.name = "fc", .flops = 2e5, .param_bytes = 80, .output_bytes = 8}, {conv});
    return b.build();
}

plan_document sample(const environment& env, const layer_graph& g) {
    plan_document doc{.env = env,
                      .environment_source = "default",
                      .objective = "migration delay",
                      .search = {.algorithm = "pso-ga",
                                 .seed = 7,
                                 .particles = 20,
                                 .iterations_planned = 30,
                                 .iterations = 12,
                                 .stall = 5,
                                 .start = "seeded",
                                 .evaluations = 240,
                                 .plan_seconds = 0.25,
                                 .time_limit_s = 10,
                                 .exact_solver = "native",
                                 .convergence = {{.iteration = 0,
                                                  .evaluations = 20,
                                                  .best_objective = 0.5,
                                                  .best_violation = 0,
                                                  .mean_objective = INFINITY,
                                                  .diversity = 0.75}}},
                      .migration_delay_s = 0.0123456789012345,
                      .lower_bound_s = 0.01,
                      .proven_optimal = false,
                      .violation = 0,
                      .references = {{"all-local", 0.02}, {"all-cloud", nullptr}},
                      .upload_planner = "lmu",
                      .tasks = {}};
    const migration_plan plan{
        .model = g.name(),
        .algorithm = "pso-ga",
        .placement = {0, 1, 1},
        .value = {.delay_s = doc.migration_delay_s, .objective = doc.migration_delay_s}};
    doc.tasks.push_back(make_document_task(plan, g, env, 0, "net.csv", "profile CSV net.csv"));
    doc.tasks.back().upload = {{"planner", "lmu"}, {"partitions", json::array()}};
    return doc;
}

}  // namespace

TEST_CASE("plan document: one task round-trips and reads as a plan") {
    const environment env = two_nodes();
    const layer_graph g = chain("net");
    const plan_document doc = sample(env, g);
    const json j = json::parse(to_json(doc).dump(2));  // through text, as plan.json
    CHECK(j["format"] == "eosdnn-plan-document");
    CHECK(j["model"] == "net");
    CHECK(j["convergence"][0]["mean_objective_s"] == "inf");
    CHECK(j["references"]["all-cloud"].is_null());

    // The library's plan reader takes the document as it is.
    const migration_plan plan = plan_from_json(j, g, env);
    CHECK(plan.placement == std::vector<node_id>{0, 1, 1});
    CHECK(plan.value.delay_s == doc.migration_delay_s);
    CHECK(plan.algorithm == "pso-ga");

    const plan_document back = plan_document_from_json(j);
    CHECK(back.migration_delay_s == doc.migration_delay_s);  // bit for bit
    CHECK(back.lower_bound_s == 0.01);
    CHECK(back.search.seed == 7);
    CHECK(back.search.iterations == 12);
    CHECK(back.search.exact_solver == "native");
    REQUIRE(back.search.convergence.size() == 1);
    CHECK(std::isinf(back.search.convergence[0].mean_objective));
    CHECK(back.search.convergence[0].diversity == 0.75);
    CHECK(back.upload_planner == "lmu");
    CHECK(back.references == doc.references);
    REQUIRE(back.tasks.size() == 1);
    CHECK(back.tasks[0].model_spec == "net.csv");
    CHECK(back.tasks[0].model.param_bytes == 480);
    CHECK(back.tasks[0].model.chain);
    CHECK(back.tasks[0].device == "phone");
    CHECK(device_of(back, 0) == 0);
    CHECK(plan_of(back, 0, g).placement == plan.placement);
    CHECK(to_json(back) == j);  // and writes the same document again
}

TEST_CASE("plan document: several tasks, and plan_from_json says where their plans are") {
    environment_builder b;
    const auto p1 = b.add_node({.name = "p1", .tier = tier::local, .flops_per_s = 1e9});
    const auto p2 = b.add_node({.name = "p2", .tier = tier::local, .flops_per_s = 2e9});
    const auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11});
    b.connect(p1, edge, {.bandwidth_Bps = 1e6});
    b.connect(p2, edge, {.bandwidth_Bps = 2e6});
    const environment env = b.build();
    const layer_graph a = chain("a"), c = chain("c");
    plan_document doc{.env = env, .migration_delay_s = 0.5, .upload_planner = "whole"};
    doc.tasks.push_back(make_document_task(
        {.model = "a", .placement = {0, 2, 2}, .value = {.delay_s = 0.4}}, a, env, 0, "a", "zoo"));
    doc.tasks.push_back(make_document_task(
        {.model = "c", .placement = {1, 1, 2}, .value = {.delay_s = 0.6}}, c, env, 1, "c", "zoo"));
    const json j = json::parse(to_json(doc).dump());
    CHECK(!j.contains("placement"));
    CHECK(j["tasks"][1]["completion_s"] == 0.6);
    CHECK(plan_from_json(j["tasks"][1], c, env).placement == std::vector<node_id>{1, 1, 2});
    test::check_validation_error([&] { plan_from_json(j, a, env); },
                                 {"plan JSON /tasks", "/tasks/0", "plan_document_from_json"});

    const plan_document back = plan_document_from_json(j);
    REQUIRE(back.tasks.size() == 2);
    CHECK(back.upload_planner == "whole");
    CHECK(device_of(back, 1) == 1);
    CHECK(plan_of(back, 0, a).placement == std::vector<node_id>{0, 2, 2});
    CHECK(back.tasks[1].completion_s == 0.6);
    // The wrong model for task 1: the message names the task.
    test::check_validation_error([&] { plan_of(back, 1, a); }, {"/tasks/1", "not for 'a'"});
}

TEST_CASE("plan document: a placement read against another environment goes by name") {
    const layer_graph g = chain("net");
    const json j = to_json(sample(two_nodes(), g));
    environment_builder b;  // the same nodes in another order, plus one
    const auto cloud = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    const auto edge2 = b.add_node({.name = "spare", .tier = tier::edge, .flops_per_s = 1e11});
    const auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11});
    b.connect(cloud, edge, {.bandwidth_Bps = 1e6});
    b.connect(cloud, edge2, {.bandwidth_Bps = 1e6});
    b.connect(edge, edge2, {.bandwidth_Bps = 1e6});
    const environment other = b.build();
    CHECK(plan_of(plan_document_from_json(j), 0, g, other).placement ==
          std::vector<node_id>{0, 2, 2});
}

TEST_CASE("plan document: malformed documents are clear errors") {
    const environment env = two_nodes();
    const layer_graph g = chain("net");
    const json good = to_json(sample(env, g));
    auto with = [&](const char* key, json value) {
        json j = good;
        j[key] = std::move(value);
        return j;
    };
    auto without = [&](const char* key) {
        json j = good;
        j.erase(key);
        return j;
    };
    using test::error_message;
    CHECK(error_message(error_kind::parse, [&] {
              plan_document_from_json(json::array());
          }).find("expected an object") != std::string::npos);
    CHECK(error_message(error_kind::parse, [&] {
              plan_document_from_json(without("format"));
          }).find("plan document JSON (root): missing required key 'format'") != std::string::npos);
    CHECK(error_message(error_kind::validation, [&] {
              plan_document_from_json(with("format", "eosdnn-plan"));
          }).find("plan document JSON /format") != std::string::npos);
    CHECK(error_message(error_kind::validation, [&] {
              plan_document_from_json(with("version", 2));
          }).find("version 2") != std::string::npos);
    CHECK(error_message(error_kind::parse, [&] {
              plan_document_from_json(with("migration_delay", 1));
          }).find("unknown key 'migration_delay'") != std::string::npos);
    CHECK(error_message(error_kind::parse, [&] {
              plan_document_from_json(with("seed", "one"));
          }).find("/seed") != std::string::npos);
    CHECK(error_message(error_kind::parse, [&] {
              plan_document_from_json(with("upload", 3));
          }).find("/upload") != std::string::npos);
    CHECK(error_message(error_kind::parse, [&] {
              plan_document_from_json(without("placement"));
          }).find("missing required key 'placement'") != std::string::npos);
    CHECK(error_message(error_kind::validation,
                        [&] { plan_document_from_json(with("device", "tablet")); })
              .find("plan document JSON /device: the environment has no node 'tablet'") !=
          std::string::npos);
    json bad_env = good;
    bad_env["environment"]["nodes"][1]["flops_per_s"] = -1;
    CHECK(error_message(error_kind::validation, [&] {
              plan_document_from_json(bad_env);
          }).find("plan document JSON /environment") != std::string::npos);
    json bad_log = good;
    bad_log["convergence"][0]["iteration"] = -3;
    CHECK(error_message(error_kind::validation, [&] {
              plan_document_from_json(bad_log);
          }).find("/convergence/0/iteration") != std::string::npos);
    // A placement that does not fit the model: plan_of says so through plan_from_json.
    json short_plan = good;
    short_plan["placement"].erase(2);
    CHECK(error_message(error_kind::validation, [&] {
              plan_of(plan_document_from_json(short_plan), 0, g);
          }).find("1 of 3 layers have no node: 'fc'") != std::string::npos);
    CHECK(error_message(error_kind::validation, [&] {
              to_json(plan_document{});
          }).find("no task") != std::string::npos);
}
