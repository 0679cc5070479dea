// Solves a 5-layer model with the CBC backend and with the two exact solvers in turn, as a user
// of eosdnn::milp would, and checks the plans against enumeration.
#include <eosdnn/eosdnn.hpp>
#include <eosdnn/milp/cbc.hpp>
#include <eosdnn/milp/portfolio.hpp>

#include <cmath>
#include <cstdio>
#include <string>

// Linking eosdnn::milp tells the code it is there (a copy of eosdnn-plan relies on it).
#if !defined(EOSDNN_HAS_MILP_BACKEND)
#error "linking eosdnn::milp should define EOSDNN_HAS_MILP_BACKEND"
#endif

int main() {
    eosdnn::layer_graph_builder b("five");
    b.set_input_bytes(150528);
    for (int i = 0; i < 5; ++i)
        b.add_layer({.name = "l" + std::to_string(i),
                     .kind = "conv",
                     .macs = 0,
                     .flops = 1e9 * (i + 1),
                     .param_bytes = 1e5,
                     .output_bytes = 4e5 / (i + 1),
                     .output_shape = {},
                     .device_time_s = {},
                     .server_time_s = {},
                     .load_time_s = {}});
    for (int i = 1; i < 5; ++i)
        b.add_edge(static_cast<eosdnn::layer_id>(i - 1), static_cast<eosdnn::layer_id>(i));
    const eosdnn::layer_graph net = b.build();

    eosdnn::environment_builder e;
    const auto phone =
        e.add_node({.name = "phone", .tier = eosdnn::tier::local, .flops_per_s = 2e10});
    const auto edge = e.add_node({.name = "edge", .tier = eosdnn::tier::edge, .flops_per_s = 5e11});
    e.connect(phone, edge, {.bandwidth_Bps = eosdnn::mbps(30), .latency_s = 0.005});
    const eosdnn::analytic_model model(e.build());

    eosdnn::delay_evaluator problem(net, model);
    const eosdnn::exact_result r = eosdnn::solve_milp(net, problem);
    const auto reference = eosdnn::enumerate_placements(problem);
    std::printf("%s: %.6f s (enumeration %.6f s), proven %d, %s\n", net.name().c_str(),
                r.value.objective, reference.value.objective, r.proven_optimal ? 1 : 0,
                r.method.c_str());
    const bool same =
        std::abs(r.value.objective - reference.value.objective) <= 1e-9 * reference.value.objective;
    // CBC alone through the portfolio (no share for the native solver), then the default.
    const eosdnn::exact_result cbc_only =
        eosdnn::solve_portfolio(net, problem, {.time_limit_s = 60}, {.native_share = 0});
    const eosdnn::exact_result both = eosdnn::solve_portfolio(net, problem, {.time_limit_s = 60});
    const auto optimal = [&](const eosdnn::exact_result& x) {
        return x.proven_optimal && std::abs(x.value.objective - reference.value.objective) <=
                                       1e-9 * reference.value.objective;
    };
    const bool portfolio_same = optimal(cbc_only) && optimal(both);
    std::printf("portfolio: %.6f s (%s), %.6f s (%s)\n", cbc_only.value.objective,
                cbc_only.method.c_str(), both.value.objective, both.method.c_str());
    return same && portfolio_same && r.proven_optimal && r.lower_bound <= r.value.objective ? 0 : 1;
}
